import itertools

import pytest

from annotations.domain.workflow import TRANSITIONS, WorkflowError, check_transition

STATUSES = ["draft", "submitted", "approved", "changes_requested", "rejected", "published", "retracted"]
ROLES = [None, "reviewer", "editor", "admin"]

# The whole table, written out: (action, from) -> to. Everything not listed is forbidden.
ALLOWED = {
    ("submit", "draft"): "submitted",
    ("submit", "changes_requested"): "submitted",
    ("approve", "submitted"): "approved",
    ("request_changes", "submitted"): "changes_requested",
    ("reject", "submitted"): "rejected",
    ("publish", "approved"): "published",
    ("retract", "published"): "retracted",
    ("correct", "published"): "published",
}
WHO = {
    "submit": {"author"},
    "approve": {"editor", "admin"},
    "request_changes": {"editor", "admin"},
    "reject": {"editor", "admin"},
    "publish": {"editor", "admin"},
    "retract": {"editor", "admin"},
    "correct": {"editor", "admin"},
}
NEEDS_COMMENT = {"request_changes", "reject", "retract", "correct"}
FOUR_EYES = {"approve", "request_changes", "reject", "publish", "retract", "correct"}  # nobody, on their own


def test_the_state_table_is_exactly_the_documented_one():
    actual = {(action, source): t.target for action, t in TRANSITIONS.items() for source in t.sources}

    assert actual == ALLOWED


@pytest.mark.parametrize(
    ("action", "status", "role", "is_author"),
    list(itertools.product(TRANSITIONS, STATUSES, ROLES, [True, False])),
)
def test_every_action_from_every_status_for_every_role(action, status, role, is_author):
    expected = ALLOWED.get((action, status))
    permitted = (role in WHO[action]) or ("author" in WHO[action] and is_author)
    if action in FOUR_EYES and is_author:
        permitted = False

    if expected is None or not permitted:
        with pytest.raises(WorkflowError):
            check_transition(action, status, role=role, is_author=is_author, comment="because")
    else:
        assert check_transition(action, status, role=role, is_author=is_author, comment="because") == expected


@pytest.mark.parametrize("action", sorted(NEEDS_COMMENT))
def test_actions_that_need_a_comment_refuse_an_empty_one(action):
    source = next(source for (a, source) in ALLOWED if a == action)

    with pytest.raises(WorkflowError, match="comment is required"):
        check_transition(action, source, role="editor", is_author=False, comment="   ")


def test_approving_a_flagged_disagreement_needs_a_comment():
    with pytest.raises(WorkflowError, match="disagrees"):
        check_transition("approve", "submitted", role="editor", is_author=False, needs_comment=True)

    assert check_transition("approve", "submitted", role="editor", is_author=False, needs_comment=True,
                            comment="Checked the primary source") == "approved"  # fmt: skip


def test_nobody_approves_their_own_annotation_not_even_an_admin():
    with pytest.raises(WorkflowError, match="nobody may approve their own"):
        check_transition("approve", "submitted", role="admin", is_author=True)


def test_an_unknown_action_is_named_in_the_error():
    with pytest.raises(WorkflowError, match="unknown action 'publish_now'"):
        check_transition("publish_now", "approved", role="admin", is_author=False)
