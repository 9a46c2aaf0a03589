"""Word-level diffs between two versions of a text (``domain/diffing.py``): pure Python, no database."""

import doctest
import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from annotations.domain import diffing, history, workflow
from annotations.domain.diffing import diff_stats, tokens, word_diff

WORDS = st.lists(st.sampled_from(["Wages", "rose", "3", "percent", ".", " ", "\n", "Nicolás", "😀", ","]), max_size=40)


@pytest.mark.parametrize("module", [diffing, history, workflow])
def test_the_docstring_examples_hold(module):
    result = doctest.testmod(module)

    assert result.attempted >= 3 and result.failed == 0


@given(WORDS, WORDS)
def test_the_operations_give_back_both_texts(old_words, new_words):
    old, new = "".join(old_words), "".join(new_words)

    ops = word_diff(old, new)

    assert "".join(text for op, text in ops if op != "insert") == old
    assert "".join(text for op, text in ops if op != "delete") == new
    assert all(text for _, text in ops)  # no empty pieces
    assert all(a[0] != b[0] for a, b in itertools.pairwise(ops))  # neighbours merged


def test_a_changed_number_is_one_word_deleted_and_one_inserted_not_a_rewritten_sentence():
    old, new = "The U.S. deploys 11 warships and 15,000 troops.", "The U.S. deploys 12 warships and 16,000 troops."

    ops = word_diff(old, new)

    assert [op for op in ops if op[0] != "equal"] == [("delete", "11"), ("insert", "12"), ("delete", "15"),
                                                       ("insert", "16")]  # fmt: skip
    assert diff_stats(ops) == {"inserted": 4, "deleted": 4, "changes": 2}


def test_tokens_keep_every_character():
    text = "It’s 3.5%—“quoted”\n\ttabs 😀"

    assert "".join(tokens(text)) == text
