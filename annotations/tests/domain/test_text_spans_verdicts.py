import ast
from pathlib import Path

import pytest

from annotations.domain.spans import SpanError, codepoint_to_utf16, quote_selector, utf16_to_codepoint, validate_span
from annotations.domain.text import content_sha256, normalize_line, normalize_text
from annotations.domain.verdicts import Verdict

DOMAIN = Path(__file__).resolve().parents[2] / "domain"


def test_the_domain_package_never_imports_django():
    for path in DOMAIN.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            assert not any(name.split(".")[0] == "django" for name in names), f"{path.name} imports django"


def test_normalize_text_composes_accents_unifies_newlines_and_trims_trailing_spaces():
    raw = "\ufeffCafe\u0301 costs 3.50  \r\nSecond line\t\rThird\x00 line   \n\n\n\n\n\nEnd  \n"

    assert normalize_text(raw) == "Café costs 3.50\nSecond line\nThird line\n\n\nEnd"


def test_normalize_line_collapses_whitespace():
    assert normalize_line("  A   title\n split ") == "A title split"


def test_content_hash_depends_only_on_the_text():
    assert content_sha256("abc") == content_sha256("abc") != content_sha256("abd")
    assert len(content_sha256("abc")) == 64


@pytest.mark.parametrize(
    ("text", "utf16", "codepoint"),
    [
        pytest.param("plain", 3, 3, id="ascii"),
        pytest.param("a😀b", 3, 2, id="emoji_is_two_units"),
        pytest.param("😀😀x", 4, 2, id="two_emoji"),
        pytest.param("e\u0301té", 2, 2, id="combining_accent_is_one_unit_each"),
        pytest.param("中文字", 3, 3, id="cjk_is_one_unit"),
        pytest.param("a😀", 3, 2, id="end_of_text"),
    ],
)
def test_utf16_and_codepoint_offsets_convert_both_ways(text, utf16, codepoint):
    assert utf16_to_codepoint(text, utf16) == codepoint
    assert codepoint_to_utf16(text, codepoint) == utf16


def test_an_offset_inside_a_surrogate_pair_is_rejected():
    with pytest.raises(SpanError, match="surrogate"):
        utf16_to_codepoint("a😀b", 2)


@pytest.mark.parametrize(
    ("start", "end", "exact", "message"),
    [
        (-1, 3, None, "must not be negative"),
        (3, 3, None, "greater than start"),
        (0, 99, None, "beyond the end"),
        (0, 3, "xyz", "does not match"),
    ],
)
def test_validate_span_rejects_spans_that_do_not_fit(start, end, exact, message):
    with pytest.raises(SpanError, match=message):
        validate_span("The text", start, end, exact)


def test_quote_selector_keeps_context_around_the_quote():
    selector = quote_selector("0123456789", 4, 6, context=2)

    assert (selector.prefix, selector.exact, selector.suffix) == ("23", "45", "67")


def test_the_verdict_scale_is_ordinal_with_unverifiable_outside_it():
    assert [v.rating for v in Verdict] == [5, 4, 3, 2, 1, None]
    assert Verdict("mostly_true").label == "Mostly true"
