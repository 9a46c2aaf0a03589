"""The verdict import follows the desk's rules: review states through the workflow, authors only from the desk,
no accounts minted or revealed; the lossless move between instances is a site-admin restore."""

import json

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from annotations.domain.text import content_sha256
from annotations.models import Annotation, AuditEvent, Role
from annotations.tests.factories import MembershipFactory, ProjectFactory, UserFactory

User = get_user_model()
BODY = "The unemployment rate fell to 3.5 percent in 2019, the lowest in fifty years."


def document_line() -> dict:
    return {"type": "document", "id": 1, "title": "Jobs", "body": BODY, "sha256": content_sha256(BODY)}


def annotation_line(author: str, *, status: str = "published", verdict: str = "false", start: int = 30,
                    quote: str = "3.5 percent", version: int = 3, evidence_by: str | None = None) -> dict:  # fmt: skip
    evidence = [{"url": "https://example.org/src", "stance": "refutes", "added_by": {"username": evidence_by}}]
    return {
        "type": "annotation", "document": {"sha256": content_sha256(BODY)}, "author": {"username": author},
        "start": start, "end": start + len(quote), "quote": {"exact": quote}, "verdict": verdict,
        "rationale": f"by {author}", "status": status, "version": version,
        "evidence": evidence if evidence_by else [],
    }  # fmt: skip


def jsonl(*records: dict) -> bytes:
    return b"\n".join(json.dumps(r).encode() for r in records)


def post(api, data: bytes, *, restore: bool = False):
    url = reverse("api-project-import-verdicts", args=["politics"]) + ("?restore=true" if restore else "")
    return api.post(url, data=data, content_type="application/x-ndjson")


def claimreview_quotes(api) -> list[str]:
    response = api.get(reverse("api-project-export", args=["politics"]) + "?format=claimreview")
    return [review["claimReviewed"] for review in json.loads(b"".join(response.streaming_content))]


def test_an_editors_own_published_verdict_arrives_submitted_and_is_not_published(api_as, editor):
    api = api_as(editor)

    response = post(api, jsonl(document_line(), annotation_line("editor", status="published")))

    annotation = Annotation.objects.get()
    assert response.status_code == 201 and response.json()["states_capped"] == 1
    assert (annotation.author, annotation.status) == (editor, "submitted")
    assert claimreview_quotes(api) == []


def test_a_desk_import_carries_no_review_decision_even_for_a_colleagues_verdict(api_as, editor, reviewer):
    """Naming a desk colleague as author must not let the importer publish a verdict nobody else looked at."""
    api = api_as(editor)

    response = post(api, jsonl(document_line(), annotation_line("reviewer", status="published", version=7)))

    annotation = Annotation.objects.get()
    assert response.status_code == 201 and response.json()["states_capped"] == 1
    assert (annotation.author, annotation.status, annotation.version) == (reviewer, "submitted", 1)
    assert claimreview_quotes(api) == []
    event = AuditEvent.objects.get(annotation_id=annotation.pk, action="transition")
    assert (event.actor, event.from_status, event.to_status) == (editor, "draft", "submitted")
    assert "imported from request body" in event.comment


def test_a_draft_in_the_file_stays_a_draft(api_as, editor, reviewer):
    response = post(api_as(editor), jsonl(document_line(), annotation_line("reviewer", status="draft")))

    assert response.status_code == 201
    assert Annotation.objects.get().status == "draft"


def test_authors_outside_the_desk_are_recorded_as_imported_never_bound_to_their_account(api_as, editor, outsider):
    users_before = User.objects.count()

    response = post(api_as(editor), jsonl(document_line(), annotation_line("outsider", evidence_by="outsider")))

    annotation = Annotation.objects.get()
    assert response.status_code == 201
    assert (annotation.author, annotation.original_author) == (editor, "outsider")
    assert annotation.status == "submitted"  # the editor's own annotation now: it waits for another editor
    assert annotation.evidence.get().added_by == editor
    assert User.objects.count() == users_before
    assert not Annotation.objects.filter(author=outsider).exists()


def test_invented_names_mint_no_accounts(api_as, editor):
    users_before = User.objects.count()
    names = [f"ghost{i}" for i in range(200)] + ["ADMIN", "Editor"]
    lines = [annotation_line(name, start=30, verdict=v) for name in names for v in ["true"]]

    response = post(api_as(editor), jsonl(document_line(), *lines))

    assert response.status_code == 201
    assert User.objects.count() == users_before
    assert set(Annotation.objects.values_list("author__username", flat=True)) == {"editor"}
    assert Annotation.objects.filter(original_author="ADMIN").exists()


