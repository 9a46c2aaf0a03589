"""Article-shaped ranking of candidate claims: the model scores sentences one by one, as in a debate; a news page
also has bylines, captions, link lines, headings and summary bullets that repeat the body. This module turns the
model's scores into the scores stored on the claims, so the top of the list is distinct, checkable claims:

* **boilerplate-like lines** (bylines, credits, "Read more", "Sources include:", lone domain names, "Views: 6495"
  metadata, the headline repeated at the end) are demoted hard (× 0.1), **heading-like lines** (short, no final
  punctuation) and questions softly (× 0.5);
* **context**: a sentence that shares content words with the headline gains a little (at most 5 % of the way
  to 1): the headline says what the article is about;
* **duplicates**: a sentence whose content words are mostly those of a higher-ranked one (a pull quote, a
  sentence said twice) joins that one's group and is demoted (× 0.3), so it falls below the check-worthy line
  instead of taking a second place in the top ten; a **summary bullet** ("key points" above the article) whose
  words the body covers joins the body sentence it shares most with, so the body's sentence (with its source) is
  the one kept.

Pure Python; checked by the hand-labelled seed sentences in ``tests/fixtures/checkworthiness_seeds.json``
(not a benchmark: the rules were written with the two seed articles in view).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

RANKING_VERSION = "article-1"
BOILERPLATE_FACTOR = 0.1
HEADING_FACTOR = 0.5
DUPLICATE_FACTOR = 0.3
TITLE_BONUS = 0.05
DUPLICATE_CONTAINMENT = 0.7  # share of the smaller sentence's content words found in the other
DUPLICATE_MIN_WORDS = 6
SUMMARY_COVERAGE = 0.8  # share of a bullet's content words found in the body's other sentences
_BULLET_LINE = re.compile(r"[ \t]*(?:[-–—*•‣◦▪●][ \t]+|\d{1,2}[.)][ \t]+)")

# Page furniture that opens a line: link and sharing prompts, lists of related content, video credits.
_FURNITURE = re.compile(
    r"^\s*(?:read more|read full article|read the full|click here|subscribe\b|sign up\b|follow us\b|share this\b|"
    r"share on\b|advertisement\b|related articles\b|top articles\b|latest posts\b|recommended articles\b|"
    r"article information\b|author information\b|this video is from\b|watch the video\b|watch:|listen:|"
    r"introduction: my name is\b)",
    re.IGNORECASE,
)
# A label, then a colon or nothing: "Photo: Reuters", "Sources include:", "Author: Greg", "Last Updated:".
_LABEL = re.compile(
    r"^\s*(?:photo|photograph|image|picture|credits?|caption|sources?(?: include)?|author|by|last updated|updated|"
    r"published|posted|views|rating|reviews|name|birthday|address|phone|e-?mail|job|hobby|tags|filed under)"
    r"\s*(?::|$)",
    re.IGNORECASE,
)
_BYLINE = re.compile(r"^\s*[Bb]y\s+[A-Z][\w.'’-]*(?:\s+(?:[A-Z][\w.'’-]*|and|&|de|van|von)){0,4}\s*$")
_DOMAIN_LINE = re.compile(r"^\s*(?:https?://)?(?:www\.)?[\w-]+(?:\.[\w-]+)+(?:/\S*)?\s*$")
_METADATA = re.compile(r"^\s*[\w ]{1,30}:\s*\S.{0,60}$")  # "Views: 6495", "Rating: 4.1 / 5"
_COPYRIGHT = re.compile(r"©|\(c\)\s*\d{4}|all rights reserved", re.IGNORECASE)
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)?")
_STOPWORD_TEXT = (
    "a an the and or but if of to in on at by for from with as is are was were be been being has have had do "
    "does did that this these those it its it's he she they them his her their we our you your i me my not no "
    "so than then there here which who whom whose what when where why how also will would could should may "
    "might can about into over after before more most such only other some any all both each very just said "
    "says say including"
)
_STOPWORDS = frozenset(_STOPWORD_TEXT.split())


@dataclass(frozen=True, slots=True)
class Ranked:
    score: float  # the stored, article-shaped score (0–1)
    model_score: float
    kind: str  # "claim", "heading", "boilerplate"
    duplicate_of: int | None  # index of the group's representative, if this one repeats it


def content_words(text: str) -> frozenset[str]:
    words = (word.lower().replace("’", "'") for word in _WORD.findall(text))
    return frozenset(word for word in words if word not in _STOPWORDS and len(word) > 1)


def line_kind(text: str, *, title: str = "", first: bool = False) -> str:
    """ "boilerplate", "heading" or "claim" for one segment (``first``: the document's first segment)."""
    stripped = text.strip()
    words = _WORD.findall(stripped)
    if not words:
        return "boilerplate"
    if title and stripped.casefold() == title.strip().casefold():
        return "claim" if first else "boilerplate"  # the headline opens the text; a repeat of it is page furniture
    if any(pattern.match(stripped) for pattern in (_FURNITURE, _LABEL, _BYLINE, _DOMAIN_LINE)) or _COPYRIGHT.search(
        stripped
    ):
        return "boilerplate"
    if _METADATA.match(stripped) and len(words) <= 8 and not stripped.endswith((".", "?", "!")):
        return "boilerplate"
    if stripped.endswith("?") or (len(words) <= 12 and stripped[-1] not in ".!\"'”’»)"):
        return "heading"
    return "claim"


def in_bullet_items(body: str, starts: Sequence[int]) -> list[bool]:
    """For each segment start offset: is it inside a bulleted or numbered line of ``body``?"""
    flags = []
    for start in starts:
        line_start = body.rfind("\n", 0, start) + 1
        flags.append(bool(_BULLET_LINE.match(body, line_start)))
    return flags


def rank(
    texts: Sequence[str], scores: Sequence[float], *, title: str = "", bullets: Sequence[bool] | None = None
) -> list[Ranked]:
    """The article-shaped score of each segment, in the order given (the document order); ``bullets`` marks
    segments in bulleted lines (:func:`in_bullet_items`)."""
    if len(texts) != len(scores):
        raise ValueError(f"{len(scores)} scores for {len(texts)} texts")
    bullets = list(bullets) if bullets is not None else [False] * len(texts)
    if len(bullets) != len(texts):
        raise ValueError(f"{len(bullets)} bullet flags for {len(texts)} texts")
    title_words = content_words(title)
    adjusted: list[float] = []
    kinds: list[str] = []
    words: list[frozenset[str]] = []
    for index, (text, score) in enumerate(zip(texts, scores, strict=True)):
        kind = line_kind(text, title=title, first=index == 0)
        value = float(score)
        if kind == "boilerplate":
            value *= BOILERPLATE_FACTOR
        elif kind == "heading":
            value *= HEADING_FACTOR
        own = content_words(text)
        if kind == "claim" and title_words and own:
            # Towards 1 without reaching it, so confident scores keep their order instead of tying at 1.
            value += TITLE_BONUS * len(own & title_words) / len(title_words) * (1.0 - value)
        adjusted.append(min(1.0, max(0.0, value)))
        kinds.append(kind)
        words.append(own)
    duplicate_of: dict[int, int] = _summaries(words, bullets, kinds)
    # Duplicates: walk from the best score down; each sentence joins the first better one it repeats.
    order = sorted(range(len(texts)), key=lambda i: (-adjusted[i], i))
    representatives: list[int] = []
    for index in order:
        if index in duplicate_of:
            continue
        own = words[index]
        for rep in representatives:
            if _repeats(own, words[rep]):
                duplicate_of[index] = rep
                break
        else:
            representatives.append(index)
    return [
        Ranked(
            score=round(adjusted[i] * (DUPLICATE_FACTOR if i in duplicate_of else 1.0), 6),
            model_score=float(scores[i]),
            kind=kinds[i],
            duplicate_of=duplicate_of.get(i),
        )
        for i in range(len(texts))
    ]


def _summaries(words: list[frozenset[str]], bullets: list[bool], kinds: list[str]) -> dict[int, int]:
    """Bulleted sentences whose content words the body (the other, unbulleted sentences) covers: each joins the
    body sentence it shares the most words with."""
    body = [i for i, bullet in enumerate(bullets) if not bullet and kinds[i] == "claim"]
    covered_by = frozenset().union(*(words[i] for i in body)) if body else frozenset()
    found = {}
    for index, bullet in enumerate(bullets):
        own = words[index]
        if not bullet or len(own) < DUPLICATE_MIN_WORDS:
            continue
        if len(own & covered_by) / len(own) >= SUMMARY_COVERAGE:
            found[index] = max(body, key=lambda i: (len(own & words[i]), -i))
    return found


def _repeats(a: frozenset[str], b: frozenset[str]) -> bool:
    smaller = min(len(a), len(b))
    if smaller < DUPLICATE_MIN_WORDS:
        return bool(a) and a == b
    return len(a & b) / smaller >= DUPLICATE_CONTAINMENT
