"""Reads of "Checked before?": which already-checked claims (``ReferenceClaim``) a sentence repeats.

**The index.** Each web process holds one BM25F index (``domain.matching``) per desk over the reference set's
rows — claim text and title; a search looks in the desks the user belongs to, so another desk's 100,000 rows never
crowd theirs out of the candidates — built on first use and then kept fresh incrementally: before a
search, one query asks for the highest row id (the primary key index, no scan), and only rows above the last
one seen are fetched and appended (``MatchingIndex.add``: no rebuild, the same index a full build would give).
Rows are never edited (a changed or withdrawn verdict retires its row and writes a new one,
``services.references``), so an append-only index stays exact: a search over-fetches (``POOL`` candidates) and
the database then keeps only live rows the user may see (``access.references_visible``), which also drops rows
deleted with their annotation. Retired rows cost only index memory; once more than a quarter of the indexed
rows are gone (checked at most every ``REBUILD_CHECK`` seconds: one COUNT), the index is rebuilt. So an approval
costs the web processes one small fetch each at their next search, never a rebuild — at 100,000 verdicts the
first search of a process builds for ~7 s (0.73 s measured for 10,375 claims), later ones add in microseconds.

**The score.** BM25F only ranks; what is shown is ``domain.matching.similarity`` (0–1, the same scale for every
query and desk), with the thresholds calibrated on hand-labelled seed-sentence pairs (``SHOW_AT``, ``LIKELY_AT``,
``DUPLICATE_AT``).
"""

import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser

from annotations import access
from annotations.domain.agreement import is_disagreement
from annotations.domain.matching import DUPLICATE_AT, LIKELY_AT, SHOW_AT, MatchingIndex, build_index, similarity
from annotations.domain.vocabulary import AnnotationStatus, ReferenceSource
from annotations.models import Annotation, Claim, ReferenceClaim

POOL = 50  # BM25F candidates per query and desk before the access filter and the similarity score
REBUILD_CHECK = 600.0  # seconds between checks of how many indexed rows were retired or deleted
MAX_RESULTS = 20


class _ProcessIndex:
    """One BM25F index per desk (so a big desk's rows never crowd a small desk's out of a search's candidates),
    appended to as rows arrive; see the module docstring."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        self.indexes: dict[int, MatchingIndex] = {}
        self.size = 0
        self.last_id = 0
        self.checked_at = 0.0
        self.built = False

    def _add(self, after: int) -> None:
        rows = (ReferenceClaim.objects.filter(pk__gt=after, retired_at__isnull=True).order_by("pk")
                .values_list("pk", "project_id", "text", "title").iterator(chunk_size=5000))  # fmt: skip
        batches: dict[int, list] = {}
        for pk, project_id, text, title in rows:
            batches.setdefault(project_id, []).append((str(pk), (text, title)))
            self.last_id = max(self.last_id, pk)
        for project_id, batch in batches.items():
            if project_id not in self.indexes:
                self.indexes[project_id] = build_index([], mode=settings.MATCHING_MODE)
            self.indexes[project_id].add(batch)
            self.size += len(batch)

    def _build(self) -> None:
        self.reset()
        self._add(0)
        self.built, self.checked_at = True, time.monotonic()

    def current(self) -> dict[int, MatchingIndex]:
        with self._lock:
            if not self.built:
                self._build()
                return self.indexes
            newest = ReferenceClaim.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
            if newest < self.last_id:  # the table was emptied or restored: start again
                self._build()
            elif newest > self.last_id:
                self._add(self.last_id)
                self.last_id = max(self.last_id, newest)
            if time.monotonic() - self.checked_at > REBUILD_CHECK:
                self.checked_at = time.monotonic()
                live = ReferenceClaim.objects.filter(retired_at__isnull=True).count()
                if self.size and live < 0.75 * self.size:
                    self._build()
            return self.indexes


_INDEX = _ProcessIndex()


def reset_index() -> None:
    """Forget this process's index (tests; it is rebuilt at the next search)."""
    _INDEX.reset()


@dataclass(frozen=True)
class Match:
    reference: ReferenceClaim
    score: float

    @property
    def likely(self) -> bool:
        return self.score >= LIKELY_AT

    @property
    def duplicate(self) -> bool:
        return self.score >= DUPLICATE_AT


