"""The review workflow: one state table, and the rule that checks a transition.

draft → submitted → approved | changes_requested | rejected; changes_requested → submitted;
approved → published → retracted, or corrected (stays published with a new verdict; the old one
stays visible in the history).

>>> check_transition("approve", "submitted", role="editor", is_author=False)
'approved'
>>> try:
...     check_transition("approve", "submitted", role="editor", is_author=True)
... except WorkflowError as error:
...     print(error)
nobody may approve their own annotation
"""

from dataclasses import dataclass

AUTHOR = "author"
REVIEWERS = frozenset({"editor", "admin"})  # project roles allowed to review


class WorkflowError(Exception):
    """A transition that is not allowed; the message says why."""


@dataclass(frozen=True)
class Transition:
    sources: frozenset[str]
    target: str
    who: frozenset[str]  # "author" and/or project roles
    comment_required: bool = False
    author_may_not: bool = False  # the four-eyes rule: reviewers never act on their own work


TRANSITIONS: dict[str, Transition] = {
    "submit": Transition(frozenset({"draft", "changes_requested"}), "submitted", frozenset({AUTHOR})),
    "approve": Transition(frozenset({"submitted"}), "approved", REVIEWERS, author_may_not=True),
    "request_changes": Transition(
        frozenset({"submitted"}), "changes_requested", REVIEWERS, comment_required=True, author_may_not=True
    ),
    "reject": Transition(frozenset({"submitted"}), "rejected", REVIEWERS, comment_required=True, author_may_not=True),
    "publish": Transition(frozenset({"approved"}), "published", REVIEWERS),
    "retract": Transition(frozenset({"published"}), "retracted", REVIEWERS, comment_required=True),
    "correct": Transition(frozenset({"published"}), "published", REVIEWERS, comment_required=True),
}
ACTION_LABELS = {
    "submit": "submit",
    "approve": "approve",
    "request_changes": "request changes on",
    "reject": "reject",
    "publish": "publish",
    "retract": "retract",
    "correct": "correct",
}


def check_transition(
    action: str, status: str, *, role: str | None, is_author: bool, comment: str = "", needs_comment: bool = False
) -> str:
    """Return the target status of ``action`` from ``status``, or raise WorkflowError saying why not.

    ``role`` is the actor's project role (None for non-members); ``needs_comment`` makes a comment
    mandatory for this call (e.g. approving a flagged disagreement).
    """
    transition = TRANSITIONS.get(action)
    if transition is None:
        raise WorkflowError(f"unknown action {action!r}; expected one of {', '.join(TRANSITIONS)}")
    label = ACTION_LABELS[action]
    if status not in transition.sources:
        allowed = " or ".join(sorted(transition.sources))
        raise WorkflowError(f"cannot {label} an annotation that is {status.replace('_', ' ')} (only when {allowed})")
    allowed_by_role = role in transition.who
    allowed_as_author = AUTHOR in transition.who and is_author
    if not (allowed_by_role or allowed_as_author):
        who = "its author" if transition.who == {AUTHOR} else "an editor or admin of the project"
        raise WorkflowError(f"only {who} may {label} this annotation")
    if transition.author_may_not and is_author:
        raise WorkflowError(f"nobody may {label} their own annotation")
    if (transition.comment_required or needs_comment) and not comment.strip():
        reason = "this verdict disagrees with another reviewer's" if needs_comment else f"you {label} it"
        raise WorkflowError(f"a comment is required: {reason}")
    return transition.target
