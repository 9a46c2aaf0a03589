"""Re-anchoring a stored quote in a new version of its text, or reporting it as an orphan.

An annotation keeps a W3C TextQuoteSelector (``exact`` plus 32 characters of ``prefix`` and ``suffix``,
see ``spans.quote_selector``) and a TextPositionSelector (``start``). When a corrected version of the
article arrives, every annotation must land on the same words again or be left unplaced: a highlight on
the wrong sentence is worse than none, because a fact-checker would trust it.

The strategy is the Hypothesis client's (``match-quote.ts``), made stricter about context:

1. **position** — the quote still sits at its old offset and its context agrees: keep it;
2. **exact** — the quote occurs verbatim elsewhere: of the occurrences whose context agrees on both sides,
   the one nearest the old position (a repeated passage is told apart by where it was); failing that, the
   occurrence whose prefix/suffix agree best;
3. **fuzzy** — the quote was lightly edited (typo fixed, punctuation, quote style, spacing): an
   approximate search (edlib, Myers' bit-vector edit distance, "HW" infix mode) for the quote *with*
   its context, then for the quote alone, first in a window around the old position, then in the whole
   text; each candidate's boundaries are refined and it is scored by quote + context similarity.

Unlike Hypothesis, an exact or fuzzy match is accepted only when at least one side of its context agrees
(hypothesis/client#7571: a look-alike quote after an edit must orphan, not move). Scores use
Hypothesis's weights, ``(50·quote + 20·prefix + 20·suffix + 2·position) / 92``, with normalised
Levenshtein similarity (rapidfuzz). Offsets are Python ``str`` indices (code points), as everywhere
in the database (``spans.py``); edlib runs on UTF-8 bytes, converted back before anything is returned.
Deterministic: no randomness, ties broken by distance to the old position and then by offset.

>>> text = "Prices rose. Wages rose 3 percent last year, the minister said."
>>> anchor(text, exact="Wages rose 3 percent", prefix="Prices rose. ", suffix=" last year", start=13)
(13, 33)
>>> anchor("Breaking: " + text, exact="Wages rose 3 percent", prefix="Prices rose. ", suffix=" last year", start=13)
(23, 43)
>>> anchor("Prices rose.", exact="Wages rose 3 percent", prefix="Prices rose. ", suffix=" last year", start=13)
"""

import re
from bisect import bisect_left
from dataclasses import dataclass
from typing import Literal

import edlib
from rapidfuzz.distance import Levenshtein

Method = Literal["position", "exact", "fuzzy"]

# Hypothesis's weights (match-quote.ts): the quote counts most, each side of context a little less, the old
# position only breaks near-ties.
_W_QUOTE, _W_PREFIX, _W_SUFFIX, _W_POSITION = 50.0, 20.0, 20.0, 2.0
_W_TOTAL = _W_QUOTE + _W_PREFIX + _W_SUFFIX + _W_POSITION
_MAX_EXACT_CANDIDATES = 500  # occurrences of a very common quote kept, nearest to the old position first
_MAX_FUZZY_LOCATIONS = 20  # tied best locations of one approximate search that are examined
_REFINE = 4  # characters each boundary of a fuzzy match may move while it is refined


@dataclass(frozen=True)
class Thresholds:
    """The knobs of ``anchor_detail``; the defaults were chosen on the tuning half of the CT20 Task 5
    transcripts (``bench_nlp anchoring`` reports them against the held-out half). Context similarities of
    unrelated 32-character passages of that text are 0.16 (median) and 0.31 (99th percentile)."""

    position_context: float = 0.8  # the old offset is kept outright when mean(prefix, suffix) reaches this
    context: float = 0.7  # a verbatim match elsewhere needs max(prefix, suffix) at least this…
    unique_context: float = 0.0  # …or only this when it is the only occurrence and near its old place
    unique_distance: int = 2000  # "near" for that rule, in characters
    fuzzy_context: float = 0.5  # an approximate match needs min(prefix, suffix) at least this
    near_fuzzy_context: float = 0.7  # …or max(prefix, suffix) this when within ``unique_distance``…
    near_fuzzy_quote: float = 0.94  # …and the quote similarity at least this
    quote: float = 0.85  # an approximate match needs the (normalised) quote similarity at least this
    max_errors: float = 0.3  # edlib's k as a fraction of the searched string (quote, or quote with context)
    window: int = 2000  # characters searched either side of the old span before the whole text


THRESHOLDS = Thresholds()