def test_the_answer_does_not_tell_whether_a_username_exists_elsewhere(api_as, editor):
    UserFactory(username="someone")  # exists on the site, not in this desk
    api = api_as(editor)

    existing = post(api, jsonl(document_line(), annotation_line("someone", start=4, quote="unemployment")))
    Annotation.objects.all().delete()
    unknown = post(api, jsonl(document_line(), annotation_line("nobody", start=4, quote="unemployment")))

    as_if = {**existing.json(), "authors_not_members": ["nobody"], "documents_matched": 1, "documents_created": 0}
    assert existing.status_code == unknown.status_code == 201
    assert as_if == unknown.json()
    assert "users_created" not in unknown.json()


def test_restoring_states_and_authors_is_for_site_admins(api_as, editor):
    response = post(api_as(editor), jsonl(document_line(), annotation_line("editor")), restore=True)

    assert response.status_code == 403 and "site admins" in response.json()["detail"]
    assert not Annotation.objects.exists()


def test_a_site_admin_restore_keeps_states_and_authors_and_records_each_as_imported(api_as, project, editor):
    root = User.objects.create_superuser("root", "root@example.org", "pw")
    admin_account = UserFactory(username="admin")

    response = post(api_as(root), jsonl(document_line(), annotation_line("editor"), annotation_line(
        "ADMIN", start=4, quote="unemployment", status="rejected"), annotation_line("newcomer", start=0, quote="The")),
        restore=True)  # fmt: skip

    assert response.status_code == 201, response.json()
    assert response.json()["users_created"] == ["newcomer"]
    restored = {a.quote: (a.author.username, a.status, a.version) for a in Annotation.objects.select_related("author")}
    assert restored == {"3.5 percent": ("editor", "published", 3), "unemployment": ("admin", "rejected", 3),
                        "The": ("newcomer", "published", 3)}  # fmt: skip
    assert not User.objects.get(username="newcomer").is_active
    assert not User.objects.filter(username="ADMIN").exists() and admin_account.is_active
    events = AuditEvent.objects.filter(action="transition")
    assert events.count() == 3 and {e.actor for e in events} == {root}


def test_an_import_holds_a_bounded_number_of_records(api_as, editor, settings):
    settings.VERDICT_IMPORT_MAX_RECORDS = 3
    lines = [annotation_line("editor", start=4, quote="unemployment", verdict=v) for v in ("true", "false", "mixed")]

    response = post(api_as(editor), jsonl(document_line(), *lines))

    assert response.status_code == 413 and "VERDICT_IMPORT_MAX_RECORDS" in response.json()["detail"]
    assert not Annotation.objects.exists()


def test_a_version_beyond_the_databases_range_is_a_400_naming_the_line(api_as, editor):
    response = post(api_as(editor), jsonl(document_line(), annotation_line("editor", version=2**31)))

    assert response.status_code == 400
    assert response.json()["line"] == 2 and "version" in response.json()["detail"]


def test_the_import_command_is_a_restore(tmp_path, db):
    ProjectFactory(slug="politics")
    path = tmp_path / "move.jsonl"
    path.write_bytes(jsonl(document_line(), annotation_line("mover", status="approved")))
    from django.core.management import call_command

    call_command("import_verdicts", str(path), "--project", "politics", stdout=__import__("io").StringIO())

    annotation = Annotation.objects.get()
    assert (annotation.author.username, annotation.status, annotation.author.is_active) == ("mover", "approved", False)


@pytest.fixture(autouse=True)
def _desk_members(project, editor, reviewer):
    """The politics desk: an editor and a reviewer; ``outsider`` is an editor elsewhere."""
    MembershipFactory(project=ProjectFactory(slug="elsewhere"), user=UserFactory(username="elsewhere-editor"),
                      role=Role.EDITOR)  # fmt: skip


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda r: r.update(rationale="a\u0000b"), "NUL"),
        (lambda r: r["author"].update(username="edi\u0000tor"), "NUL"),
        (lambda r: r.update(version=10**9), "version"),
        (lambda r: r.update(rationale="\ud800"), "surrogate"),
    ],
)  # fmt: skip
def test_values_the_database_cannot_store_are_a_400_naming_the_line(api_as, editor, change, reason):
    record = annotation_line("editor")
    change(record)

    response = post(api_as(editor), jsonl(document_line(), record))

    assert response.status_code == 400 and response.json()["line"] == 2 and reason in response.json()["detail"]
    assert not Annotation.objects.exists()


@pytest.mark.parametrize(("number", "reason"), [("NaN", "NaN"), ("1e400", "out of range"), ("-1e400", "out of range")])
def test_numbers_a_database_cannot_store_in_metadata_are_a_400(api_as, editor, number, reason):
    line = json.dumps(document_line()).replace('"id": 1', f'"id": 1, "metadata": {{"x": {number}}}')

    response = post(api_as(editor), line.encode())

    assert response.status_code == 400 and reason in response.json()["detail"]


def test_evidence_links_count_towards_the_record_limit(api_as, editor, settings):
    settings.VERDICT_IMPORT_MAX_RECORDS = 10
    record = annotation_line("editor", evidence_by="editor")
    record["evidence"] = record["evidence"] * 20

    response = post(api_as(editor), jsonl(document_line(), record))

    assert response.status_code == 413
    assert not Annotation.objects.exists()


