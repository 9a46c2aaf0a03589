"""The review workflow: one state table, and the rule that checks a transition.

draft → submitted → approved | changes_requested | rejected; changes_requested → submitted;
approved → published → retracted, or corrected (stays published with a new verdict; the old one
stays visible in the history).

>>> check_transition("approve", "submitted", role="editor", is_author=False)
'approved'
>>> try:
...     check_transition("approve", "submitted", role="editor", is_author=True)
... except WorkflowError as error:
...     print(type(error).__name__, error.status, error)
TransitionForbidden 403 nobody may approve their own annotation
>>> path_to("published")
['submit', 'approve', 'publish']

Errors are typed: who may not act → ``TransitionForbidden`` (403); the annotation is not in a state that
allows the action → ``TransitionConflict`` (409); unknown action or a missing comment → ``TransitionInvalid`` (400).
"""

from dataclasses import dataclass

from annotations.domain.errors import AppError, Conflict, Forbidden, Invalid
from annotations.domain.vocabulary import AnnotationStatus as S
from annotations.domain.vocabulary import Role

AUTHOR = "author"
REVIEWERS = frozenset({Role.EDITOR, Role.ADMIN})  # project roles allowed to review


class WorkflowError(AppError):
    """A transition that is not allowed; the message says why."""


class TransitionForbidden(WorkflowError, Forbidden):
    """This user may not take this action on this annotation."""


class TransitionConflict(WorkflowError, Conflict):
    """The annotation is not in a state the action starts from (already done, or changed meanwhile)."""


class TransitionInvalid(WorkflowError, Invalid):
    """Unknown action, or a comment is missing."""


@dataclass(frozen=True)
class Transition:
    sources: frozenset[str]
    target: str
    who: frozenset[str]  # "author" and/or project roles
    comment_required: bool = False
    author_may_not: bool = False  # the four-eyes rule: reviewers never act on their own work


TRANSITIONS: dict[str, Transition] = {
    "submit": Transition(frozenset({S.DRAFT, S.CHANGES_REQUESTED}), S.SUBMITTED, frozenset({AUTHOR})),
    "approve": Transition(frozenset({S.SUBMITTED}), S.APPROVED, REVIEWERS, author_may_not=True),
    "request_changes": Transition(
        frozenset({S.SUBMITTED}), S.CHANGES_REQUESTED, REVIEWERS, comment_required=True, author_may_not=True
    ),
    "reject": Transition(frozenset({S.SUBMITTED}), S.REJECTED, REVIEWERS, comment_required=True, author_may_not=True),
    "publish": Transition(frozenset({S.APPROVED}), S.PUBLISHED, REVIEWERS, author_may_not=True),
    "retract": Transition(frozenset({S.PUBLISHED}), S.RETRACTED, REVIEWERS, comment_required=True, author_may_not=True),
    "correct": Transition(frozenset({S.PUBLISHED}), S.PUBLISHED, REVIEWERS, comment_required=True, author_may_not=True),
}
# How an annotation reaches each status from a new draft (used to check imported review states).
PATHS: dict[str, list[str]] = {
    S.DRAFT: [],
    S.SUBMITTED: ["submit"],
    S.APPROVED: ["submit", "approve"],
    S.CHANGES_REQUESTED: ["submit", "request_changes"],
    S.REJECTED: ["submit", "reject"],
    S.PUBLISHED: ["submit", "approve", "publish"],
    S.RETRACTED: ["submit", "approve", "publish", "retract"],
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
        raise TransitionInvalid(f"unknown action {action!r}; expected one of {', '.join(TRANSITIONS)}")
    label = ACTION_LABELS[action]
    allowed_by_role = role in transition.who
    allowed_as_author = AUTHOR in transition.who and is_author
    if not (allowed_by_role or allowed_as_author):
        who = "its author" if transition.who == {AUTHOR} else "an editor or admin of the project"
        raise TransitionForbidden(f"only {who} may {label} this annotation")
    if transition.author_may_not and is_author:
        raise TransitionForbidden(f"nobody may {label} their own annotation")
    if status not in transition.sources:
        allowed = " or ".join(sorted(s.replace("_", " ") for s in transition.sources))
        raise TransitionConflict(
            f"cannot {label} an annotation that is {status.replace('_', ' ')} (only when {allowed})"
        )
    if (transition.comment_required or needs_comment) and not comment.strip():
        reason = "this verdict disagrees with another reviewer's" if needs_comment else f"you {label} it"
        raise TransitionInvalid(f"a comment is required: {reason}")
    return str(transition.target)


# When the article's text changes under an annotation (its quote changed, or it could not be placed), a verdict
# that was waiting for review or approved goes back to its author: "changes requested" is the workflow's own
# way to ask for a re-check (the author may then move it, fix it and submit it again). Drafts and annotations
# already sent back stay where they are; published verdicts stay public (the review screen flags them, an
# editor corrects or retracts them); rejected and retracted ones are closed.
TEXT_CHANGE_SENDS_BACK = frozenset({S.SUBMITTED, S.APPROVED})


def status_after_text_change(status: str) -> str:
    """The review status of an annotation whose words changed in a new version of its article.

    >>> [status_after_text_change(s) for s in ("draft", "submitted", "approved", "published")]
    ['draft', 'changes_requested', 'changes_requested', 'published']
    """
    return str(S.CHANGES_REQUESTED) if status in TEXT_CHANGE_SENDS_BACK else str(status)


def allowed_actions(status: str, *, role: str | None, is_author: bool) -> list[str]:
    """The review actions this person may take on an annotation in ``status`` (comments aside), in the
    order of the state table: what a review screen offers as buttons.

    >>> allowed_actions("submitted", role="editor", is_author=False)
    ['approve', 'request_changes', 'reject']
    >>> allowed_actions("submitted", role="editor", is_author=True)
    []
    >>> allowed_actions("published", role="admin", is_author=False)
    ['retract', 'correct']
    """
    actions = []
    for action in TRANSITIONS:
        if action == "submit":
            continue
        try:
            check_transition(action, status, role=role, is_author=is_author, comment="-")
        except WorkflowError:
            continue
        actions.append(action)
    return actions


def path_to(status: str) -> list[str]:
    """The actions that take a new draft to ``status``."""
    try:
        return list(PATHS[status])
    except KeyError:
        raise TransitionInvalid(f"unknown status {status!r}; expected one of {', '.join(PATHS)}") from None
