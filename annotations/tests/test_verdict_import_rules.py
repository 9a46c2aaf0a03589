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


def test_a_desk_members_approved_verdict_keeps_its_state_where_the_workflow_allows_it(api_as, editor, reviewer):
    response = post(api_as(editor), jsonl(document_line(), annotation_line("reviewer", status="published")))

    annotation = Annotation.objects.get()
    assert response.status_code == 201 and response.json()["states_capped"] == 0
    assert (annotation.author, annotation.status, annotation.original_author) == (reviewer, "published", "")
    event = AuditEvent.objects.get(annotation_id=annotation.pk, action="transition")
    assert (event.actor, event.from_status, event.to_status) == (editor, "draft", "published")
    assert "imported from request body" in event.comment


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
