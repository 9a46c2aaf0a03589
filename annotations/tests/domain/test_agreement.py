"""Agreement statistics (issue 7 §3), validated against published, hand-checkable worked examples.

Sources:
- Fleiss' κ: the worked example in Wikipedia's "Fleiss' kappa" article (10 subjects × 14 raters × 5 categories:
  P̄ ≈ 0.378, P̄e ≈ 0.213, κ ≈ 0.210).
- Krippendorff's α: K. Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", Annenberg School for
  Communication, University of Pennsylvania — the reliability data of 4 observers × 12 units with missing values,
  for which the paper reports α_nominal = 0.743, α_ordinal = 0.815, α_interval = 0.849 (and α_ratio = 0.797).
  A second, independent computation (the straightforward coincidence-matrix definition, exact fractions,
  `reference_alpha` below) reproduces all three, which also confirms the data transcription; the module (the
  `krippendorff` package) must match it.
- Cohen's linear-weighted κ: small two-rater examples computed by hand in the comments, using
  κ_w = 1 - D_o / D_e with D_o = mean |a_u - b_u| and D_e = mean over all n² cross pairs of |a_i - b_j|
  (algebraically the same as the weight-matrix form with weights |i - j|).
"""

import doctest
import math
import random
from collections import Counter
from fractions import Fraction

import pytest

from annotations.domain import agreement
from annotations.domain.agreement import (
    Judgement,
    cohen_kappa_linear,
    fleiss_kappa,
    group_spans,
    is_disagreement,
    krippendorff_alpha_ordinal,
    pairwise_report,
    percent_agreement,
    project_report,
)

RATING_TO_VERDICT = {1: "false", 2: "mostly_false", 3: "mixed", 4: "mostly_true", 5: "true"}


def judgements_from_matrix(rows: dict[str, list[int | None]]) -> list[Judgement]:
    """Reliability data (rater → ratings per unit, None = missing) as Judgements on verdicts."""
    return [
        Judgement(unit=u, rater=rater, verdict=RATING_TO_VERDICT[rating])
        for rater, ratings in rows.items()
        for u, rating in enumerate(ratings)
        if rating is not None
    ]


def pair(ratings_a: list[str], ratings_b: list[str]) -> list[Judgement]:
    """Two raters, unit i judged by both."""
    return [Judgement(u, "a", v) for u, v in enumerate(ratings_a)] + [
        Judgement(u, "b", v) for u, v in enumerate(ratings_b)
    ]


# ---------------------------------------------------------------------------------------------------------------------
# The module's own examples stay true


def test_the_docstring_examples_hold():
    result = doctest.testmod(agreement, optionflags=doctest.NORMALIZE_WHITESPACE)

    assert result.attempted >= 10
    assert result.failed == 0


# ---------------------------------------------------------------------------------------------------------------------
# Fleiss' κ — Wikipedia worked example

# Rows: subjects 1..10; columns: number of the 14 raters who chose category 1..5 (Wikipedia, "Fleiss' kappa").
WIKIPEDIA_FLEISS = [
    [0, 0, 0, 0, 14],
    [0, 2, 6, 4, 2],
    [0, 0, 3, 5, 6],
    [0, 3, 9, 2, 0],
    [2, 2, 8, 1, 1],
    [7, 7, 0, 0, 0],
    [3, 2, 6, 3, 0],
    [2, 5, 3, 2, 2],
    [6, 5, 2, 1, 0],
    [0, 2, 2, 3, 7],
]


def judgements_from_counts(table: list[list[int]], categories: list[str]) -> list[Judgement]:
    judgements = []
    for unit, counts in enumerate(table):
        verdicts = [category for category, count in zip(categories, counts, strict=True) for _ in range(count)]
        judgements += [Judgement(unit, f"r{i}", verdict) for i, verdict in enumerate(verdicts)]
    return judgements


