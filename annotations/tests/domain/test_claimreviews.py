"""Reading ClaimReview JSON-LD (``domain/claimreviews.py``): both shapes, ratings, and one error per bad item."""

import json

import pytest

from annotations.domain.claimreviews import ClaimReviewError, ClaimReviewFileError, parse_claimreviews


def review(**fields):
    return {"@type": "ClaimReview", "url": "https://check.example/a", "claimReviewed": "A claim", **fields}


@pytest.mark.parametrize(
    ("document", "count"),
    [
        (review(), 1),
        ([review(), review(url="https://check.example/b")], 2),
        ({"@context": "https://schema.org", "@graph": [review(), review()]}, 2),
        ({"@type": "DataFeed", "dataFeedElement": [{"item": [review()]}, {"item": review()}, review()]}, 3),
    ],
    ids=["one object", "an array (our export)", "@graph", "a DataFeed"],
)
def test_every_shape_of_feed_gives_its_items_in_order(document, count):
    items = parse_claimreviews(json.dumps(document))
    assert len(items) == count and all(not isinstance(i, ClaimReviewError) for i in items)
    assert [i.position for i in items] == list(range(1, count + 1))


@pytest.mark.parametrize(
    ("rating", "verdict"),
    [
        ({"alternateName": "Pants on Fire!"}, "false"),
        ({"alternateName": "Half True"}, "mixed"),
        ({"alternateName": "Mostly true", "ratingValue": 4, "bestRating": 5, "worstRating": 1}, "mostly_true"),
        ({"ratingValue": 2, "bestRating": 5, "worstRating": 1}, "mostly_false"),
        ({"ratingValue": "9", "bestRating": "10", "worstRating": "0"}, "true"),
        ({"alternateName": "Needs context"}, ""),  # not on our scale: the label is kept, no verdict guessed
        ({}, ""),
    ],
)
def test_a_rating_becomes_a_verdict_only_when_it_can_be_read_without_guessing(rating, verdict):
    [item] = parse_claimreviews(json.dumps(review(reviewRating=rating)))
    assert item.verdict == verdict
    if rating.get("alternateName"):
        assert item.rating_label == rating["alternateName"]


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        ({"claimReviewed": ""}, "claimReviewed"),
        ({"url": "javascript:alert(1)"}, "url"),
        ({"url": "https://check.example/a\x00b"}, "url"),
        ({"url": "https://check.example/a b"}, "url"),
        ({"@type": "Claim"}, "not ClaimReview"),
        ({"reviewRating": "False"}, "not an object"),
        ({"reviewRating": {"ratingValue": 7, "bestRating": 5, "worstRating": 1}}, "between"),
        ({"reviewRating": {"ratingValue": "high"}}, "no number"),
        ({"datePublished": "yesterday"}, "ISO 8601"),
    ],
)
def test_a_bad_item_is_one_error_naming_its_position_and_the_others_still_read(bad, reason):
    items = parse_claimreviews(json.dumps([review(), review(**bad), review(url="https://check.example/c")]))
    assert [type(i).__name__ for i in items] == ["ClaimReviewItem", "ClaimReviewError", "ClaimReviewItem"]
    assert items[1].position == 2 and reason in items[1].reason and str(items[1]).startswith("item 2: ")


def test_text_is_cleaned_and_a_bare_date_is_midnight_utc():
    [item] = parse_claimreviews(json.dumps(review(claimReviewed="  Maduro\n wrote\x00 a letter ",
                                                  datePublished="2025-11-02", author={"name": "Check"})))  # fmt: skip
    assert item.text == "Maduro wrote a letter" and item.publisher == "Check"
    assert item.published_at.isoformat() == "2025-11-02T00:00:00+00:00"


@pytest.mark.parametrize("data", [b"\xff\xfe", b"{not json", b"[]", b'{"@graph": []}'])
def test_a_file_that_is_no_claimreview_json_is_refused_whole(data):
    with pytest.raises(ClaimReviewFileError):
        parse_claimreviews(data)
