import pytest
from django.urls import reverse

from annotations import services
from annotations.models import Annotation, AuditEvent, ReviewAssignment, Role
from annotations.tests.factories import MembershipFactory, UserFactory

QUOTE = "3.5 percent"


@pytest.fixture
def admin_member(project):
    return MembershipFactory(project=project, user=UserFactory(username="chief", is_staff=True), role=Role.ADMIN).user


def _annotate(document, author, verdict="mostly_true", quote=QUOTE, submit=True):
    start = document.body.index(quote)
    annotation = services.annotation_create(
        document=document, author=author, start=start, end=start + len(quote), quote=quote, verdict=verdict
    )
    if submit:
        annotation = services.annotation_submit(annotation_id=annotation.pk, user=author)
    return annotation


# ---- the workflow service ---------------------------------------------------------------------------


def test_an_editor_approves_and_the_transition_is_recorded_with_who_when_and_comment(document, reviewer, editor):
    annotation = _annotate(document, reviewer)

    services.annotation_transition(annotation_id=annotation.pk, user=editor, action="approve", comment="Solid")

    annotation.refresh_from_db()
    event = AuditEvent.objects.filter(action="transition").last()
    assert annotation.status == "approved"
    assert (event.actor, event.from_status, event.to_status, event.comment) == (editor, "submitted", "approved",
                                                                                "Solid")  # fmt: skip


def test_reviewers_cannot_review_and_editors_cannot_review_their_own_work(document, reviewer, other_reviewer, editor):
    by_reviewer = _annotate(document, reviewer)
    by_editor = _annotate(document, editor, quote="2019")

    with pytest.raises(services.Forbidden, match="editor or admin"):
        services.annotation_transition(annotation_id=by_reviewer.pk, user=other_reviewer, action="approve")
    with pytest.raises(services.Forbidden, match="nobody may approve their own"):
        services.annotation_transition(annotation_id=by_editor.pk, user=editor, action="approve")

    assert set(Annotation.objects.values_list("status", flat=True)) == {"submitted"}


def test_request_changes_and_reject_need_a_comment(document, reviewer, editor):
    annotation = _annotate(document, reviewer)

    with pytest.raises(services.Rejected, match="comment is required"):
        services.annotation_transition(annotation_id=annotation.pk, user=editor, action="reject")
    services.annotation_transition(annotation_id=annotation.pk, user=editor, action="request_changes",
                                   comment="Add a source")  # fmt: skip
    resubmitted = services.annotation_submit(annotation_id=annotation.pk, user=reviewer)

    assert resubmitted.status == "submitted"


def test_a_correction_keeps_the_old_verdict_visible_in_the_history(document, reviewer, editor, admin_member):
    annotation = _annotate(document, reviewer)
    services.annotation_transition(annotation_id=annotation.pk, user=editor, action="approve")
    services.annotation_transition(annotation_id=annotation.pk, user=editor, action="publish")

    services.annotation_transition(annotation_id=annotation.pk, user=admin_member, action="correct",
                                   comment="BLS revised the figure", verdict="mixed")  # fmt: skip
    services.annotation_transition(annotation_id=annotation.pk, user=admin_member, action="retract",
                                   comment="Story withdrawn")  # fmt: skip

    annotation.refresh_from_db()
    correction = AuditEvent.objects.get(comment="BLS revised the figure")
    assert annotation.status == "retracted" and annotation.verdict == "mixed"
    assert correction.changes["verdict"] == ["mostly_true", "mixed"]


def test_a_flagged_disagreement_cannot_be_approved_without_a_comment(document, reviewer, other_reviewer, editor):
    mine = _annotate(document, reviewer, verdict="true")
    _annotate(document, other_reviewer, verdict="mostly_false")

    with pytest.raises(services.Rejected, match="disagrees"):
        services.annotation_transition(annotation_id=mine.pk, user=editor, action="approve")
    services.annotation_transition(annotation_id=mine.pk, user=editor, action="approve", comment="Checked BLS")

    assert Annotation.objects.get(pk=mine.pk).status == "approved"