@dataclass(frozen=True)
class Query:
    """One text to match, and what must not count as "checked before" for it: its own verdicts (an annotation
    and the claim it judges, or the claim and its annotations)."""

    key: object
    text: str
    annotation_id: int | None = None
    claim_id: int | None = None
    document_id: int | None = None
    span: tuple[int, int] | None = None


def _excluded(query: Query, row: ReferenceClaim) -> bool:
    annotation = row.annotation
    if annotation is None:
        return False
    if query.annotation_id is not None and annotation.pk == query.annotation_id:
        return True
    if query.claim_id is not None and annotation.claim_id == query.claim_id:
        return True
    if query.document_id is not None and query.span is not None and annotation.document_id == query.document_id:
        start, end = query.span
        return annotation.start < end and start < annotation.end  # a verdict on these very words
    return False


def similar_many(user: AbstractBaseUser, queries: Iterable[Query], *, k: int = 5, min_score: float = SHOW_AT,
                 project_id: int | None = None) -> dict[object, list[Match]]:  # fmt: skip
    """For each query, up to ``k`` already-checked claims the user may see, best first, scoring at least
    ``min_score`` (``project_id``: of that desk only). One database query for all of them."""
    queries = list(queries)
    indexes = _INDEX.current()
    desks = access.roles_by_project(user).keys() if project_id is None else [project_id]
    mine = [indexes[desk] for desk in desks if desk in indexes]
    candidates = {
        query.key: [int(pk) for index in mine for pk, _ in index.search(query.text, k=POOL)] for query in queries
    }
    ids = {pk for pks in candidates.values() for pk in pks}
    # the access layer decides (blind desks, retired rows); the desks above only narrow the candidates
    rows = access.references_visible(user).filter(pk__in=ids) if ids else ReferenceClaim.objects.none()
    rows = {row.pk: row for row in rows.select_related("project", "annotation__document", "annotation__author")}
    result = {}
    for query in queries:
        matches = []
        for pk in candidates[query.key]:
            row = rows.get(pk)
            if row is None or _excluded(query, row):
                continue
            score = similarity(query.text, row.text)
            if score >= min_score:
                matches.append(Match(row, round(score, 4)))
        matches.sort(key=lambda m: (-m.score, m.reference.pk))
        result[query.key] = matches[:k]
    return result


def similar_to_text(user: AbstractBaseUser, text: str, **kwargs) -> list[Match]:
    return similar_many(user, [Query("text", text)], **kwargs)["text"]


def similar_to_claim(user: AbstractBaseUser, claim: Claim, **kwargs) -> list[Match]:
    query = Query(claim.pk, claim.text, claim_id=claim.pk, document_id=claim.document_id, span=(claim.start, claim.end))
    return similar_many(user, [query], **kwargs)[claim.pk]


def claim_queries(claims: Iterable[Claim]) -> list[Query]:
    return [Query(c.pk, c.text, claim_id=c.pk, document_id=c.document_id, span=(c.start, c.end)) for c in claims]


def annotation_query(annotation: Annotation) -> Query:
    return Query(annotation.pk, annotation.quote, annotation_id=annotation.pk, claim_id=annotation.claim_id,
                 document_id=annotation.document_id, span=(annotation.start, annotation.end))  # fmt: skip


def similar_to_annotation(user: AbstractBaseUser, annotation: Annotation, **kwargs) -> list[Match]:
    return similar_many(user, [annotation_query(annotation)], **kwargs)[annotation.pk]


def contradictions(user: AbstractBaseUser, annotations: list[Annotation]) -> dict[int, list[Match]]:
    """For each annotation with a verdict: earlier published verdicts (and imported fact-checks) on a matching
    claim — likely the same claim (``LIKELY_AT``) — whose verdict is two or more steps away on the scale
    (``domain.agreement.is_disagreement``). The review screen and the queue flag them."""
    judged = [a for a in annotations if a.verdict]
    found = similar_many(user, [annotation_query(a) for a in judged], k=MAX_RESULTS, min_score=LIKELY_AT)
    result: dict[int, list[Match]] = {a.pk: [] for a in annotations}
    for a in judged:
        for match in found[a.pk]:
            row = match.reference
            published = row.source == ReferenceSource.CLAIMREVIEW or row.status == AnnotationStatus.PUBLISHED
            if published and row.verdict and is_disagreement([a.verdict, row.verdict]):
                result[a.pk].append(match)
    return result