@dataclass(frozen=True)
class Anchoring:
    """Where a quote landed and how sure we are; ``quote_changed`` tells the app to flag the annotation
    ("the quoted text changed, re-check") even though it was placed."""

    start: int
    end: int
    method: Method
    score: float  # 0–1, Hypothesis-style weighted similarity of quote, prefix, suffix and position
    quote_similarity: float
    prefix_similarity: float
    suffix_similarity: float
    quote_changed: bool


def anchor(text: str, *, exact: str, prefix: str, suffix: str, start: int | None = None) -> tuple[int, int] | None:
    """``(start, end)`` of the quote in ``text``, or None when it cannot be placed with confidence."""
    found = anchor_detail(text, exact=exact, prefix=prefix, suffix=suffix, start=start)
    return None if found is None else (found.start, found.end)


def anchor_detail(
    text: str,
    *,
    exact: str,
    prefix: str,
    suffix: str,
    start: int | None = None,
    thresholds: Thresholds = THRESHOLDS,
) -> Anchoring | None:
    """The full answer of ``anchor``: offsets, the method that found them, the score and whether the
    quoted text itself changed. None means orphan (including an empty ``exact``)."""
    if not exact or not text:
        return None
    if start is not None and not 0 <= start <= len(text):
        start = None  # an offset outside the new text carries no information
    scorer = _Scorer(text, exact, prefix, suffix, start)
    if start is not None and text.startswith(exact, start):
        kept = scorer.score(start, start + len(exact))
        if (kept.prefix_similarity + kept.suffix_similarity) / 2 >= thresholds.position_context:
            return kept
    occurrences = _occurrences(text, exact, start)
    scored = [scorer.score(at, at + len(exact)) for at in occurrences]
    holding = [a for a in scored if _verbatim_holds(a, occurrences, scorer, thresholds)]
    # Several verbatim places whose context agrees are a repeated passage (a transcript's repeated exchange, a
    # list of links): the one nearest the old position is the annotated one, even when an edit next to it
    # spoiled one side of its context and the other copy's is intact (the order: position, then the
    # exact match nearest it). Scores decide only without an old position.
    nearest = min(holding, key=lambda a: (scorer.distance(a), -a.score, a.start)) if holding else None
    both_sides = any(min(a.prefix_similarity, a.suffix_similarity) >= thresholds.context for a in holding)
    if nearest is not None and both_sides:
        return nearest  # nothing approximate can do better than a verbatim quote with its context
    candidates = [] if nearest is None else [nearest]
    approximate = _fuzzy(scorer, occurrences, thresholds)
    if approximate is not None:
        candidates.append(approximate)
    return _best(candidates)


def _verbatim_holds(found: Anchoring, occurrences: list[int], scorer: "_Scorer", thresholds: Thresholds) -> bool:
    """A verbatim quote stands with one side of its context intact (an edit next to the quote spoils only
    that side), or, with both sides rewritten, when it is the only occurrence and still near its old place.
    Neither: the words were found among other words — a repeated phrase, not the annotated passage.
    (The price of the unique rule: a sentence said twice nearby, one copy deleted, lands on the other copy.
    On the tuning half ``unique_context`` 0 → 0.35 traded 0.3 % of (b) orphaned for 0.3 % of (d) anchored;
    0 is the only value that kept every (b) span.)"""
    context = max(found.prefix_similarity, found.suffix_similarity)
    if context >= thresholds.context:
        return True
    near = scorer.start is not None and scorer.distance(found) <= thresholds.unique_distance
    return len(occurrences) == 1 and near and context >= thresholds.unique_context


# ---- scoring -------------------------------------------------------------------------------------------


class _Scorer:
    """Scores candidate spans of one text against one stored quote selector."""

    def __init__(self, text: str, exact: str, prefix: str, suffix: str, start: int | None):
        self.text, self.exact, self.prefix, self.suffix, self.start = text, exact, prefix, suffix, start
        self._exact, self._prefix, self._suffix = _normalise(exact), _normalise(prefix), _normalise(suffix)

    def similarities(self, start: int, end: int) -> tuple[float, float, float]:
        """Quote, prefix and suffix similarity at a candidate span, after ``_normalise``."""
        text = self.text
        if text.startswith(self.exact, start) and end - start == len(self.exact):
            quote = 1.0
        else:
            quote = Levenshtein.normalized_similarity(_normalise(text[start:end]), self._exact)
        before = _normalise(text[max(0, start - len(self.prefix)) : start])
        after = _normalise(text[end : end + len(self.suffix)])
        prefix = Levenshtein.normalized_similarity(before, self._prefix)
        return quote, prefix, Levenshtein.normalized_similarity(after, self._suffix)

    def distances(self, start: int, end: int) -> tuple[int, int, int]:
        """Quote, prefix and suffix edit distances at a candidate span, after ``_normalise``."""
        text = self.text
        before = _normalise(text[max(0, start - len(self.prefix)) : start])
        after = _normalise(text[end : end + len(self.suffix)])
        return (
            Levenshtein.distance(_normalise(text[start:end]), self._exact),
            Levenshtein.distance(before, self._prefix),
            Levenshtein.distance(after, self._suffix),
        )

    def score(self, start: int, end: int) -> Anchoring:
        quote, before, after = self.similarities(start, end)
        position = 1.0 if self.start is None else 1.0 - abs(start - self.start) / max(1, len(self.text))
        score = (_W_QUOTE * quote + _W_PREFIX * before + _W_SUFFIX * after + _W_POSITION * position) / _W_TOTAL
        unchanged = quote == 1.0 and self.text[start:end] == self.exact
        if unchanged and start == self.start:
            method: Method = "position"
        else:
            method = "exact" if unchanged else "fuzzy"
        return Anchoring(start, end, method, round(score, 4), quote, before, after, not unchanged)

    def distance(self, candidate: Anchoring) -> int:
        return 0 if self.start is None else abs(candidate.start - self.start)