def test_the_import_command_reports_a_refusal_without_a_traceback(tmp_path, db):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    ProjectFactory(slug="politics")
    UserFactory(username="Bob")
    UserFactory(username="bob")
    path = tmp_path / "move.jsonl"
    path.write_bytes(jsonl(document_line(), annotation_line("BOB")))

    with pytest.raises(CommandError, match=r"move\.jsonl:2: username 'BOB' matches several accounts"):
        call_command("import_verdicts", str(path), "--project", "politics")

    assert not Annotation.objects.exists() and not User.objects.filter(username="BOB").exists()


def test_an_imported_verdict_is_reviewed_by_someone_other_than_its_importer_and_its_original_author(
    api_as, editor, project
):
    post(api_as(editor), jsonl(document_line(), annotation_line("ghostwriter")))
    annotation = Annotation.objects.get()
    ghost = UserFactory(username="ghostwriter")
    MembershipFactory(project=project, user=ghost, role=Role.EDITOR)  # joins the desk later
    desk_admin = UserFactory(username="desk-admin")
    MembershipFactory(project=project, user=desk_admin, role=Role.ADMIN)
    review = reverse("api-annotation-review", args=[annotation.pk])

    by_ghost = api_as(ghost).post(review, {"action": "approve"}, format="json")
    by_importer = api_as(editor).post(review, {"action": "approve"}, format="json")
    edit = api_as(editor).patch(reverse("api-annotation", args=[annotation.pk]), {"version": 1, "verdict": "true"},
                                format="json")  # fmt: skip
    evidence = api_as(editor).post(reverse("api-annotation-evidence", args=[annotation.pk]),
                                   {"url": "https://swap.example.org"}, format="json")  # fmt: skip
    by_admin = api_as(desk_admin).post(review, {"action": "approve"}, format="json")

    assert by_ghost.status_code == 403 and "their own" in by_ghost.json()["detail"]
    assert by_importer.status_code == 403 and "their own" in by_importer.json()["detail"]
    assert edit.status_code == 403 and "imported" in edit.json()["detail"]
    assert evidence.status_code == 403
    assert by_admin.status_code == 200 and by_admin.json()["status"] == "approved"
    assert by_admin.json()["can_edit"] is False


@pytest.mark.parametrize("author", ["reviewer", "Editor"])  # a colleague's name, or the importer's own in other case
def test_the_importer_can_never_approve_what_they_imported(api_as, editor, reviewer, author):
    post(api_as(editor), jsonl(document_line(), annotation_line(author)))
    annotation = Annotation.objects.get()

    response = api_as(editor).post(reverse("api-annotation-review", args=[annotation.pk]), {"action": "approve"},
                                   format="json")  # fmt: skip

    assert response.status_code == 403
    assert Annotation.objects.get().status == "submitted"


def test_the_importer_can_submit_or_delete_an_imported_draft(api_as, editor):
    drafts = [annotation_line("ghostwriter", status="draft"),
              annotation_line("ghostwriter", status="draft", start=4, quote="unemployment")]  # fmt: skip
    post(api_as(editor), jsonl(document_line(), *drafts))
    first, second = Annotation.objects.order_by("pk")
    api = api_as(editor)

    submitted = api.post(reverse("api-annotation-submit", args=[first.pk]), {}, format="json")
    deleted = api.delete(reverse("api-annotation", args=[second.pk]))

    assert submitted.status_code == 200 and submitted.json()["status"] == "submitted"
    assert deleted.status_code == 204 and not Annotation.objects.filter(pk=second.pk).exists()


def test_restore_must_be_true_or_false(api_as, editor):
    response = post(api_as(editor), jsonl(document_line()), restore=False)
    bogus = api_as(editor).post(reverse("api-project-import-verdicts", args=["politics"]) + "?restore=bogus",
                                data=jsonl(document_line()), content_type="application/x-ndjson")  # fmt: skip

    assert response.status_code == 201
    assert bogus.status_code == 400 and "restore" in bogus.json()["detail"]


def test_agreement_names_raters_who_are_not_members_any_more(api_as, editor, reviewer, other_reviewer, project):
    from annotations import services
    from annotations.models import Membership

    document = services.document_import(project=project, title="Jobs", body=BODY).document
    for user, verdict in ((reviewer, "true"), (other_reviewer, "false")):
        created = services.annotation_create(document=document, author=user, start=30, end=41, quote="3.5 percent",
                                             verdict=verdict)  # fmt: skip
        services.annotation_submit(annotation_id=created.pk, user=user)
    Membership.objects.filter(user=other_reviewer).delete()

    report = api_as(editor).get(reverse("api-project-agreement", args=["politics"])).json()

    raters = {name for pair in report["pairs"] for name in (pair["rater_a"], pair["rater_b"])}
    assert raters == {"reviewer", "other_reviewer"}  # by name, not the id of someone who left the desk