def test_close_verdicts_are_not_a_disagreement(document, reviewer, other_reviewer, editor):
    mine = _annotate(document, reviewer, verdict="true")
    _annotate(document, other_reviewer, verdict="mostly_true")

    services.annotation_transition(annotation_id=mine.pk, user=editor, action="approve")

    assert Annotation.objects.get(pk=mine.pk).status == "approved"


def test_every_change_leaves_a_history_row(document, reviewer, editor):
    annotation = _annotate(document, reviewer, submit=False)
    services.annotation_update(annotation_id=annotation.pk, user=reviewer, version=1, rationale="BLS table A-1")
    link = services.evidence_add(annotation=annotation, user=reviewer, url="https://www.bls.gov")
    services.evidence_update(evidence_id=link.pk, user=reviewer, title="BLS")
    services.evidence_delete(evidence_id=link.pk, user=reviewer)
    services.annotation_submit(annotation_id=annotation.pk, user=reviewer)
    services.annotation_transition(annotation_id=annotation.pk, user=editor, action="request_changes", comment="More")
    services.annotation_delete(annotation_id=annotation.pk, user=reviewer, version=None)

    events = list(AuditEvent.objects.filter(annotation_id=annotation.pk).values_list("object_type", "action"))
    assert events == [
        ("annotation", "create"), ("annotation", "update"), ("evidence", "create"), ("evidence", "update"),
        ("evidence", "delete"), ("annotation", "transition"), ("annotation", "transition"), ("annotation", "delete"),
    ]  # fmt: skip
    update = AuditEvent.objects.get(annotation_id=annotation.pk, action="update", object_type="annotation")
    assert update.changes == {"rationale": ["", "BLS table A-1"]}


def test_assigning_documents_fills_the_reviewers_queue(client, document, reviewer, editor, outsider):
    services.documents_assign(document_ids=[document.pk], reviewer=reviewer, assigned_by=editor)
    with pytest.raises(services.Rejected, match="not a member"):
        services.documents_assign(document_ids=[document.pk], reviewer=outsider, assigned_by=editor)
    client.force_login(reviewer)

    page = client.get(reverse("my-queue"))

    assert ReviewAssignment.objects.get().reviewer == reviewer
    assert b"Unemployment" in page.content


# ---- API ----------------------------------------------------------------------------------------------


def test_the_review_endpoint_applies_transitions_and_refuses_non_editors(
    api_as, document, reviewer, other_reviewer, editor
):
    annotation = _annotate(document, reviewer)
    url = reverse("api-annotation-review", args=[annotation.pk])

    refused = api_as(other_reviewer).post(url, {"action": "approve"}, format="json")
    no_comment = api_as(editor).post(url, {"action": "reject"}, format="json")
    approved = api_as(editor).post(url, {"action": "approve"}, format="json")

    assert refused.status_code == 403
    assert no_comment.status_code == 400 and "comment is required" in no_comment.json()["detail"]
    assert approved.status_code == 200 and approved.json()["status"] == "approved"


def test_agreement_endpoint_reports_statistics_for_members_only(
    api_as, document, reviewer, other_reviewer, editor, outsider
):
    _annotate(document, reviewer, verdict="true")
    _annotate(document, other_reviewer, verdict="mostly_true")
    url = reverse("api-project-agreement", args=["politics"])

    report = api_as(editor).get(url).json()

    assert report["n_units"] == 1
    assert report["percent_agreement"] == 0.0
    assert api_as(outsider).get(url).status_code == 404


def test_the_corrections_feed_pages_through_the_history_with_a_cursor(api_as, document, reviewer, editor):
    for quote in (QUOTE, "2019", "fifty years"):
        _annotate(document, reviewer, quote=quote)
    url = reverse("api-project-corrections", args=["politics"])
    client = api_as(editor)

    seen, cursor = [], None
    while True:
        page = client.get(url, {"page_size": 2, **({"cursor": cursor} if cursor else {})}).json()
        seen += [row["id"] for row in page["results"]]
        cursor = page["next"]
        if not cursor:
            break

    assert seen == list(AuditEvent.objects.order_by("at", "id").values_list("id", flat=True))
    assert len(seen) == 6  # 3 creations + 3 submissions