_QUOTE_MARKS = str.maketrans({"‘": "'", "’": "'", "‚": "'", "‛": "'", "“": '"', "”": '"', "„": '"', "‟": '"'})
_WHITESPACE = re.compile(r"\s+")


def _normalise(text: str) -> str:
    """Straight quote marks and single spaces: a change of quote style or spacing is no change of wording,
    so it must not cost a real edit's worth of similarity (the quote is still reported as changed)."""
    return _WHITESPACE.sub(" ", text.translate(_QUOTE_MARKS))


def _best(candidates) -> Anchoring | None:
    """Highest score; ties go to the earliest offset (scores already include nearness to the old start)."""
    best = None
    for candidate in candidates:
        if best is None or (candidate.score, -candidate.start) > (best.score, -best.start):
            best = candidate
    return best


def _occurrences(text: str, exact: str, start: int | None) -> list[int]:
    found = []
    at = text.find(exact)
    while at >= 0:
        found.append(at)
        at = text.find(exact, at + 1)
    if len(found) > _MAX_EXACT_CANDIDATES:
        found = sorted(found, key=lambda at: (abs(at - (start or 0)), at))[:_MAX_EXACT_CANDIDATES]
    return found


# ---- approximate search --------------------------------------------------------------------------------


def _fuzzy(scorer: _Scorer, occurrences: list[int], thresholds: Thresholds) -> Anchoring | None:
    """Window around the old span first (cheap, and where a light edit leaves the quote), then the text.

    A candidate overlapping a verbatim occurrence is dropped: that place was judged by the verbatim rules,
    and an approximate span there only trades quote characters for context (a boundary moved into an
    edited prefix)."""
    text, start = scorer.text, scorer.start
    spans = []
    if start is not None:
        low = max(0, start - len(scorer.prefix) - thresholds.window)
        high = min(len(text), start + len(scorer.exact) + len(scorer.suffix) + thresholds.window)
        spans.append((low, high))
    if not spans or spans[0] != (0, len(text)):
        spans.append((0, len(text)))
    ordered = sorted(occurrences)
    for low, high in spans:
        accepted = []
        for rough_start, rough_end in _approximate_spans(scorer, low, high, thresholds):
            candidate = _refine(scorer, rough_start, rough_end)
            if _overlaps_any(ordered, len(scorer.exact), candidate.start, candidate.end):
                continue
            if candidate.quote_similarity >= thresholds.quote and _fuzzy_context_agrees(scorer, candidate, thresholds):
                accepted.append(candidate)
        if accepted:
            return _tightest(accepted)
    return None


def _tightest(candidates: list[Anchoring]) -> Anchoring:
    """The best-scoring place, with the boundaries of whichever candidate there is most like the quote: the
    score's context terms decide *where*, but words inserted right next to the quote raise the context
    score of a span that swallows them, and they are not part of what was annotated."""
    best = _best(candidates)
    here = [c for c in candidates if c.start < best.end and best.start < c.end]
    return max(here, key=lambda c: (c.quote_similarity, c.score, -c.start))


def _fuzzy_context_agrees(scorer: _Scorer, candidate: Anchoring, thresholds: Thresholds) -> bool:
    """Both sides of the context agree, or one side is intact and the match is near its old place (an edit
    next to the quote as well as in it). Far away, one side is not enough: a look-alike sentence after the
    same formula ("Thank you. This is our vision." for "Thank you. This is our mission.") would pass."""
    if min(candidate.prefix_similarity, candidate.suffix_similarity) >= thresholds.fuzzy_context:
        return True
    one_side = max(candidate.prefix_similarity, candidate.suffix_similarity) >= thresholds.near_fuzzy_context
    near = scorer.start is not None and scorer.distance(candidate) <= thresholds.unique_distance
    return one_side and near and candidate.quote_similarity >= thresholds.near_fuzzy_quote


