"""The extraction benchmark: its score, its honest leave-one-out choice, and the extractor in use on the saved
news pages of ``fixtures/extraction`` (22 invented pages, main text marked by hand)."""

from pathlib import Path

import pytest

from annotations.domain.article_files import EXTRACTOR, extract_html
from annotations.research import eval_extraction as ev

PAGES = Path(__file__).resolve().parents[1] / "fixtures" / "extraction"


def test_shingle_f1_counts_shared_word_four_grams():
    assert ev.shingle_f1("the port will grow", "The port will grow.") == (1.0, 1.0, 1.0)
    assert ev.shingle_f1("a b c d", "e f g h")[2] == 0.0
    precision, recall, _ = ev.shingle_f1("one two three four five six", "one two three four")
    assert (precision, recall) == (1 / 3, 1.0)  # 3 predicted shingles, 1 shared; the gold's one is found


def test_leave_one_out_scores_each_page_with_the_choice_made_without_it():
    report = {
        "a": {"pages": {"p1": 1.0, "p2": 0.0, "p3": 0.9}},
        "b": {"pages": {"p1": 0.5, "p2": 0.6, "p3": 0.6}},
    }
    result = ev.leave_one_out(report)
    # without p1: a 0.45, b 0.6 -> b (0.5); without p2: a 0.95 -> a (0.0); without p3: a 0.5, b 0.55 -> b (0.6)
    assert result["picks"] == {"b": 2, "a": 1}
    assert result["f1"] == pytest.approx((0.5 + 0.0 + 0.6) / 3)


def test_the_benchmark_has_22_pages_with_gold_text():
    pages = ev.load_pages(PAGES)
    assert len(pages) == 22 and all(page.gold.strip() for page in pages)


def test_the_extractor_in_use_keeps_its_score_on_the_saved_pages():
    pages = ev.load_pages(PAGES)
    scores = [ev.shingle_f1(extract_html(page.name, page.html).body, page.gold)[2] for page in pages]
    assert EXTRACTOR.startswith("trafilatura precision")
    assert sum(scores) / len(scores) >= 0.95  # measured 0.9755 (bench_nlp extraction); a regression fails here
