"""Re-anchoring stored quotes in a new version of a text (annotations.domain.anchoring) and its benchmark."""

import io
import json
import zipfile

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from annotations.domain.anchoring import anchor, anchor_detail
from annotations.domain.spans import quote_selector

ARTICLE = (
    "The council met on Tuesday. Unemployment fell to 3.5 percent in 2019, the mayor said. "
    "Critics noted that the figure excludes part-time workers. The budget passes next week. "
    "Unemployment fell to 3.5 percent in 2019, the mayor said again at a press conference in March. "
    "Nobody disputed the number."
)


def selector_of(text: str, quote: str, occurrence: int = 0) -> dict:
    """The stored selector of the ``occurrence``-th copy of ``quote`` (as the app keeps it), with its start."""
    start = -1
    for _ in range(occurrence + 1):
        start = text.index(quote, start + 1)
    selector = quote_selector(text, start, start + len(quote))
    return {"exact": selector.exact, "prefix": selector.prefix, "suffix": selector.suffix, "start": start}


def test_an_unchanged_text_keeps_the_span_at_its_position():
    stored = selector_of(ARTICLE, "Critics noted that the figure excludes part-time workers.")

    found = anchor_detail(ARTICLE, **stored)

    assert (found.start, found.end) == (stored["start"], stored["start"] + len(stored["exact"]))
    assert (found.method, found.quote_changed, found.score) == ("position", False, 1.0)


def test_a_span_after_an_inserted_paragraph_moves_by_its_length():
    stored = selector_of(ARTICLE, "Critics noted that the figure excludes part-time workers.")
    inserted = "Correction: an earlier version of this story misstated the date of the meeting.\n\n"

    found = anchor_detail(inserted + ARTICLE, **stored)

    assert (found.start, found.end) == (stored["start"] + len(inserted), stored["start"] + len(inserted) + 57)
    assert not found.quote_changed


def test_a_span_after_a_deleted_sentence_moves_back_by_its_length():
    stored = selector_of(ARTICLE, "The budget passes next week.")
    deleted = "The council met on Tuesday. "

    found = anchor(ARTICLE.replace(deleted, ""), **stored)

    assert found == (stored["start"] - len(deleted), stored["start"] - len(deleted) + len(stored["exact"]))


def test_a_quote_repeated_elsewhere_lands_on_the_copy_whose_context_matches():
    # The second copy is annotated; an insertion before both shifts them, so the old offset is stale.
    stored = selector_of(ARTICLE, "Unemployment fell to 3.5 percent in 2019", occurrence=1)
    new_text = "Updated at 9am. " + ARTICLE
    second_copy = new_text.index("Unemployment", new_text.index("Unemployment") + 1)

    assert anchor(new_text, **stored) == (second_copy, second_copy + len(stored["exact"]))
    first = selector_of(ARTICLE, "Unemployment fell to 3.5 percent in 2019", occurrence=0)
    assert anchor(new_text, **first) == (new_text.index("Unemployment"), new_text.index("Unemployment") + 40)


def test_a_repeated_passage_whose_context_was_edited_on_one_side_stays_on_the_copy_nearest_its_place():
    # A transcript repeats an exchange word for word; an edit deletes a word just before the annotated (first)
    # copy and a sentence further up. The other copy's context is now the better match, but it is elsewhere.
    exchange = "Five more minutes. Is that OK? Five? Mr. President, on national security. Wait. Let's see who is next. "
    text = "Opening remarks were made. " + exchange + "The moderator turned to the economy at length. " + exchange
    quote = "Mr. President, on national security."
    stored = selector_of(text, quote, occurrence=0)
    new_text = text.replace("Opening remarks were made. ", "", 1).replace("Is that OK?", "Is OK?", 1)

    found = anchor_detail(new_text, **stored)

    assert (found.start, found.end) == (new_text.index(quote), new_text.index(quote) + len(quote))
    assert found.prefix_similarity < found.suffix_similarity == 1.0  # one side of its context was edited
    second = new_text.index(quote, found.end)
    assert anchor(new_text, **{**stored, "start": None}) == (second, second + len(quote))  # no position: context


def test_a_typo_corrected_quote_is_found_and_reported_as_changed():
    with_typo = ARTICLE.replace("excludes part-time", "excludes prat-time")
    stored = selector_of(with_typo, "Critics noted that the figure excludes prat-time workers.")

    found = anchor_detail(ARTICLE, **stored)

    assert ARTICLE[found.start : found.end] == "Critics noted that the figure excludes part-time workers."
    assert (found.method, found.quote_changed) == ("fuzzy", True)
    assert 0.9 < found.score < 1.0


