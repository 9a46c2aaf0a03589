"""Sentence segmentation: invariants for any input, English rules, speed on hostile input, and the
benchmark helpers (on tiny data made here: the real data sets live outside the repository)."""

import json
import re
import time
import zipfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from annotations.domain.eval_segmentation import boundary_f1, golden_rules_score, load_golden_rules, load_transcripts
from annotations.domain.segmentation import SEGMENTER_VERSION, Segment, segment


def texts(text: str) -> list[str]:
    return [s.text for s in segment(text)]


# ---- invariants ---------------------------------------------------------------------------------------------

# Pieces that exercise every rule, mixed with arbitrary Unicode: emoji, combining marks, CJK, odd spaces.
TRICKY = [
    *list(".?!…‽-—–•⁃()[]\"'“”‘’»«,;:"),
    "...",
    ". . .",
    "--",
    "- ",
    "1. ",
    "(x)",
    " ",
    "  ",
    "\n",
    "\n\n",
    "\t",
    "\r\n",
    "\u00a0",
    "\u2028",
    "\u3000",
    "a",
    "A",
    "I",
    "1",
    "12",
    "Mr",
    "U.S",
    "a.m",
    "co",
    "No",
    "The",
    "word",
    "😀",
    "👩‍👩‍👧",
    "e\u0301",
    "\u0301",
    "中文",
    "١٢",
    "ǅ",
]
BLANK_LINE = re.compile(r"\n[^\S\n]*\n")
BULLET_LINE = re.compile(r"\n[^\S\n]*([-•⁃] )")
ANY_TEXT = st.one_of(st.text(), st.lists(st.sampled_from(TRICKY), max_size=60).map("".join))


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ANY_TEXT)
def test_segments_slice_back_sorted_stripped_and_lose_no_visible_character(text):
    segments = segment(text)

    previous_end = 0
    for s in segments:
        assert isinstance(s, Segment)
        assert text[s.start : s.end] == s.text
        assert s.text and s.text == s.text.strip()
        assert previous_end <= s.start < s.end <= len(text)
        previous_end = s.end
    assert "".join(text.split()) == "".join("".join(s.text.split()) for s in segments)


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ANY_TEXT)
def test_no_segment_spans_a_blank_line_and_every_bullet_line_starts_a_segment(text):
    segments = segment(text)

    starts = {s.start for s in segments}
    assert not any(BLANK_LINE.search(s.text) for s in segments)
    assert all(match.start(1) in starts for match in BULLET_LINE.finditer(text))


@pytest.mark.parametrize("text", ["", " ", "\n\n\n", " \t\u00a0\u2028\u3000 "])
def test_empty_and_whitespace_only_texts_have_no_segments(text):
    assert segment(text) == []


def test_offsets_are_code_points_even_after_emoji():
    text = "Wow 😀. Next one."

    assert segment(text) == [Segment(0, 6, "Wow 😀."), Segment(7, 16, "Next one.")]


def test_the_segmenter_version_is_a_string_stored_with_every_segmentation():
    assert isinstance(SEGMENTER_VERSION, str) and SEGMENTER_VERSION


# ---- English rules (own examples in the spirit of the pySBD golden rules) ------------------------------------

