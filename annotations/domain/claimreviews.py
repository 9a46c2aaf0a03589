"""Reading schema.org ClaimReview JSON-LD: fact-checks from outside, for a desk's reference set.

Two shapes are read: our own ``claimreview`` export (a JSON array of ClaimReview objects, ``reviewRating``
5 = True … 1 = False with ``alternateName`` our label) and the public feed shape — one ClaimReview object, an
array of them, an object with ``@graph``, or a schema.org ``DataFeed`` whose ``dataFeedElement`` items hold them
(``item``). Each item needs ``claimReviewed`` and an http(s) ``url`` (the key that deduplicates); a bad item is
one error naming its position and the reason, and never stops the others.

The rating becomes a verdict of our scale when it can be read without guessing: a label we know
(``alternateName``/``name``: "False", "Mostly true", "Pants on fire", "Half true", …) or a number on a stated
scale (``ratingValue`` between ``worstRating`` and ``bestRating``, mapped onto 1–5). Otherwise the verdict stays
empty and the publisher's label is kept.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from annotations.domain.text import fold
from annotations.domain.verdicts import Verdict

MAX_TEXT = 5000

_LABELS = {
    "true": Verdict.TRUE, "correct": Verdict.TRUE, "accurate": Verdict.TRUE, "verdadero": Verdict.TRUE,
    "mostly true": Verdict.MOSTLY_TRUE, "mostly correct": Verdict.MOSTLY_TRUE, "largely accurate": Verdict.MOSTLY_TRUE,
    "mixed": Verdict.MIXED, "mixture": Verdict.MIXED, "half true": Verdict.MIXED, "half-true": Verdict.MIXED,
    "partly true": Verdict.MIXED, "partly false": Verdict.MIXED, "misleading": Verdict.MOSTLY_FALSE,
    "mostly false": Verdict.MOSTLY_FALSE, "false": Verdict.FALSE, "pants on fire": Verdict.FALSE,
    "pants on fire!": Verdict.FALSE, "fake": Verdict.FALSE, "incorrect": Verdict.FALSE, "falso": Verdict.FALSE,
    "unverifiable": Verdict.UNVERIFIABLE, "unproven": Verdict.UNVERIFIABLE, "unsupported": Verdict.UNVERIFIABLE,
}  # fmt: skip
_LABELS.update({fold(v.label).lower(): v for v in Verdict})


@dataclass(frozen=True)
class ClaimReviewItem:
    position: int  # 1-based, in reading order
    text: str
    url: str
    verdict: str  # our scale, or "" when the rating cannot be read without guessing
    rating_label: str
    rationale: str
    publisher: str
    title: str
    published_at: datetime | None


@dataclass(frozen=True)
class ClaimReviewError:
    position: int
    reason: str

    def __str__(self) -> str:
        return f"item {self.position}: {self.reason}"


class ClaimReviewFileError(ValueError):
    """The file as a whole is not ClaimReview JSON-LD (not JSON, or no ClaimReview in it)."""


def parse_claimreviews(data: bytes | str) -> list[ClaimReviewItem | ClaimReviewError]:
    """Every ClaimReview in ``data``, read or refused one by one (see the module docstring)."""
    try:
        document = json.loads(data.decode("utf-8-sig") if isinstance(data, bytes) else data)
    except UnicodeDecodeError:
        raise ClaimReviewFileError("not UTF-8 text") from None
    except (json.JSONDecodeError, RecursionError) as exc:
        raise ClaimReviewFileError(f"not JSON ({exc})") from None
    items = list(_items(document))
    if not items:
        raise ClaimReviewFileError("no ClaimReview in it: expected an object or an array of ClaimReview items")
    return [_read(position, item) for position, item in enumerate(items, start=1)]


def _items(document: object) -> Iterator[object]:
    if isinstance(document, list):
        for entry in document:
            yield from _items(entry) if _is_container(entry) else [entry]
    elif isinstance(document, dict):
        if "@graph" in document and isinstance(document["@graph"], list):
            yield from _items(document["@graph"])
        elif "dataFeedElement" in document and isinstance(document["dataFeedElement"], list):
            for element in document["dataFeedElement"]:
                inner = element.get("item") if isinstance(element, dict) else None
                if isinstance(inner, list):
                    yield from inner
                elif inner is not None:
                    yield inner
                else:
                    yield element
        else:
            yield document


def _is_container(entry: object) -> bool:
    return isinstance(entry, list) or (isinstance(entry, dict) and ("@graph" in entry or "dataFeedElement" in entry))


def _text(value: object, limit: int = MAX_TEXT) -> str:
    if isinstance(value, dict):
        value = value.get("name") or value.get("headline") or ""
    if isinstance(value, list):
        value = next((v for v in value if isinstance(v, str | dict)), "")
        return _text(value, limit)
    if not isinstance(value, str):
        return ""
    return re.sub(r"\s+", " ", value.replace("\x00", "")).strip()[:limit]


def _read(position: int, item: object) -> ClaimReviewItem | ClaimReviewError:
    if not isinstance(item, dict):
        return ClaimReviewError(position, f"not an object but {type(item).__name__}")
    kind = item.get("@type")
    kinds = kind if isinstance(kind, list) else [kind]
    if kind is not None and "ClaimReview" not in kinds:
        return ClaimReviewError(position, f"@type is {kind!r}, not ClaimReview")
    text = _text(item.get("claimReviewed"))
    if not text:
        return ClaimReviewError(position, "no claimReviewed (the claim's text)")
    url = item.get("url")
    if (
        not isinstance(url, str)
        or not re.fullmatch(r"https?://[^\s/]+\S*", url.strip(), re.IGNORECASE)
        or (len(url) > 2000 or "\x00" in url)
    ):
        return ClaimReviewError(position, "no http(s) url (the fact-check's address, which deduplicates it)")
    rating = item.get("reviewRating")
    if rating is not None and not isinstance(rating, dict):
        return ClaimReviewError(position, "reviewRating is not an object")
    verdict, label = _verdict(rating or {})
    if isinstance(verdict, ClaimReviewError):
        return ClaimReviewError(position, verdict.reason)
    published = item.get("datePublished")
    published_at = None
    if published not in (None, ""):
        if not isinstance(published, str):
            return ClaimReviewError(position, "datePublished is not a date")
        try:
            published_at = datetime.fromisoformat(published.strip().replace("Z", "+00:00"))
            if published_at.tzinfo is None:  # a bare date: midnight UTC
                published_at = published_at.replace(tzinfo=UTC)
        except ValueError:
            return ClaimReviewError(position, f"datePublished {published[:40]!r} is not an ISO 8601 date")
    reviewed = item.get("itemReviewed")
    title = ""
    if isinstance(reviewed, dict):
        title = _text(reviewed.get("appearance"), 500)
    return ClaimReviewItem(
        position=position, text=text, url=url.strip(), verdict=verdict, rating_label=label,
        rationale=_text(item.get("reviewBody")), publisher=_text(item.get("author"), 300),
        title=title or _text(item.get("headline") or item.get("name"), 500), published_at=published_at,
    )  # fmt: skip


def _verdict(rating: dict) -> tuple[str | ClaimReviewError, str]:
    label = _text(rating.get("alternateName") or rating.get("name"), 200)
    known = _LABELS.get(fold(label).lower().strip(" .")) if label else None
    if known is not None:
        return known.value, label
    value = rating.get("ratingValue")
    if value in (None, ""):
        return "", label
    try:
        value, best, worst = (float(rating.get(k, default)) for k, default in
                              (("ratingValue", 0), ("bestRating", 5), ("worstRating", 1)))  # fmt: skip
    except (TypeError, ValueError):
        return ClaimReviewError(0, "reviewRating has a ratingValue, bestRating or worstRating that is no number"), ""
    if best == worst or not min(best, worst) <= value <= max(best, worst):
        return ClaimReviewError(0, f"ratingValue {value:g} is not between worstRating and bestRating"), label
    step = round(1 + 4 * (value - worst) / (best - worst))  # 1 (worst) … 5 (best)
    scale = {5: Verdict.TRUE, 4: Verdict.MOSTLY_TRUE, 3: Verdict.MIXED, 2: Verdict.MOSTLY_FALSE, 1: Verdict.FALSE}
    return scale[step].value, label or scale[step].label
