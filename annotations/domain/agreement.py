"""Inter-reviewer agreement on verdicts (issue 7 §3): pure functions, no Django.

A *unit* is one thing several reviewers judged independently — one ``Claim``, or a group of spans that overlap
enough (:func:`group_spans`). The caller forms units and passes one :class:`Judgement` per (unit, reviewer).

Verdicts are ordinal, ``true`` (5) > ``mostly_true`` (4) > ``mixed`` (3) > ``mostly_false`` (2) > ``false`` (1);
``unverifiable`` is outside that scale. How each statistic treats it:

======================================  =========================================================================
statistic                               ``unverifiable``
======================================  =========================================================================
:func:`percent_agreement`               a category like any other (exact match)
:func:`fleiss_kappa`                    a category like any other (nominal)
:func:`cohen_kappa_linear`              the unit is left out for that pair (ordinal scale only)
:func:`krippendorff_alpha_ordinal`      a missing value (α handles missing data natively)
:func:`is_disagreement`                 ignored: "unverifiable" against a rated verdict is not by itself a flag
======================================  =========================================================================

Conventions shared by every function here:

* If a reviewer judged the same unit more than once, the **last** judgement in the input counts.
* A verdict string that is not a :class:`~annotations.domain.verdicts.Verdict` value raises ``ValueError``
  (a caller bug); a statistic that is *undefined* for the data (too few units, no variation, nothing to pair)
  is returned as ``None`` — nothing here divides by zero.
* Chance-corrected coefficients (κ, α) are ``None`` when every pairable judgement falls in one category:
  expected disagreement is then 0 and the coefficient is 0/0, even though observed agreement is perfect
  (percent agreement reports that case as 1.0).

Libraries: Krippendorff's α is the ``krippendorff`` package (``level_of_measurement="ordinal"``, numpy only);
Fleiss' κ and linear-weighted Cohen's κ are implemented here (a dozen lines each, exact arithmetic with
:class:`fractions.Fraction`), so importing this module does not load scikit-learn (over a second on a cold
worker). Each is validated in ``annotations/tests/domain/test_agreement.py`` against a published or
hand-checkable worked example, and Cohen's κ also against scikit-learn's ``cohen_kappa_score(weights="linear")``
on random data.

>>> js = [Judgement("c1", "ann", "true"), Judgement("c1", "bob", "mostly_true"),
...       Judgement("c2", "ann", "false"), Judgement("c2", "bob", "false")]
>>> percent_agreement(js)
0.5
>>> is_disagreement(["true", "mostly_true"]), is_disagreement(["true", "mixed"])
(False, True)
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from itertools import combinations
from typing import Any

import krippendorff
import numpy as np

from annotations.domain.verdicts import Verdict

__all__ = [
    "Judgement",
    "cohen_kappa_linear",
    "fleiss_kappa",
    "group_spans",
    "is_disagreement",
    "krippendorff_alpha_ordinal",
    "pairwise_report",
    "percent_agreement",
    "project_report",
]

#: The ordinal scale, worst to best (ratings 1..5); ``unverifiable`` is not on it.
SCALE: tuple[int, ...] = (1, 2, 3, 4, 5)


@dataclass(frozen=True)
class Judgement:
    """One reviewer's verdict on one unit.

    >>> Judgement(unit=("claim", 7), rater="editor", verdict="mixed").verdict
    'mixed'
    """

    unit: Hashable
    rater: Hashable
    verdict: str


# ---------------------------------------------------------------------------------------------------------------------
# Units from spans


def group_spans(
    spans: Sequence[tuple[Hashable, int, int]], min_overlap: float = 0.5, *, contain: bool = False
) -> dict[Hashable, int]:
    """Group overlapping spans of ONE document into units; returns ``{span key: unit id}``.

    Two spans are *linked* when the characters they share are at least ``min_overlap`` of the **longer** span's
    length — i.e. each span covers at least half of the other at the default 0.5 (the boundary, exactly 50 %,
    counts as linked). Comparing with the longer span keeps a short span from being swallowed by a long one it
    merely sits inside. Units are the connected components of that relation (union-find), so grouping is
    transitive: if A links to B and B links to C, all three are one unit even when A and C do not overlap.

    Unit ids are ``0, 1, 2, …`` in the order each unit's first span appears in the input. A span with no partner
    is a unit of its own; an empty span (start == end) never links. Spans with an explicit ``Claim`` should be
    grouped by claim by the caller, and ids from here namespaced (e.g. ``("spans", doc_id, uid)``) so they cannot
    clash with claim units.

    With ``contain``, a span inside another (a clause of a sentence) is linked to it too, whatever its length.

    Raises ``ValueError`` for a repeated key, a negative start or an end before its start.

    >>> group_spans([("a", 0, 10), ("b", 5, 15), ("c", 40, 50)])
    {'a': 0, 'b': 0, 'c': 1}
    >>> group_spans([("a", 0, 10), ("b", 6, 16)])  # 4 shared chars < 50 % of 10
    {'a': 0, 'b': 1}
    """
    if not 0 < min_overlap <= 1:
        raise ValueError(f"min_overlap must be in (0, 1], got {min_overlap!r}")
    keys = [key for key, _, _ in spans]
    if len(set(keys)) != len(keys):
        raise ValueError("span keys must be unique")
    for key, start, end in spans:
        if start < 0 or end < start:
            raise ValueError(f"span {key!r} has invalid offsets [{start}, {end})")

    parent = list(range(len(spans)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def union(i: int, j: int) -> None:
        ri, rj = find(i), find(j)
        if ri != rj:
            parent[max(ri, rj)] = min(ri, rj)  # the root is always the earliest input position

    order = sorted(range(len(spans)), key=lambda i: (spans[i][1], spans[i][2]))
    for pos, i in enumerate(order):
        _, start_i, end_i = spans[i]
        for j in order[pos + 1 :]:
            _, start_j, end_j = spans[j]
            if start_j >= end_i:
                break  # sorted by start: no later span overlaps i either
            shared = min(end_i, end_j) - start_j
            longer = max(end_i - start_i, end_j - start_j)
            # A division (not min_overlap * longer) so that a ratio equal to a decimal threshold such as 0.3
            # compares equal to it: both round to the same double.
            inside = contain and (end_j <= end_i or start_j == start_i)  # sorted by start: j in i, or i in j
            if shared > 0 and (shared / longer >= min_overlap or inside):
                union(i, j)

    unit_ids: dict[int, int] = {}
    result: dict[Hashable, int] = {}
    for i, (key, _, _) in enumerate(spans):
        result[key] = unit_ids.setdefault(find(i), len(unit_ids))
    return result


def claim_units(items: Sequence[tuple[Hashable, int, int, Hashable | None]]) -> dict[Hashable, int]:
    """The app's one "same claim" rule, for the annotations of ONE document as (key, start, end, claim id or
    None): two annotations judge the same claim when they are linked to the same candidate Claim, or one span
    contains the other (a clause inside the sentence), or they share at least half of the longer span; units
    are the connected components. Used by the review queue, the review screen, the agreement statistics and the
    check that contradictory verdicts are not both published.

    >>> claim_units([("sentence", 0, 60, None), ("clause", 20, 35, None), ("other", 70, 90, None)])
    {'sentence': 0, 'clause': 0, 'other': 1}
    >>> claim_units([("a", 0, 10, 7), ("b", 50, 60, 7), ("c", 50, 60, None)])  # a and b: one claim
    {'a': 0, 'b': 0, 'c': 0}
    """
    spans = group_spans([(key, start, end) for key, start, end, _ in items], contain=True)
    parent = {unit: unit for unit in spans.values()}

    def find(unit: int) -> int:
        while parent[unit] != unit:
            parent[unit] = parent[parent[unit]]
            unit = parent[unit]
        return unit

    first_of_claim: dict[Hashable, int] = {}
    for key, _, _, claim in items:
        if claim is None:
            continue
        unit = find(spans[key])
        if claim in first_of_claim:
            a, b = find(first_of_claim[claim]), unit
            parent[max(a, b)] = min(a, b)
        else:
            first_of_claim[claim] = unit
    roots: dict[int, int] = {}
    return {key: roots.setdefault(find(spans[key]), len(roots)) for key, _, _, _ in items}


# ---------------------------------------------------------------------------------------------------------------------
# Helpers


def _by_unit(judgements: Iterable[Judgement]) -> dict[Hashable, dict[Hashable, Verdict]]:
    """``{unit: {rater: Verdict}}`` in input order; a repeated (unit, rater) keeps its last verdict."""
    units: dict[Hashable, dict[Hashable, Verdict]] = {}
    for j in judgements:
        units.setdefault(j.unit, {})[j.rater] = Verdict(j.verdict)
    return units


def _shared_units(judgements: Iterable[Judgement]) -> dict[Hashable, dict[Hashable, Verdict]]:
    """Only the units judged by at least two reviewers."""
    return {unit: raters for unit, raters in _by_unit(judgements).items() if len(raters) >= 2}


def _ratio(numerator: Fraction | int, denominator: Fraction | int) -> float | None:
    return None if denominator == 0 else float(Fraction(numerator) / Fraction(denominator))


def _pairs(n: int) -> int:
    return n * (n - 1) // 2


# ---------------------------------------------------------------------------------------------------------------------
# Statistics


def percent_agreement(judgements: Iterable[Judgement]) -> float | None:
    """Share of agreeing reviewer pairs, pooled over every pair of reviewers within every unit.

    A unit with *n* reviewers contributes *n(n-1)/2* pairs; a pair agrees on an exact verdict match
    (``unverifiable`` included). Units with a single reviewer are ignored; ``None`` if there is no pair at all.

    >>> percent_agreement([Judgement(1, "a", "true"), Judgement(1, "b", "true"), Judgement(1, "c", "false")])
    0.3333333333333333
    >>> percent_agreement([Judgement(1, "a", "true")]) is None
    True
    """
    agreeing = total = 0
    for raters in _shared_units(judgements).values():
        agreeing += sum(_pairs(count) for count in Counter(raters.values()).values())
        total += _pairs(len(raters))
    return _ratio(agreeing, total)


def cohen_kappa_linear(judgements: Iterable[Judgement], rater_a: Hashable, rater_b: Hashable) -> float | None:
    """Cohen's κ with linear weights between two reviewers, on the ordinal 1..5 scale.

    Uses the units both reviewers rated on the scale (a unit where either said ``unverifiable`` is left out).
    Weights are ``|i - j|`` over the full scale 1..5, whichever ratings occur, so the distance between
    ``false`` and ``mixed`` is always 2 steps. ``None`` with fewer than 2 such units, or when κ is undefined
    (both reviewers used one and the same rating throughout: expected disagreement 0).

    Computed exactly as ``κ_w = 1 - D_o / D_e``, with ``D_o`` the mean ``|a_u - b_u|`` over the units and ``D_e``
    the mean ``|a_i - b_j|`` over all *n²* cross pairs — the same number as scikit-learn's
    ``cohen_kappa_score(a, b, labels=[1, 2, 3, 4, 5], weights="linear")`` (checked in the tests).

    >>> js = [Judgement(u, "a", v) for u, v in enumerate(["false", "mixed", "true"])]
    >>> js += [Judgement(u, "b", v) for u, v in enumerate(["false", "mostly_true", "true"])]
    >>> round(cohen_kappa_linear(js, "a", "b"), 4)  # D_o = 1/3, D_e = 17/9: 1 - (1/3) / (17/9) = 14/17
    0.8235
    """
    a: list[int] = []
    b: list[int] = []
    for raters in _by_unit(judgements).values():
        if rater_a in raters and rater_b in raters:
            ra, rb = raters[rater_a].rating, raters[rater_b].rating
            if ra is not None and rb is not None:
                a.append(ra)
                b.append(rb)
    if len(a) < 2:
        return None
    n = len(a)
    observed = sum(abs(ra - rb) for ra, rb in zip(a, b, strict=True))  # n · D_o
    counts_a, counts_b = Counter(a), Counter(b)
    expected = sum(  # n² · D_e, from the rating counts: O(n + 25) instead of O(n²)
        ca * cb * abs(ra - rb) for ra, ca in counts_a.items() for rb, cb in counts_b.items()
    )
    # D_e is 0 only when every rating of both reviewers is one and the same value: κ undefined, None.
    return _ratio(expected - n * observed, expected)


def fleiss_kappa(judgements: Iterable[Judgement]) -> float | None:
    """Fleiss' κ over the six verdicts as nominal categories (``unverifiable`` included).

    Fleiss (1971) assumes every unit has the same number of reviewers *n*. Here units may differ, so this uses
    the direct generalisation: per-unit agreement ``P_i = Σ_j n_ij(n_ij - 1) / (n_i(n_i - 1))`` averaged with
    every unit weighted equally, and chance agreement ``P_e = Σ_j p_j²`` from the category shares ``p_j`` pooled
    over all judgements. When every unit has the same count this is *exactly* Fleiss' formula (no units are
    dropped, unlike restricting to the modal reviewer count). Units with one reviewer are ignored.

    ``None`` without any unit of ≥ 2 reviewers, or when all judgements are in one category (``P_e = 1``).

    >>> js = [Judgement(u, r, v) for u, r, v in [(1, "a", "true"), (1, "b", "true"), (2, "a", "false"),
    ...                                          (2, "b", "false")]]
    >>> fleiss_kappa(js)
    1.0
    """
    units = _shared_units(judgements)
    if not units:
        return None
    observed = Fraction(0)
    totals: Counter[Verdict] = Counter()
    n_judgements = 0
    for raters in units.values():
        counts = Counter(raters.values())
        n = len(raters)
        observed += Fraction(sum(c * (c - 1) for c in counts.values()), n * (n - 1))
        totals.update(counts)
        n_judgements += n
    p_bar = observed / len(units)
    p_e = sum(Fraction(c, n_judgements) ** 2 for c in totals.values())
    return _ratio(p_bar - p_e, 1 - p_e)


def krippendorff_alpha_ordinal(judgements: Iterable[Judgement]) -> float | None:
    """Krippendorff's α with the ordinal metric on ratings 1..5; ``unverifiable`` counts as a missing value.

    Missing data is native to α: any number of reviewers per unit, and a unit contributes only when at least two
    of its values are on the scale ("pairable"). ``None`` when no unit has two pairable values, or when all
    pairable values are the same rating (expected disagreement 0).

    Computed by the ``krippendorff`` package (``alpha(value_counts=…, level_of_measurement="ordinal")``) over the
    fixed domain 1..5.

    >>> js = [Judgement(u, r, v) for u, r, v in [(1, "a", "true"), (1, "b", "true"), (2, "a", "false"),
    ...                                          (2, "b", "false"), (3, "a", "mixed"), (3, "b", "unverifiable")]]
    >>> krippendorff_alpha_ordinal(js)
    1.0
    """
    rows: list[list[int]] = []
    for raters in _by_unit(judgements).values():
        ratings = Counter(v.rating for v in raters.values() if v.rating is not None)
        if ratings.total() >= 2:
            rows.append([ratings[value] for value in SCALE])
    if not rows or sum(1 for column in zip(*rows, strict=True) if any(column)) < 2:
        return None
    with np.errstate(all="ignore"):
        alpha = float(
            krippendorff.alpha(value_counts=np.array(rows), value_domain=list(SCALE), level_of_measurement="ordinal")
        )
    return alpha if math.isfinite(alpha) else None


def is_disagreement(verdicts: Iterable[str]) -> bool:
    """Whether verdicts on one unit disagree enough to flag it (issue 7 §3).

    True when two verdicts on the scale are at least 2 steps apart (e.g. ``mostly_true`` vs ``mostly_false``);
    that includes every ``true`` vs ``false``. Adjacent verdicts are not flagged. ``unverifiable`` is ignored:
    "cannot tell" next to a rated verdict is not a disagreement by itself. Fewer than two rated verdicts → False.

    >>> is_disagreement(["true", "false"]), is_disagreement(["mixed", "mostly_true", "true"])
    (True, True)
    >>> is_disagreement(["true", "unverifiable"]), is_disagreement(["mostly_false", "false"])
    (False, False)
    """
    ratings = [r for r in (Verdict(v).rating for v in verdicts) if r is not None]
    return bool(ratings) and max(ratings) - min(ratings) >= 2


# ---------------------------------------------------------------------------------------------------------------------
# Reports (plain dicts: ready for JSON and templates)


def pairwise_report(judgements: Iterable[Judgement]) -> list[dict[str, Any]]:
    """One row per pair of reviewers who judged at least one unit in common.

    Keys: ``rater_a``, ``rater_b``, ``n_units`` (units both judged, ``unverifiable`` included),
    ``percent_agreement`` (exact match over those units), ``cohen_kappa_linear`` (see
    :func:`cohen_kappa_linear`; ``None`` when undefined). Reviewers appear in the order they first appear in
    the input, and ``rater_a`` always comes before ``rater_b`` in that order.

    >>> js = [Judgement(1, "a", "true"), Judgement(1, "b", "true"), Judgement(2, "a", "mixed"),
    ...       Judgement(2, "b", "false")]
    >>> pairwise_report(js)  # doctest: +NORMALIZE_WHITESPACE
    [{'rater_a': 'a', 'rater_b': 'b', 'n_units': 2, 'percent_agreement': 0.5, 'cohen_kappa_linear': 0.5}]
    """
    judgements = list(judgements)
    units = _by_unit(judgements)
    raters = list(dict.fromkeys(j.rater for j in judgements))
    rows = []
    for a, b in combinations(raters, 2):
        common = [(v[a], v[b]) for v in units.values() if a in v and b in v]
        if not common:
            continue
        rows.append(
            {
                "rater_a": a,
                "rater_b": b,
                "n_units": len(common),
                "percent_agreement": _ratio(sum(va == vb for va, vb in common), len(common)),
                "cohen_kappa_linear": cohen_kappa_linear(judgements, a, b),
            }
        )
    return rows


def project_report(judgements: Iterable[Judgement]) -> dict[str, Any]:
    """All agreement numbers for one project (or any set of judgements).

    ``n_units``, ``n_raters`` and ``n_judgements`` count only units judged by at least two reviewers (the
    statistics' input, after keeping each reviewer's last judgement per unit); then ``percent_agreement``,
    ``fleiss_kappa``, ``krippendorff_alpha_ordinal`` and ``pairs`` (:func:`pairwise_report`).

    >>> project_report([])  # doctest: +NORMALIZE_WHITESPACE
    {'n_units': 0, 'n_raters': 0, 'n_judgements': 0, 'percent_agreement': None, 'fleiss_kappa': None,
     'krippendorff_alpha_ordinal': None, 'pairs': []}
    """
    judgements = list(judgements)
    shared = _shared_units(judgements)
    return {
        "n_units": len(shared),
        "n_raters": len({rater for raters in shared.values() for rater in raters}),
        "n_judgements": sum(len(raters) for raters in shared.values()),
        "percent_agreement": percent_agreement(judgements),
        "fleiss_kappa": fleiss_kappa(judgements),
        "krippendorff_alpha_ordinal": krippendorff_alpha_ordinal(judgements),
        "pairs": pairwise_report(judgements),
    }