RULES = [
    # abbreviations and titles
    ("Dr. Ortiz met Mrs. Lee at St. Mary's Hospital.", ["Dr. Ortiz met Mrs. Lee at St. Mary's Hospital."]),
    ("The U.S. Senate voted on Friday. It passed.", ["The U.S. Senate voted on Friday.", "It passed."]),
    ("They moved to the U.K. Then they came back.", ["They moved to the U.K.", "Then they came back."]),
    ("The deal with Brown & Co. closed today.", ["The deal with Brown & Co. closed today."]),
    ("We bought pears, plums, etc. and went home.", ["We bought pears, plums, etc. and went home."]),
    ("The meeting starts at 9 a.m. sharp.", ["The meeting starts at 9 a.m. sharp."]),
    ("It took effect on Jan. 1 last year. See p. 12.", ["It took effect on Jan. 1 last year.", "See p. 12."]),
    ("No. 5 won the race. No. We never agreed.", ["No. 5 won the race.", "No.", "We never agreed."]),
    # numbers, money, initials
    ("Inflation fell to 2.4 percent. Rates stayed.", ["Inflation fell to 2.4 percent.", "Rates stayed."]),
    ("The ticket cost $3.50. That was cheap.", ["The ticket cost $3.50.", "That was cheap."]),
    ("The novel by J. K. Rowling sold well.", ["The novel by J. K. Rowling sold well."]),
    ("It was just you and I. Then it rained.", ["It was just you and I.", "Then it rained."]),
    # quotes and parentheses
    ('"Where are you going?" she asked.', ['"Where are you going?" she asked.']),
    ("“This is final.” He walked out.", ["“This is final.”", "He walked out."]),
    ("She sings (She learned it as a child.) in a choir.", ["She sings (She learned it as a child.) in a choir."]),
    ("Are you serious?! I had no idea.", ["Are you serious?!", "I had no idea."]),
    # ellipses
    ("I was thinking... maybe not.", ["I was thinking... maybe not."]),
    ("I was going to... Never mind.", ["I was going to...", "Never mind."]),
    ("He paused . . . I waited.", ["He paused . . . I waited."]),
    # e-mail addresses and URLs
    ("Write to desk@example.org. We answer.", ["Write to desk@example.org.", "We answer."]),
    ("See https://example.com/a.b?x=1. It helps.", ["See https://example.com/a.b?x=1.", "It helps."]),
    # enumerations written on one line
    ("1) Buy milk 2) Call home 3) Pay rent", ["1) Buy milk", "2) Call home", "3) Pay rent"]),
    ("a. Red paint b. Green paint", ["a. Red paint", "b. Green paint"]),
    ("• 4. First point • 5. Second point", ["• 4. First point", "• 5. Second point"]),
    # speech transcripts: a broken-off sentence and a stage direction
    ("We need to-- Let me finish.", ["We need to--", "Let me finish."]),
    ("Thank you all. (APPLAUSE) Now to business.", ["Thank you all.", "(APPLAUSE)", "Now to business."]),
]


@pytest.mark.parametrize(("text", "expected"), RULES, ids=[expected[0][:30] for _, expected in RULES])
def test_english_sentence_rules(text, expected):
    assert texts(text) == expected


def test_abbreviations_do_not_end_a_sentence_before_a_name_but_do_before_a_new_sentence():
    assert texts("I met Gen. Smith in the U.S. We talked.") == ["I met Gen. Smith in the U.S.", "We talked."]


# ---- lines: titles, bullets, paragraphs ---------------------------------------------------------------------


def test_titles_and_bullet_lines_never_merge_with_the_next_line():
    text = (
        "Flights cancelled\n- Tour operators (ATOR) reroute flights\n- Tourists stay (for now)\n"
        "• Prices rise\n1. Stay calm\nThe end."
    )

    assert texts(text) == [
        "Flights cancelled",
        "- Tour operators (ATOR) reroute flights",
        "- Tourists stay (for now)",
        "• Prices rise",
        "1. Stay calm",
        "The end.",
    ]


def test_a_blank_line_always_separates_paragraphs():
    assert texts("The first paragraph ends without a stop\n\nthe second one") == [
        "The first paragraph ends without a stop",
        "the second one",
    ]


def test_a_single_line_break_inside_a_sentence_does_not_split_it():
    assert texts("The minister said the plan\nwould be delayed. Nobody was surprised.") == [
        "The minister said the plan\nwould be delayed.",
        "Nobody was surprised.",
    ]


def test_a_news_article_splits_into_title_bullets_and_sentences_including_quoted_ones():
    text = (
        "Russia evacuates citizens amid rising U.S. pressure\n"
        "- Russia has begun evacuating its citizens. Tourists will fly home.\n"
        "- Flights were rerouted to Cuba\n"
        "\n"
        "“We inform you that the Moscow-Porlamar flight on December 1 has been cancelled. "
        "A Moscow-Varadero flight is planned instead,” PEGAS Touristik said in a message.\n"
        "Anna Podgornaya, CEO of Pegas Touristik, said Russians would stay as planned."
    )

    assert texts(text) == [
        "Russia evacuates citizens amid rising U.S. pressure",
        "- Russia has begun evacuating its citizens.",
        "Tourists will fly home.",
        "- Flights were rerouted to Cuba",
        # A quotation of two sentences is split like any other text; the attribution stays with the second.
        "“We inform you that the Moscow-Porlamar flight on December 1 has been cancelled.",
        "A Moscow-Varadero flight is planned instead,” PEGAS Touristik said in a message.",
        "Anna Podgornaya, CEO of Pegas Touristik, said Russians would stay as planned.",
    ]