def test_fleiss_kappa_reproduces_the_wikipedia_worked_example():
    # Wikipedia: p_j = 0.143, 0.200, 0.279, 0.150, 0.229; P̄ = 0.378; P̄e = 0.213; κ = (0.378 - 0.213) / (1 - 0.213)
    judgements = judgements_from_counts(WIKIPEDIA_FLEISS, ["false", "mostly_false", "mixed", "mostly_true", "true"])

    kappa = fleiss_kappa(judgements)

    assert kappa == pytest.approx(0.20993, abs=5e-5)
    assert round(kappa, 3) == 0.210


def test_fleiss_kappa_treats_verdicts_as_nominal_so_the_category_labels_do_not_matter():
    # Same table with unverifiable as one of the five categories, in a shuffled order: same κ.
    categories = ["unverifiable", "true", "false", "mixed", "mostly_false"]
    judgements = judgements_from_counts(WIKIPEDIA_FLEISS, categories)

    assert round(fleiss_kappa(judgements), 3) == 0.210


def test_fleiss_kappa_with_unequal_rater_counts_averages_units_and_pools_category_shares():
    # Unit 1: true, true, false → P_1 = (2·1 + 1·0) / (3·2) = 1/3.   Unit 2: false, false → P_2 = 2/2 = 1.
    # P̄ = (1/3 + 1) / 2 = 2/3.  Shares over 5 judgements: true 2/5, false 3/5 → P_e = 4/25 + 9/25 = 13/25.
    # κ = (2/3 - 13/25) / (1 - 13/25) = (11/75) / (12/25) = 11/36.
    judgements = [
        Judgement(1, "a", "true"),
        Judgement(1, "b", "true"),
        Judgement(1, "c", "false"),
        Judgement(2, "a", "false"),
        Judgement(2, "b", "false"),
        Judgement(3, "a", "mixed"),  # a single rater: ignored
    ]

    assert fleiss_kappa(judgements) == pytest.approx(float(Fraction(11, 36)))


def test_fleiss_kappa_counts_unverifiable_as_a_category_of_its_own():
    judgements = pair(["unverifiable", "true"], ["unverifiable", "true"])

    assert fleiss_kappa(judgements) == 1.0


def test_fleiss_kappa_is_negative_when_raters_systematically_disagree():
    # P̄ = 0; shares true 1/2, false 1/2 → P_e = 1/2; κ = (0 - 1/2) / (1/2) = -1.
    assert fleiss_kappa(pair(["true", "false"], ["false", "true"])) == -1.0


# ---------------------------------------------------------------------------------------------------------------------
# Krippendorff's α (ordinal) — Krippendorff (2011)