# ---- admin ----------------------------------------------------------------------------------------------


@pytest.fixture
def editor_client(client, editor):
    from django.contrib.auth.models import Permission

    editor.user_permissions.add(*Permission.objects.filter(codename__in=["view_reviewitem", "view_document"]))
    client.force_login(editor)
    return client


def test_the_admin_queue_lists_submitted_annotations_with_agreement(editor_client, document, reviewer, other_reviewer):
    _annotate(document, reviewer, verdict="true")
    _annotate(document, other_reviewer, verdict="false")

    page = editor_client.get(reverse("admin:annotations_reviewitem_changelist"))
    flagged = editor_client.get(reverse("admin:annotations_reviewitem_changelist"), {"disagreement": "yes"})

    assert page.status_code == 200
    assert page.content.decode().count("⚠ disagree</strong>") == 2
    assert len(flagged.context["cl"].result_list) == 2


def test_bulk_actions_in_the_admin_go_through_the_workflow(editor_client, document, reviewer):
    first = _annotate(document, reviewer)
    second = _annotate(document, reviewer, quote="2019")
    url = reverse("admin:annotations_reviewitem_changelist")

    editor_client.post(url, {"action": "approve", "_selected_action": [first.pk]})
    form = editor_client.post(url, {"action": "request_changes", "_selected_action": [second.pk]})
    editor_client.post(url, {"action": "request_changes", "_selected_action": [second.pk], "apply": "1",
                             "comment": "Cite the BLS table"})  # fmt: skip

    assert b"comment" in form.content  # the comment form is shown first
    assert Annotation.objects.get(pk=first.pk).status == "approved"
    assert Annotation.objects.get(pk=second.pk).status == "changes_requested"
    assert (
        AuditEvent.objects.get(annotation_id=second.pk, to_status="changes_requested").comment == "Cite the BLS table"
    )


def test_approving_a_disagreement_in_the_admin_asks_for_a_comment(editor_client, document, reviewer, other_reviewer):
    mine = _annotate(document, reviewer, verdict="true")
    _annotate(document, other_reviewer, verdict="false")
    url = reverse("admin:annotations_reviewitem_changelist")

    form = editor_client.post(url, {"action": "approve", "_selected_action": [mine.pk]})
    empty = editor_client.post(url, {"action": "approve", "_selected_action": [mine.pk], "apply": "1", "comment": ""},
                               follow=True)  # fmt: skip

    assert b"comment required" in form.content.lower()
    assert b"disagrees" in empty.content
    assert Annotation.objects.get(pk=mine.pk).status == "submitted"


def test_the_admin_shows_an_annotations_history_and_the_agreement_page(editor_client, document, reviewer):
    annotation = _annotate(document, reviewer)

    change = editor_client.get(reverse("admin:annotations_reviewitem_change", args=[annotation.pk]))
    agreement = editor_client.get(reverse("admin:annotations_reviewitem_agreement"))

    assert change.status_code == 200 and "submitted it for review" in change.content.decode()  # as people say it
    assert agreement.status_code == 200 and b"Politics desk" in agreement.content


def test_the_queue_author_filter_lists_only_authors_of_the_editors_projects(editor_client, document, reviewer):
    from annotations.tests.factories import DocumentFactory, ProjectFactory

    _annotate(document, reviewer)
    stranger = MembershipFactory(user=UserFactory(username="stranger"), project=ProjectFactory(slug="elsewhere")).user
    _annotate(DocumentFactory(project=stranger.memberships.get().project, body="It costs 3.5 percent."), stranger)

    page = editor_client.get(reverse("admin:annotations_reviewitem_changelist"))

    assert b"?author=" in page.content
    assert b"stranger" not in page.content
