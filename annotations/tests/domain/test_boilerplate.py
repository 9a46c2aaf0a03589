from pathlib import Path

import pytest

from annotations.domain.boilerplate import strip_boilerplate
from annotations.domain.text import normalize_text

SEEDS = Path(__file__).resolve().parents[3] / "seeds"


def _seed(name: str) -> tuple[str, str]:
    title, _, body = normalize_text((SEEDS / name).read_text(encoding="utf-8")).partition("\n")
    return title, body


def test_the_evacuation_seed_ends_with_its_last_paragraph_and_keeps_the_sources_footer():
    title, body = _seed("putin-abandons-maduro-russia-evacuates-citizens.txt")

    cleaned = strip_boilerplate(body, title=title)

    assert cleaned.body.endswith("or if Moscow’s evacuation signals the beginning of the end for Maduro’s rule.")
    assert cleaned.body.startswith("- Russia has begun evacuating its citizens from Venezuela")
    assert cleaned.tail.startswith("Watch the video below about Venezuelan President Nicolás Maduro")
    assert cleaned.tail.endswith("Brighteon.com\nRead full article here")
    assert "Sources include:" in cleaned.tail
    assert cleaned.rules == ["tail-marker:sources", "footer:video-credit", "footer:watch-video"]
    assert len(cleaned.body) + len(cleaned.tail) + 1 == len(body.rstrip())  # nothing lost


def test_the_putin_role_seed_ends_before_the_repeated_title_and_author_block():
    title, body = _seed("russias-role-in-venezuela-will-putin-save-maduro.txt")

    cleaned = strip_boilerplate(body, title=title)

    assert cleaned.body.endswith(
        "with Russia's support contingent on the US's actions and the geopolitical calculus at play."
    )
    assert cleaned.tail.startswith("Russia's Role in Venezuela: Will Putin Save Maduro? (2025)\nTop Articles")
    assert "Phone: +2614651609714" in cleaned.tail
    assert "Top Articles" not in cleaned.body and "Author information" not in cleaned.body


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("Sources include:\nExample.com\n" + "A real paragraph. " * 20 + "End.", id="marker_in_first_half"),
        pytest.param("Long article text. " * 10 + "\nSources include several officials who spoke to us.",
                     id="prose_mentioning_sources"),
        pytest.param("Long article text. " * 10 + "\nWe read the full article here and disagree.", id="prose_read"),
    ],
)  # fmt: skip
def test_lines_that_are_not_whole_footer_markers_late_in_the_text_are_kept(text):
    cleaned = strip_boilerplate(text, title="Title")

    assert cleaned.body == text.strip("\n")
    assert cleaned.tail == ""


def test_site_chrome_lines_at_the_start_are_removed_and_kept():
    cleaned = strip_boilerplate("Skip to content\nAdvertisement\n\nThe article starts here. " * 1, title="T")

    assert cleaned.body == "The article starts here."
    assert cleaned.head == "Skip to content\nAdvertisement"


def test_text_that_is_only_footer_is_left_alone_rather_than_emptied():
    text = "Advertisement\nSkip to content"

    assert strip_boilerplate(text, title="T").body == text


def _paragraphs(n: int, word: str = "harbour") -> list[str]:
    return [f"Paragraph {i} says the {word} council approved a berth and the director expects more jobs soon." for i in
            range(n)]  # fmt: skip


def test_a_marker_line_quoted_mid_article_does_not_move_the_rest_of_the_article_into_the_tail():
    # "Sources include:" and "Top Articles" in the second half of a long article, each followed by more article.
    lines = [*_paragraphs(300), "Sources include:", *_paragraphs(200, "port"), "Top Articles", *_paragraphs(150)]
    text = "\n".join(lines)

    cleaned = strip_boilerplate(text, title="Harbour")

    assert cleaned.body == text
    assert cleaned.tail == "" and cleaned.rules == []


def test_a_real_footer_after_a_quoted_marker_is_still_set_aside():
    article = [*_paragraphs(300), "Sources include:", *_paragraphs(200, "port")]
    footer = ["Sources include:", "Example.com", "Newsroom.example", "Read full article here"]
    text = "\n".join(article + footer)

    cleaned = strip_boilerplate(text, title="Harbour")

    assert cleaned.body == "\n".join(article)
    assert cleaned.tail == "\n".join(footer)
    assert cleaned.rules == ["tail-marker:sources"]


def test_a_long_footer_of_short_lines_is_set_aside_whatever_its_length():
    article = _paragraphs(40)
    footer = ["Related articles", *(f"Ten things about ports, part {i}" for i in range(100))]
    text = "\n".join(article + footer)

    cleaned = strip_boilerplate(text, title="Harbour")

    assert len(cleaned.tail) > 0.4 * len(text)  # far over the share cap, but every line is a headline
    assert cleaned.body == "\n".join(article)


def test_a_block_of_prose_after_a_marker_is_kept_when_over_the_cap():
    article = _paragraphs(40)
    after = ["Comments", *_paragraphs(12, "ferry")]  # 12 full sentences: about 23 % of the text
    text = "\n".join(article + after)

    cleaned = strip_boilerplate(text, title="Harbour")

    assert cleaned.body == text and cleaned.tail == ""


def _cpu(function, *args, **kwargs) -> float:
    import time

    started = time.process_time()
    function(*args, **kwargs)
    return time.process_time() - started


def test_deciding_what_to_set_aside_takes_linear_time_whatever_the_number_of_marker_lines():
    def text(n: int) -> str:  # n marker lines, and prose at the very end: no tail may be removed
        return "Intro. " * 50 + "\n" + "\n".join(["Comments"] * n) + "\n" + "A closing sentence of prose. " * 3

    small, large = _cpu(strip_boilerplate, text(20_000), title="T"), _cpu(strip_boilerplate, text(160_000), title="T")
    assert large < 24 * max(small, 0.005)  # 8× the input: linear ~8×, the old quadratic scan was ~64×


def test_leading_comments_cannot_make_the_html_sniffer_backtrack():
    from annotations.domain.article_files import looks_like_html

    assert _cpu(looks_like_html, "<!---->" * 50_000 + "<x>") < 1.0
    assert looks_like_html("<!-- saved -->\n<!doctype html><html><body><p>Hi</p></body></html>")
