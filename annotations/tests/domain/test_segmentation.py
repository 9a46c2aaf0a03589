"""Sentence segmentation: invariants for any input, English rules, speed on hostile input, and the
benchmark helpers (on tiny data made here: the real data sets live outside the repository)."""

import gc
import json
import re
import statistics
import time
import zipfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from annotations.domain.segmentation import SEGMENTER_VERSION, Segment, segment
from annotations.research.eval_segmentation import boundary_f1, golden_rules_score, load_golden_rules, load_transcripts


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
# Each pattern as a function of the length wanted (about n characters), so it can be grown.
HOSTILE = {
    "periods between letters": lambda n: "a." * (n // 2),
    "periods only": lambda n: "." * n,
    "newlines only": lambda n: "\n" * n,
    "spaces only": lambda n: " " * n,
    "one long word": lambda n: "a" * n,
    "opening brackets": lambda n: "[" * n,
    "quotes": lambda n: '"' * n,
    "spaced periods": lambda n: ". " * (n // 2),
    "dashes": lambda n: "-- " * (n // 3),
    "one period then spaces": lambda n: "x." + " " * n + "y",
    "mixed candidates": lambda n: ("Mr. Smith said: “Hi!” (APPLAUSE) 1. a b 2. c -- e... F " * (n // 50 + 1))[:n],
}
GROWTH = 4  # linear: 4× the CPU time; quadratic: 16×
MAX_RATIO = 6.0
SMALLEST, LARGEST = 8_000, 64_000  # the smaller text is SMALLEST · 2^k ≤ LARGEST characters long
ATTEMPTS = 3


def _cpu_seconds(segment_fn, text: str, times: int = 1) -> float:
    """CPU time (not wall time: other processes on a busy machine do not count) of ``times`` calls, without the
    garbage collector (as ``timeit`` does: a collection would land on one run and not the other)."""
    gc.disable()
    try:
        started = time.process_time()
        for _ in range(times):
            segment_fn(text)
        return time.process_time() - started
    finally:
        gc.enable()


def growth_ratio(segment_fn, make, pairs: int = 7) -> tuple[float, int]:
    """How many times the CPU time of n characters ``GROWTH`` × n characters take; returns (ratio, n).

    n is doubled from ``SMALLEST`` until one run takes 4 ms or n reaches ``LARGEST``, so a quadratic function is
    caught at a small n, quickly. Each of ``pairs`` measurements times the larger text once against the smaller
    one ``GROWTH`` times — the same work if linear, so both windows meet the same share of preemptions, cache
    pollution and busy sibling hyper-threads — back to back, alternating which goes first; the median of the
    pairs is the ratio. The texts stay small (≤ 256,000 characters) so the larger one's memory behaves like the
    smaller one's: past 1 M characters the segmenter's largest buffers pass glibc's 32 MB mmap threshold and are
    faulted in afresh on every run. The larger text is segmented once before timing, for its first page faults.
    """
    n = SMALLEST
    while n * 2 <= LARGEST and _cpu_seconds(segment_fn, make(n)) < 0.004:
        n *= 2
    small, large = make(n), make(GROWTH * n)
    segment_fn(large)
    ratios = []
    for i in range(pairs):
        if i % 2:
            same_work = _cpu_seconds(segment_fn, small, times=GROWTH)
            once = _cpu_seconds(segment_fn, large)
        else:
            once = _cpu_seconds(segment_fn, large)
            same_work = _cpu_seconds(segment_fn, small, times=GROWTH)
        ratios.append(GROWTH * once / max(same_work, 1e-9))
    return statistics.median(ratios), n


@pytest.mark.parametrize("make", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_input_is_segmented_in_linear_time_and_a_megabyte_of_it_slices_back_exactly(make):
    # A linear segmenter measures ~4 (at most 5.2 in 88 tries on 2 cores at load 5.5); a quadratic one 9–20.
    # Only ATTEMPTS measurements in a row above the limit fail, so a burst of load cannot; one far above it is
    # not noise and fails at once.
    for _ in range(ATTEMPTS):
        ratio, n = growth_ratio(segment, make)
        if ratio < MAX_RATIO or ratio > 2 * MAX_RATIO:
            break

    assert ratio < MAX_RATIO, f"{GROWTH}× the text ({n:,} → {GROWTH * n:,} chars) took {ratio:.1f}× the CPU time"

    text = make(MEGABYTE)
    started = time.process_time()
    segments = segment(text)
    seconds = time.process_time() - started

    assert all(text[s.start : s.end] == s.text for s in segments[:1000])
    assert seconds < 5.0, f"{seconds:.2f} s of CPU for {len(text):,} characters"  # ~0.02–0.5 s on one core


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