def _overlaps_any(starts: list[int], length: int, start: int, end: int) -> bool:
    """Whether any ``[s, s + length)`` of the sorted ``starts`` overlaps ``[start, end)``."""
    i = bisect_left(starts, start - length + 1)
    return i < len(starts) and starts[i] < end


def _approximate_spans(scorer: _Scorer, low: int, high: int, thresholds: Thresholds) -> list[tuple[int, int]]:
    """Rough character spans of the quote in ``text[low:high]``: where edlib aligns the quote with its
    context (the context pins down a short or repeated quote), and where it aligns the quote alone (for
    when one side of the context was rewritten too)."""
    segment = scorer.text[low:high]
    target = segment.encode("utf-8")
    ascii_only = len(target) == len(segment)

    def to_char(byte_offset: int) -> int:
        if ascii_only:
            return low + byte_offset
        return low + len(target[:byte_offset].decode("utf-8", "ignore"))

    old_byte = None
    if scorer.start is not None:
        old_byte = len(scorer.text[low : max(low, scorer.start)].encode("utf-8"))
    spans: list[tuple[int, int]] = []
    prefix, exact, suffix = (part.encode("utf-8") for part in (scorer.prefix, scorer.exact, scorer.suffix))
    for needle, inner_start, inner_end in (
        (prefix + exact + suffix, len(prefix), len(prefix) + len(exact)),
        (exact, 0, len(exact)),
    ):
        k = max(1, int(len(needle) * thresholds.max_errors))
        found = edlib.align(needle, target, mode="HW", task="locations", k=k)
        if found["editDistance"] < 0:
            continue
        locations = found["locations"]
        if old_byte is not None:
            locations = sorted(locations, key=lambda loc: (abs(loc[0] + inner_start - old_byte), loc[0]))
        for loc_start, loc_end in locations[:_MAX_FUZZY_LOCATIONS]:
            if inner_start == 0 and inner_end == len(needle):
                spans.append((to_char(loc_start), to_char(loc_end + 1)))
                continue
            piece = target[loc_start : loc_end + 1]
            path = edlib.align(needle, piece, mode="NW", task="path")
            s, e = _project(path["cigar"], inner_start, inner_end)
            spans.append((to_char(loc_start + s), to_char(loc_start + e)))
    return list(dict.fromkeys(spans))


def _project(cigar: str, inner_start: int, inner_end: int) -> tuple[int, int]:
    """Target offsets where the query offsets ``inner_start`` and ``inner_end`` fall along an edlib
    extended CIGAR (``=``/``X`` consume both, ``I`` the query only, ``D`` the target only)."""
    query = target = 0
    mapped_start = mapped_end = None
    number = ""
    for char in cigar:
        if char.isdigit():
            number += char
            continue
        for _ in range(int(number)):
            if mapped_start is None and query == inner_start:
                mapped_start = target
            if mapped_end is None and query == inner_end:
                mapped_end = target
            if char in "=XI":
                query += 1
            if char in "=XD":
                target += 1
        number = ""
    mapped_start = target if mapped_start is None else mapped_start
    mapped_end = target if mapped_end is None else mapped_end
    return mapped_start, max(mapped_start, mapped_end)


def _refine(scorer: _Scorer, start: int, end: int) -> Anchoring:
    """Move each boundary up to ``_REFINE`` characters to where quote and context agree best: an edit at
    the edge of the quote (a changed full stop, an extra space) leaves the aligner's boundary ambiguous.

    Measured in edits, with context edits at half weight: moving a boundary by one character changes the
    context by at most one edit, so it never pays to give up a character of the quote for context."""
    text_length = len(scorer.text)

    def cost(s: int, e: int) -> tuple[float, int]:
        quote, before, after = scorer.distances(s, e)
        return quote + 0.5 * (before + after), abs(s - start) + abs(e - end)

    best_start, best_end = start, end
    for _ in range(2):
        best_start = min(
            range(max(0, best_start - _REFINE), min(best_end - 1, best_start + _REFINE) + 1),
            key=lambda s: cost(s, best_end),
            default=best_start,
        )
        best_end = min(
            range(max(best_start + 1, best_end - _REFINE), min(text_length, best_end + _REFINE) + 1),
            key=lambda e: cost(best_start, e),
            default=best_end,
        )
    return scorer.score(best_start, best_end)
