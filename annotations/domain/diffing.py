"""Word-level differences between two versions of an article (stdlib ``difflib``, no Django).

Texts are split into words, runs of whitespace and single punctuation marks, and compared token by token
(``SequenceMatcher`` without its "junk" heuristic, which would treat frequent words such as "the" as
noise in a long article). Neighbouring operations of the same kind are merged, and joining the ``equal``
and ``delete`` pieces gives the old text back, ``equal`` and ``insert`` the new one.

>>> word_diff("Wages rose 3 percent.", "Wages rose 4 percent.")
[('equal', 'Wages rose '), ('delete', '3'), ('insert', '4'), ('equal', ' percent.')]
>>> word_diff("A.", "A. B.")
[('equal', 'A.'), ('insert', ' B.')]
>>> word_diff("same", "same")
[('equal', 'same')]
"""

import re
from difflib import SequenceMatcher
from typing import Literal

Op = Literal["equal", "insert", "delete"]
_TOKEN = re.compile(r"\w+|\s+|[^\w\s]", re.UNICODE)


def tokens(text: str) -> list[str]:
    """``text`` as words, whitespace runs and punctuation marks; ``"".join(tokens(t)) == t``.

    >>> tokens("It's 3.5%!")
    ['It', "'", 's', ' ', '3', '.', '5', '%', '!']
    """
    return _TOKEN.findall(text)


def word_diff(old: str, new: str) -> list[tuple[Op, str]]:
    """The operations that turn ``old`` into ``new``, word by word (see the module docstring)."""
    a, b = tokens(old), tokens(new)
    ops: list[tuple[Op, str]] = []

    def add(op: Op, text: str) -> None:
        if not text:
            return
        if ops and ops[-1][0] == op:
            ops[-1] = (op, ops[-1][1] + text)
        else:
            ops.append((op, text))

    for tag, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            add("equal", "".join(a[i1:i2]))
            continue
        add("delete", "".join(a[i1:i2]))  # a replacement is a deletion then an insertion
        add("insert", "".join(b[j1:j2]))
    return _ordered(ops)


def _ordered(ops: list[tuple[Op, str]]) -> list[tuple[Op, str]]:
    """Within each changed stretch (between two ``equal`` pieces), one deletion then one insertion."""
    result: list[tuple[Op, str]] = []
    deleted, inserted = "", ""
    for op, text in [*ops, ("equal", "")]:
        if op == "delete":
            deleted += text
        elif op == "insert":
            inserted += text
        else:
            result.extend(piece for piece in (("delete", deleted), ("insert", inserted)) if piece[1])
            deleted, inserted = "", ""
            if text:
                result.append((op, text))
    return result


def diff_stats(ops: list[tuple[Op, str]]) -> dict[str, int]:
    """Characters inserted and deleted, and how many changed stretches there are.

    >>> diff_stats(word_diff("Wages rose 3 percent.", "Wages rose 4 percent. Prices too."))
    {'inserted': 13, 'deleted': 1, 'changes': 2}
    """
    inserted = sum(len(text) for op, text in ops if op == "insert")
    deleted = sum(len(text) for op, text in ops if op == "delete")
    changes, in_change = 0, False
    for op, _ in ops:
        if op != "equal" and not in_change:
            changes += 1
        in_change = op != "equal"
    return {"inserted": inserted, "deleted": deleted, "changes": changes}