# Krippendorff (2011): observers A–D, units 1–12, values 1..5, None = missing.
KRIPPENDORFF_2011 = {
    "A": [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
    "B": [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
    "C": [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
    "D": [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
}


def reference_alpha(rows: dict[str, list[int | None]], metric: str) -> Fraction:
    """Independent α straight from the definitions in Krippendorff (2011), with exact fractions.

    Coincidences o_ck = Σ_u (number of ordered pairs of values c, k from different observers in u) / (m_u - 1),
    over units with m_u ≥ 2 values; n_c = Σ_k o_ck; n = Σ_c n_c;
    α = 1 - (n - 1) · Σ o_ck δ²_ck / Σ n_c n_k δ²_ck, with δ² nominal: [c ≠ k]; interval: (c - k)²;
    ordinal: (Σ_{g=c..k} n_g - (n_c + n_k) / 2)².
    """
    o: Counter = Counter()
    for unit in zip(*rows.values(), strict=True):
        values = [v for v in unit if v is not None]
        if len(values) < 2:
            continue
        for i, c in enumerate(values):
            for j, k in enumerate(values):
                if i != j:
                    o[c, k] += Fraction(1, len(values) - 1)
    domain = sorted({c for c, _ in o})
    n_c = {c: sum(o[c, k] for k in domain) for c in domain}
    n = sum(n_c.values())

    def delta2(c: int, k: int) -> Fraction:
        if metric == "nominal":
            return Fraction(c != k)
        if metric == "interval":
            return Fraction((c - k) ** 2)
        low, high = min(c, k), max(c, k)
        return (sum(n_c[g] for g in domain if low <= g <= high) - (n_c[c] + n_c[k]) / 2) ** 2

    observed = sum(o[c, k] * delta2(c, k) for c in domain for k in domain)
    expected = sum(n_c[c] * n_c[k] * delta2(c, k) for c in domain for k in domain)
    return 1 - (n - 1) * observed / expected


@pytest.mark.parametrize(("metric", "published"), [("nominal", 0.743), ("ordinal", 0.815), ("interval", 0.849)])
def test_the_reference_computation_reproduces_krippendorffs_published_values(metric, published):
    assert round(float(reference_alpha(KRIPPENDORFF_2011, metric)), 3) == published


def test_krippendorff_alpha_ordinal_reproduces_the_2011_worked_example():
    alpha = krippendorff_alpha_ordinal(judgements_from_matrix(KRIPPENDORFF_2011))

    assert round(alpha, 3) == 0.815
    assert alpha == pytest.approx(float(reference_alpha(KRIPPENDORFF_2011, "ordinal")), abs=1e-12)


def test_krippendorff_alpha_ordinal_treats_unverifiable_as_missing():
    judgements = judgements_from_matrix(KRIPPENDORFF_2011)
    # Fill some missing cells with "unverifiable" (incl. the whole of unit 12 but B's 3): nothing changes.
    judgements += [Judgement(9, "A", "unverifiable"), Judgement(0, "C", "unverifiable")]
    judgements += [Judgement(11, rater, "unverifiable") for rater in ("A", "C", "D")]

    assert round(krippendorff_alpha_ordinal(judgements), 3) == 0.815


def test_krippendorff_alpha_ordinal_agrees_with_the_reference_on_the_wikipedia_data():
    # Wikipedia "Krippendorff's alpha" example (3 coders × 15 units, values 1..4; α_nominal = 0.691 there).
    rows = {
        "A": [None, None, None, None, None, 3, 4, 1, 2, 1, 1, 3, 3, None, 3],
        "B": [1, None, 2, 1, 3, 3, 4, 3, None, None, None, None, None, None, None],
        "C": [None, None, 2, 1, 3, 4, 4, None, 2, 1, 1, 3, 3, None, 4],
    }
    assert round(float(reference_alpha(rows, "nominal")), 3) == 0.691

    alpha = krippendorff_alpha_ordinal(judgements_from_matrix(rows))

    assert alpha == pytest.approx(float(reference_alpha(rows, "ordinal")), abs=1e-12)


def test_krippendorff_alpha_ordinal_uses_ordinal_distances_not_just_matches():
    # Both pairs disagree by the same count of units, but far-apart ratings lower α more than adjacent ones.
    near = krippendorff_alpha_ordinal(pair(["true", "false", "mixed"], ["mostly_true", "false", "mixed"]))
    far = krippendorff_alpha_ordinal(pair(["true", "false", "mixed"], ["false", "false", "mixed"]))

    assert near > far


def test_krippendorff_alpha_is_none_without_a_pairable_unit_or_without_variation():
    assert krippendorff_alpha_ordinal([]) is None
    assert krippendorff_alpha_ordinal([Judgement(1, "a", "true"), Judgement(2, "b", "false")]) is None
    assert krippendorff_alpha_ordinal(pair(["true", "mixed"], ["unverifiable", "unverifiable"])) is None
    assert krippendorff_alpha_ordinal(pair(["mixed", "mixed"], ["mixed", "mixed"])) is None
    # A lone different value in an unpairable unit does not create variation.
    assert krippendorff_alpha_ordinal([*pair(["mixed"], ["mixed"]), Judgement(9, "a", "true")]) is None


# ---------------------------------------------------------------------------------------------------------------------
# Cohen's linear-weighted κ — hand-computed examples


def test_cohen_kappa_linear_matches_a_hand_computed_example():
    # a = [1, 2, 3, 5], b = [1, 3, 3, 4]
    # D_o = (0 + 1 + 0 + 1) / 4 = 1/2
    # Σ_i Σ_j |a_i - b_j|: a=1 → 0+2+2+3 = 7; a=2 → 1+1+1+2 = 5; a=3 → 2+0+0+1 = 3; a=5 → 4+2+2+1 = 9; total 24
    # D_e = 24 / 16 = 3/2  →  κ_w = 1 - (1/2) / (3/2) = 2/3
    judgements = pair(["false", "mostly_false", "mixed", "true"], ["false", "mixed", "mixed", "mostly_true"])

    assert cohen_kappa_linear(judgements, "a", "b") == pytest.approx(2 / 3)
    assert cohen_kappa_linear(judgements, "b", "a") == pytest.approx(2 / 3)


def test_cohen_kappa_linear_measures_distance_on_the_full_five_point_scale():
    # a = [1, 2, 5], b = [2, 1, 5]; D_o = (1 + 1 + 0) / 3 = 2/3
    # Σ|a_i - b_j|: a=1 → 1+0+4 = 5; a=2 → 0+1+3 = 4; a=5 → 3+4+0 = 7; total 16 → D_e = 16/9
    # κ_w = 1 - (2/3) / (16/9) = 5/8.  (Re-indexing only the used ratings {1, 2, 5} as 0, 1, 2 would give 1/4.)
    judgements = pair(["false", "mostly_false", "true"], ["mostly_false", "false", "true"])

    assert cohen_kappa_linear(judgements, "a", "b") == pytest.approx(5 / 8)


def test_cohen_kappa_linear_leaves_out_unverifiable_and_units_not_rated_by_both():
    judgements = pair(["false", "mostly_false", "mixed", "true"], ["false", "mixed", "mixed", "mostly_true"])
    judgements += [Judgement(10, "a", "unverifiable"), Judgement(10, "b", "true")]
    judgements += [Judgement(11, "a", "true"), Judgement(12, "b", "false"), Judgement(11, "c", "false")]

    assert cohen_kappa_linear(judgements, "a", "b") == pytest.approx(2 / 3)


def test_cohen_kappa_linear_is_one_for_perfect_agreement_and_none_when_undefined():
    assert cohen_kappa_linear(pair(["true", "false"], ["true", "false"]), "a", "b") == 1.0
    assert cohen_kappa_linear(pair(["true"], ["true"]), "a", "b") is None  # fewer than 2 units
    assert cohen_kappa_linear(pair(["mixed", "mixed"], ["mixed", "mixed"]), "a", "b") is None  # no variation
    assert cohen_kappa_linear(pair(["true", "false"], ["true", "false"]), "a", "nobody") is None
    assert cohen_kappa_linear([], "a", "b") is None


def test_cohen_kappa_linear_is_zero_when_one_rater_never_varies():
    # b always says mixed: observed = expected disagreement, κ = 0 (defined, unlike the all-same case).
    assert cohen_kappa_linear(pair(["true", "false"], ["mixed", "mixed"]), "a", "b") == pytest.approx(0.0)


def _random_ratings(rng: random.Random, n: int) -> tuple[list[int], list[int]]:
    """Two raters' ratings on n units: independent, correlated or from a narrowed part of the scale."""
    kind = rng.choice(["independent", "correlated", "narrow"])
    if kind == "narrow":
        low = rng.randint(1, 4)
        values = list(range(low, rng.randint(low + 1, 5) + 1))
        return [rng.choice(values) for _ in range(n)], [rng.choice(values) for _ in range(n)]
    a = [rng.randint(1, 5) for _ in range(n)]
    if kind == "independent":
        return a, [rng.randint(1, 5) for _ in range(n)]
    return a, [min(5, max(1, x + rng.choice([-1, 0, 0, 0, 1, 2]))) for x in a]


@pytest.mark.parametrize("seed", range(8))
def test_cohen_kappa_linear_equals_scikit_learns_linear_weighted_kappa_on_random_data(seed):
    import warnings

    from sklearn.metrics import cohen_kappa_score

    rng = random.Random(seed)  # noqa: S311 (test data)
    for _ in range(40):
        a, b = _random_ratings(rng, rng.choice([2, 3, 5, 10, 37, 200]))
        # Extra units that must be left out: unverifiable on either side, or judged by one reviewer only.
        judgements = pair([RATING_TO_VERDICT[x] for x in a], [RATING_TO_VERDICT[x] for x in b])
        judgements += [Judgement(("x", 1), "a", "unverifiable"), Judgement(("x", 1), "b", "true")]
        judgements += [Judgement(("x", 2), "a", "false")]
        rng.shuffle(judgements)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # all-same ratings: sklearn warns and returns nan
            expected = float(cohen_kappa_score(a, b, labels=[1, 2, 3, 4, 5], weights="linear"))

        kappa = cohen_kappa_linear(judgements, "a", "b")

        if math.isnan(expected):
            assert kappa is None
        else:
            assert kappa == pytest.approx(expected, abs=1e-12), (a, b)


def test_cohen_kappa_linear_is_undefined_exactly_where_scikit_learn_gives_nan():
    import warnings

    from sklearn.metrics import cohen_kappa_score

    for value in range(1, 6):
        ratings = [value] * 4
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            assert math.isnan(cohen_kappa_score(ratings, ratings, labels=[1, 2, 3, 4, 5], weights="linear"))
        verdicts = [RATING_TO_VERDICT[value]] * 4
        assert cohen_kappa_linear(pair(verdicts, verdicts), "a", "b") is None


# ---------------------------------------------------------------------------------------------------------------------
# Percent agreement


def test_percent_agreement_pools_all_rater_pairs_within_units():
    # Unit 1: a=b≠c → pairs ab ✓, ac ✗, bc ✗ (1 of 3). Unit 2: a=b (1 of 1). Unit 3: one rater, no pair.
    judgements = [
        Judgement(1, "a", "true"),
        Judgement(1, "b", "true"),
        Judgement(1, "c", "mostly_true"),
        Judgement(2, "a", "unverifiable"),
        Judgement(2, "b", "unverifiable"),
        Judgement(3, "a", "false"),
    ]

    assert percent_agreement(judgements) == 0.5  # 2 agreeing pairs of 4


def test_percent_agreement_is_one_when_everyone_agrees_even_on_a_single_category():
    assert percent_agreement(pair(["mixed", "mixed"], ["mixed", "mixed"])) == 1.0


def test_percent_agreement_is_none_without_any_pair():
    assert percent_agreement([]) is None
    assert percent_agreement([Judgement(1, "a", "true"), Judgement(2, "a", "false")]) is None


def test_a_raters_last_judgement_of_a_unit_is_the_one_that_counts():
    judgements = [Judgement(1, "a", "false"), Judgement(1, "b", "true"), Judgement(1, "a", "true")]

    assert percent_agreement(judgements) == 1.0
    assert project_report(judgements)["n_judgements"] == 2


def test_an_unknown_verdict_is_a_caller_error():
    with pytest.raises(ValueError, match="nonsense"):
        percent_agreement([Judgement(1, "a", "nonsense"), Judgement(1, "b", "true")])
    with pytest.raises(ValueError, match="pants_on_fire"):
        is_disagreement(["true", "pants_on_fire"])


# ---------------------------------------------------------------------------------------------------------------------
# Edge cases across every statistic


@pytest.mark.parametrize(
    "judgements",
    [
        pytest.param([], id="empty"),
        pytest.param([Judgement(u, "solo", v) for u, v in enumerate(["true", "false", "mixed"])], id="single rater"),
    ],
)
def test_every_statistic_is_none_without_units_judged_twice(judgements):
    report = project_report(judgements)

    assert report == {
        "n_units": 0,
        "n_raters": 0,
        "n_judgements": 0,
        "percent_agreement": None,
        "fleiss_kappa": None,
        "krippendorff_alpha_ordinal": None,
        "pairs": [],
    }
    assert cohen_kappa_linear(judgements, "solo", "other") is None


def test_perfect_agreement_over_several_categories_scores_one_everywhere():
    judgements = pair(["true", "mixed", "false"], ["true", "mixed", "false"])
    report = project_report(judgements)

    assert report["percent_agreement"] == 1.0
    assert report["fleiss_kappa"] == 1.0
    assert report["krippendorff_alpha_ordinal"] == pytest.approx(1.0)
    assert report["pairs"][0]["cohen_kappa_linear"] == 1.0


def test_agreement_on_one_single_category_is_one_for_percent_agreement_and_none_for_chance_corrected_ones():
    report = project_report(pair(["false", "false", "false"], ["false", "false", "false"]))

    assert report["percent_agreement"] == 1.0
    assert report["fleiss_kappa"] is None
    assert report["krippendorff_alpha_ordinal"] is None
    assert report["pairs"][0]["cohen_kappa_linear"] is None


# ---------------------------------------------------------------------------------------------------------------------
# Reports


def test_pairwise_report_has_one_row_per_pair_of_raters_with_units_in_common():
    judgements = pair(["false", "mostly_false", "mixed", "true"], ["false", "mixed", "mixed", "mostly_true"])
    judgements += [Judgement(0, "c", "false"), Judgement(10, "d", "true")]  # d shares no unit with anyone

    rows = pairwise_report(judgements)

    assert [(r["rater_a"], r["rater_b"], r["n_units"]) for r in rows] == [("a", "b", 4), ("a", "c", 1), ("b", "c", 1)]
    assert rows[0]["percent_agreement"] == 0.5
    assert rows[0]["cohen_kappa_linear"] == pytest.approx(2 / 3)
    assert rows[1]["percent_agreement"] == 1.0
    assert rows[1]["cohen_kappa_linear"] is None  # one unit in common


def test_pairwise_report_counts_unverifiable_in_units_in_common_and_percent_agreement():
    rows = pairwise_report(pair(["unverifiable", "true", "false"], ["unverifiable", "true", "mixed"]))

    assert rows[0]["n_units"] == 3
    assert rows[0]["percent_agreement"] == pytest.approx(2 / 3)


def test_project_report_on_the_krippendorff_example():
    judgements = judgements_from_matrix(KRIPPENDORFF_2011)

    report = project_report(judgements)

    # Unit index 11 has only B's value: 11 units are judged by ≥ 2 observers; they hold 40 of the 41 values.
    assert (report["n_units"], report["n_raters"], report["n_judgements"]) == (11, 4, 40)
    assert round(report["krippendorff_alpha_ordinal"], 3) == 0.815
    assert report["fleiss_kappa"] == pytest.approx(fleiss_kappa(judgements))
    assert len(report["pairs"]) == 6


# ---------------------------------------------------------------------------------------------------------------------
# Flagging disagreements


@pytest.mark.parametrize(
    ("verdicts", "flagged"),
    [
        (["true", "false"], True),
        (["false", "true"], True),
        (["true", "mixed"], True),  # distance 2
        (["mostly_true", "mostly_false"], True),  # distance 2
        (["mixed", "false"], True),  # distance 2
        (["true", "mostly_true", "mixed"], True),  # any two ≥ 2 apart
        (["true", "mostly_true"], False),  # adjacent
        (["mostly_false", "mixed"], False),
        (["mixed", "mixed", "mixed"], False),
        (["true", "unverifiable"], False),  # unverifiable is not a disagreement by itself
        (["false", "unverifiable", "mostly_false"], False),
        (["unverifiable", "unverifiable"], False),
        (["true"], False),
        ([], False),
    ],
)
def test_is_disagreement_flags_ordinal_distance_of_two_or_more(verdicts, flagged):
    assert is_disagreement(verdicts) is flagged


# ---------------------------------------------------------------------------------------------------------------------
# Units from overlapping spans


def test_spans_overlapping_by_half_of_the_longer_span_form_one_unit():
    assert group_spans([("a", 0, 10), ("b", 5, 15)]) == {"a": 0, "b": 0}  # 5 shared of 10


def test_the_fifty_percent_boundary_is_inclusive_and_just_below_it_is_not():
    assert group_spans([("a", 0, 10), ("b", 5, 20)]) == {"a": 0, "b": 1}  # 5 shared of 15 (the longer)
    assert group_spans([("a", 0, 10), ("b", 5, 16)]) == {"a": 0, "b": 1}  # 5 of 11 = 45 %
    assert group_spans([("a", 0, 10), ("b", 5, 15)]) == {"a": 0, "b": 0}  # 5 of 10 = exactly 50 %
    assert group_spans([("a", 0, 200), ("b", 100, 200)]) == {"a": 0, "b": 0}  # 100 of 200: exactly 50 %
    assert group_spans([("a", 0, 200), ("b", 101, 200)]) == {"a": 0, "b": 1}  # 99 of 200


def test_a_short_span_inside_a_long_one_is_not_merged_with_it():
    # 4 shared characters: all of the short span, but only 40 % of the longer one.
    assert group_spans([("long", 0, 10), ("short", 3, 7)]) == {"long": 0, "short": 1}


def test_grouping_is_transitive_across_a_chain_of_overlaps():
    # a–b share 6 of 10, b–c share 6 of 10, a and c share nothing: still one unit.
    spans = [("c", 8, 18), ("a", 0, 10), ("b", 4, 14), ("lonely", 30, 40)]

    assert group_spans(spans) == {"c": 0, "a": 0, "b": 0, "lonely": 1}


def test_unit_ids_follow_the_input_order_of_each_units_first_span():
    spans = [("late", 50, 60), ("early", 0, 10), ("late2", 52, 60), ("early2", 1, 10)]

    assert group_spans(spans) == {"late": 0, "early": 1, "late2": 0, "early2": 1}


def test_touching_identical_and_empty_spans():
    assert group_spans([("a", 0, 10), ("b", 10, 20)]) == {"a": 0, "b": 1}  # touching: nothing shared
    assert group_spans([("a", 3, 9), ("b", 3, 9)]) == {"a": 0, "b": 0}
    assert group_spans([("a", 5, 5), ("b", 5, 5), ("c", 0, 10)]) == {"a": 0, "b": 1, "c": 2}
    assert group_spans([]) == {}


def test_min_overlap_is_configurable_and_a_decimal_boundary_is_inclusive():
    spans = [("a", 0, 10), ("b", 7, 17)]  # 3 shared of 10

    assert group_spans(spans, min_overlap=0.3) == {"a": 0, "b": 0}
    assert group_spans(spans, min_overlap=0.31) == {"a": 0, "b": 1}
    assert group_spans([("a", 0, 10), ("b", 0, 10)], min_overlap=1) == {"a": 0, "b": 0}


@pytest.mark.parametrize(
    ("spans", "min_overlap", "message"),
    [
        ([("a", 0, 10), ("a", 20, 30)], 0.5, "unique"),
        ([("a", 10, 5)], 0.5, "invalid offsets"),
        ([("a", -1, 5)], 0.5, "invalid offsets"),
        ([("a", 0, 5)], 0, "min_overlap"),
        ([("a", 0, 5)], 1.5, "min_overlap"),
    ],
)
def test_group_spans_rejects_invalid_input(spans, min_overlap, message):
    with pytest.raises(ValueError, match=message):
        group_spans(spans, min_overlap=min_overlap)