def test_quote_style_and_spacing_changes_are_found_and_reported_as_changed():
    straight = ARTICLE.replace("Critics noted", 'Critics noted "clearly"')
    stored = selector_of(straight, 'Critics noted "clearly" that the figure')
    curly = straight.replace('"clearly"', "“clearly”").replace("that the figure", "that  the figure")

    found = anchor_detail(curly, **stored)

    assert curly[found.start : found.end] == "Critics noted “clearly” that  the figure"
    assert found.quote_changed and found.quote_similarity == 1.0  # same words once quotes and spaces are normalised


def test_a_deleted_sentence_leaves_an_orphan():
    stored = selector_of(ARTICLE, "Critics noted that the figure excludes part-time workers.")

    assert anchor(ARTICLE.replace("Critics noted that the figure excludes part-time workers. ", ""), **stored) is None


def test_a_look_alike_sentence_does_not_inherit_a_deleted_quote():
    text = "We have to be afraid of everything. We have to be afraid of refugees. We have to be afraid of Muslims. Why?"
    stored = selector_of(text, "We have to be afraid of refugees.")

    assert anchor(text.replace("We have to be afraid of refugees. ", ""), **stored) is None


def test_an_empty_quote_is_an_orphan():
    assert anchor(ARTICLE, exact="", prefix="The council ", suffix="met", start=12) is None


def test_a_text_shorter_than_the_quote_gives_an_orphan():
    stored = selector_of(ARTICLE, "Critics noted that the figure excludes part-time workers.")

    assert anchor("Critics noted", **stored) is None
    assert anchor("", **stored) is None


def test_a_start_outside_the_new_text_or_missing_is_only_a_hint():
    stored = selector_of(ARTICLE, "The budget passes next week.")
    expected = (stored["start"], stored["start"] + len(stored["exact"]))

    assert anchor(ARTICLE, **{**stored, "start": 10_000}) == expected
    assert anchor(ARTICLE, **{**stored, "start": None}) == expected


def test_offsets_are_code_points_around_emoji_and_accents():
    text = "Le maire 😀 a dit : « Le chômage a baissé à 3,5 % en 2019 », selon l’Élysée 🇫🇷. Fin."
    stored = selector_of(text, "Le chômage a baissé à 3,5 % en 2019")
    new_text = "Mise à jour 🕘 : " + text.replace("baissé", "baisse")  # accent dropped inside the quote

    found = anchor_detail(new_text, **stored)

    assert new_text[found.start : found.end] == "Le chômage a baisse à 3,5 % en 2019"
    assert found.quote_changed
    assert anchor("😀" + text, **stored) == (stored["start"] + 1, stored["start"] + 1 + len(stored["exact"]))


# ---- bench_nlp anchoring on a tiny transcript zip ----------------------------------------------------


def test_bench_nlp_anchoring_reports_every_case_on_both_halves(tmp_path):
    sentences = [
        "Thank you all for coming tonight to this debate.",
        "We cut taxes for working families by forty percent in 2017.",
        "My opponent voted against the budget three times, and he knows it.",
        "Unemployment is at a fifty year low across the whole country.",
        "We will build more schools, more hospitals and more roads.",
    ]
    archive = tmp_path / "v2.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        for n in range(2):  # two transcripts: one for the tuning half, one held out
            rows = "".join(f"{i}\tSPEAKER\t{s} (part {n})\t0\n" for i, s in enumerate(sentences * 4, start=1))
            zipped.writestr(f"v2.0/training/2020010{n}_debate.tsv", rows)
    out = io.StringIO()

    call_command("bench_nlp", "anchoring", data=[archive], json=True, stdout=out)

    report = json.loads(out.getvalue())["results"][str(archive)]
    for half in ("tuning", "held-out"):
        assert report[f"{half} · spans"] == 1000
        assert report[f"{half} · (a) unchanged · exact place"] == 1.0
        assert 0.0 <= report[f"{half} · (d) sentence deleted · anchored (false)"] <= 1.0
        assert f"{half} · (c) light edit in span · right place" in report
        assert report[f"{half} · (a)–(d) ms median"] >= 0
    assert report["thresholds chosen on"] == "tuning half"


@pytest.mark.parametrize("payload", ["", "1\tSPEAKER\t\t0\n"])
def test_bench_nlp_anchoring_refuses_transcripts_without_sentences(tmp_path, payload):
    folder = tmp_path / "transcripts"
    folder.mkdir()
    (folder / "empty.tsv").write_text(payload, encoding="utf-8")

    with pytest.raises(CommandError, match="no transcript sentences"):
        call_command("bench_nlp", "anchoring", data=[folder], stdout=io.StringIO())
