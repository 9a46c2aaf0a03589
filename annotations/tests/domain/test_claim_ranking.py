import pytest

from annotations.domain import claim_ranking
from annotations.domain.claim_ranking import in_bullet_items, line_kind, rank


@pytest.mark.parametrize(
    "line",
    [
        "By Anna Smith",
        "Photo: Reuters",
        "Sources include:",
        "Read more",
        "Read full article here",
        "Newsmax.com",
        "https://example.org/story",
        "Views: 6495",
        "Rating: 4.1 / 5 (42 voted)",
        "Author: Greg O'Connell",
        "© 2025 The Courier. All rights reserved.",
        "Subscribe to our newsletter",
        "This video is from Cynthia's channel on Brighteon.com.",
    ],
)
def test_page_furniture_is_boilerplate(line):
    assert line_kind(line) == "boilerplate"


@pytest.mark.parametrize(
    "line",
    [
        "Sources suggest the president lied about the deficit.",
        "By 2020 the deficit had doubled to 4 percent.",
        "The US deployed 11 warships and 15,000 troops to the Caribbean.",
        "Photographs taken on Monday show 40 tanks at the border.",
    ],
)
def test_sentences_that_start_like_furniture_are_still_claims(line):
    assert line_kind(line) == "claim"


def test_headings_and_questions_are_heading_like():
    assert line_kind("Maduro’s desperate appeals to Russia and China") == "heading"
    assert line_kind("Geopolitical implications: Is Russia abandoning Maduro?") == "heading"


def test_the_headline_counts_as_a_claim_only_where_it_opens_the_text():
    title = "Russia evacuates citizens from Venezuela"

    assert line_kind(title, title=title, first=True) == "claim"
    assert line_kind(title, title=title) == "boilerplate"


def test_boilerplate_and_headings_are_demoted_below_a_claim_that_scored_lower():
    texts = ["Read more", "Maduro’s appeals to Russia", "Unemployment fell to 3.5 percent in 2019."]

    ranked = rank(texts, [0.9, 0.9, 0.6])

    assert [r.kind for r in ranked] == ["boilerplate", "heading", "claim"]
    assert ranked[2].score > ranked[1].score > ranked[0].score
    assert [r.model_score for r in ranked] == [0.9, 0.9, 0.6]


def test_a_repeated_sentence_joins_the_better_scored_one_and_drops_below_it():
    texts = [
        "Russia sent two oil tankers to Venezuela in March to help its struggling energy sector.",
        "Unemployment fell to 3.5 percent in 2019.",
        "In March Russia sent two oil tankers to Venezuela's struggling energy sector.",
    ]

    ranked = rank(texts, [0.8, 0.7, 0.9])

    assert ranked[0].duplicate_of == 2 and ranked[2].duplicate_of is None
    assert ranked[0].score == pytest.approx(0.8 * claim_ranking.DUPLICATE_FACTOR)
    assert ranked[1].duplicate_of is None and ranked[1].score == pytest.approx(0.7)


def test_short_sentences_are_not_grouped_on_a_word_or_two():
    ranked = rank(["Crime rose.", "Crime rose sharply in cities."], [0.9, 0.8])

    assert [r.duplicate_of for r in ranked] == [None, None]


def test_a_summary_bullet_joins_the_body_sentence_even_when_it_scored_higher():
    body = (
        "- Leaked documents reveal Maduro pleaded with Russia for radars, missiles and aircraft repairs.\n"
        "Unrelated opening sentence about the weather in Caracas today.\n"
        "Leaked documents obtained by the Post reveal Maduro pleaded with Putin for radars, aircraft repairs and "
        "missiles.\n"
    )
    texts = [line for line in body.splitlines() if line]
    starts = [body.index(text) for text in texts]

    ranked = rank(texts, [0.95, 0.2, 0.9], bullets=in_bullet_items(body, starts))

    assert in_bullet_items(body, starts) == [True, False, False]
    assert ranked[0].duplicate_of == 2
    assert ranked[2].score > ranked[0].score


def test_a_bullet_the_body_does_not_repeat_keeps_its_score():
    texts = ["- Wages rose 4 percent across twelve northern regions in May.", "Prices were flat in the south."]

    ranked = rank(texts, [0.8, 0.5], bullets=[True, False])

    assert ranked[0].duplicate_of is None and ranked[0].score == pytest.approx(0.8)


def test_sharing_words_with_the_headline_lifts_a_claim_a_little():
    texts = ["Russia evacuates citizens, officials said on Monday.", "Wages rose 4 percent in May, officials said."]

    ranked = rank(texts, [0.6, 0.6], title="Russia evacuates citizens from Venezuela")

    assert 0.6 < ranked[0].score <= 0.6 + claim_ranking.TITLE_BONUS * 0.4
    assert ranked[1].score == pytest.approx(0.6)


def test_rank_refuses_mismatched_lengths():
    with pytest.raises(ValueError, match="1 scores for 2 texts"):
        rank(["a", "b"], [0.5])