# ---- hostile input ------------------------------------------------------------------------------------------

MEGABYTE = 1_000_000
HOSTILE = {
    "periods between letters": "a." * (MEGABYTE // 2),
    "periods only": "." * MEGABYTE,
    "newlines only": "\n" * MEGABYTE,
    "spaces only": " " * MEGABYTE,
    "one long word": "a" * MEGABYTE,
    "opening brackets": "[" * MEGABYTE,
    "quotes": '"' * MEGABYTE,
    "spaced periods": ". " * (MEGABYTE // 2),
    "dashes": "-- " * (MEGABYTE // 3),
    "one period then spaces": "x." + " " * MEGABYTE + "y",
    "mixed candidates": ("Mr. Smith said: “Hi!” (APPLAUSE) 1. a b 2. c -- e... F " * 20_000)[:MEGABYTE],
}


@pytest.mark.parametrize("text", HOSTILE.values(), ids=HOSTILE.keys())
def test_a_megabyte_of_hostile_input_is_segmented_fast(text):
    started = time.perf_counter()
    segments = segment(text)
    elapsed = time.perf_counter() - started

    assert all(text[s.start : s.end] == s.text for s in segments[:1000])
    assert elapsed < 2.0, f"{elapsed:.2f} s for {len(text):,} characters"


# ---- benchmark helpers --------------------------------------------------------------------------------------


def test_golden_rules_score_counts_exact_matches_of_stripped_expectations(tmp_path):
    path = tmp_path / "rules.jsonl"
    cases = [
        {"id": 1, "text": "One. Two.", "expected": ["One. ", "Two."]},
        {"id": 2, "text": "Mr. Smith came.", "expected": ["Mr.", "Smith came."]},
    ]
    path.write_text("\n".join(json.dumps(case) for case in cases) + "\n\n", encoding="utf-8")

    score = golden_rules_score(load_golden_rules(path), segment)

    assert score == {"passed": 1, "total": 2, "rate": 0.5, "failed": [2]}


def _tsv(*sentences: str) -> str:
    return "".join(f"{number}\tSPEAKER\t{sentence}\t0\n" for number, sentence in enumerate(sentences, start=1))


def test_transcripts_load_from_a_zip_split_or_a_folder_in_line_order(tmp_path):
    archive = tmp_path / "v2.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("v2.0/training/b.tsv", "2\tB\tSecond.\t1\n1\tA\tFirst. \t0\n")
        zipped.writestr("v2.0/test/a.tsv", "line_number\tspeaker\ttext\tlabel\n" + _tsv("Only one."))
    folder = tmp_path / "flat"
    folder.mkdir()
    (folder / "x.tsv").write_text(_tsv("Hello there.", "(APPLAUSE)"), encoding="utf-8")

    assert load_transcripts(archive) == [["First.", "Second."]]
    assert load_transcripts(archive, split="test") == [["Only one."]]
    assert load_transcripts(archive, split=None) == [["Only one."], ["First.", "Second."]]
    assert load_transcripts(folder) == load_transcripts(folder, split=None) == [["Hello there.", "(APPLAUSE)"]]
    with pytest.raises(ValueError, match="no split 'dev'"):
        load_transcripts(archive, split="dev")


def test_boundary_f1_matches_end_offsets_in_the_joined_transcript():
    transcripts = [["It rained.", "We stayed in.", "Mr. Smith came."], ["One.", "Two."]]

    def split_everywhere(text: str) -> list[Segment]:
        return [Segment(i, i + len(word), word) for i, word in _words(text)]

    exact = boundary_f1(transcripts, segment)
    assert (exact["tp"], exact["fp"], exact["fn"], exact["f1"]) == (3, 0, 0, 1.0)
    assert exact["chars"] == len("It rained. We stayed in. Mr. Smith came.") + len("One. Two.")
    rough = boundary_f1(transcripts, split_everywhere)
    assert (rough["tp"], rough["fp"], rough["fn"]) == (3, 5, 0)
    assert rough["precision"] == pytest.approx(3 / 8) and rough["recall"] == 1.0


def _words(text: str) -> list[tuple[int, str]]:
    found, position = [], 0
    for word in text.split(" "):
        found.append((position, word))
        position += len(word) + 1
    return found
