"""The access model, end to end: people made the normal way (the admin UI, no permission hand-picked) can do
exactly what the README's role table says, in the app, the API and the admin; nothing of another desk is
visible or writable through any admin page, filter, choice or action."""

import json
import re

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from annotations import services
from annotations.domain.text import content_sha256
from annotations.domain.vocabulary import Role
from annotations.models import Annotation, AuditEvent, Claim, Document, EvidenceLink, Membership, Project
from annotations.tests.factories import UserFactory

User = get_user_model()
BODY = "The unemployment rate fell to 3.5 percent in 2019, the lowest in fifty years."
QUOTE = "3.5 percent"


# ---- people made the normal way ------------------------------------------------------------------------


def admin_create_user(client, username: str) -> User:
    """What a site admin does: Users → Add user (no Staff tick, no permissions)."""
    response = client.post(
        reverse("admin:auth_user_add"),
        {
            "username": username,
            "password1": "a-Long-pass-123",
            "password2": "a-Long-pass-123",
            "usable_password": "true",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    return User.objects.get(username=username)


def inline_post(project: Project, rows: list[dict], *, name: str | None = None) -> dict:
    """The Project change form with its members inline (existing rows first, as the admin renders them)."""
    existing = list(Membership.objects.filter(project=project).order_by("pk"))
    data = {
        "name": name or project.name,
        "memberships-TOTAL_FORMS": str(len(existing) + len(rows)),
        "memberships-INITIAL_FORMS": str(len(existing)),
        "memberships-MIN_NUM_FORMS": "0",
        "memberships-MAX_NUM_FORMS": "1000",
    }
    for i, membership in enumerate(existing):
        data |= {f"memberships-{i}-id": str(membership.pk), f"memberships-{i}-project": str(project.pk),
                 f"memberships-{i}-user": str(membership.user_id),
                 f"memberships-{i}-role": membership.role}  # fmt: skip
    for j, row in enumerate(rows, start=len(existing)):
        data |= {f"memberships-{j}-project": str(project.pk), **{f"memberships-{j}-{k}": v for k, v in row.items()}}
    return data


@pytest.fixture
def site(db, client):
    """A desk set up in the admin by a site admin (createsuperuser), with one member per role."""
    root = User.objects.create_superuser("root", "root@example.org", "root-pass-123")
    client.force_login(root)
    response = client.post(reverse("admin:annotations_project_add"), {
        "name": "Politics desk", "slug": "politics", "memberships-TOTAL_FORMS": "0",
        "memberships-INITIAL_FORMS": "0", "memberships-MIN_NUM_FORMS": "0", "memberships-MAX_NUM_FORMS": "1000",
    })  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:3000]
    desk = Project.objects.get(slug="politics")
    people = {role: admin_create_user(client, role) for role in ("reviewer", "editor", "admin", "outsider")}
    rows = [{"user": str(people[r].pk), "role": r} for r in ("reviewer", "editor", "admin")]
    response = client.post(reverse("admin:annotations_project_change", args=[desk.pk]), inline_post(desk, rows))
    assert response.status_code == 302, response.content.decode()[:3000]
    other = Project.objects.create(name="Sports desk", slug="sports")
    services.membership_set(project=other, user=people["outsider"], role=Role.EDITOR)
    client.logout()
    document = services.document_import(project=desk, title="Jobs", body=BODY).document
    return {"desk": desk, "other": other, "document": document, "root": root, **people}


def test_a_desk_and_its_members_are_set_up_in_the_admin_without_hand_picked_permissions(site):
    assert set(Membership.objects.filter(project=site["desk"]).values_list("user__username", "role")) == {
        ("reviewer", "reviewer"), ("editor", "editor"), ("admin", "admin"),
    }  # fmt: skip
    assert not any(u.is_staff or u.user_permissions.exists() for u in User.objects.exclude(username="root"))


# ---- the role table ----------------------------------------------------------------------------------------


def _annotation_by(user, document, verdict="true"):
    annotation = services.annotation_create(document=document, author=user, start=30, end=41, quote=QUOTE,
                                            verdict=verdict)  # fmt: skip
    return services.annotation_submit(annotation_id=annotation.pk, user=user)


def can_open_the_desk(client, api, s):
    return client.get(reverse("document-list", args=["politics"])).status_code


def can_open_a_document(client, api, s):
    return client.get(reverse("document-detail", args=[s["document"].pk])).status_code


def can_import_an_article(client, api, s):
    return api.post(reverse("api-documents"), {"project": "politics", "title": "New", "body": "Some new text."},
                    format="json").status_code  # fmt: skip


def can_annotate(client, api, s):
    return api.post(reverse("api-annotations"), {"document": s["document"].pk, "start": 30, "end": 41,
                                                 "exact": QUOTE, "verdict": "true"},
                    format="json").status_code  # fmt: skip


def can_export(client, api, s):
    return api.get(reverse("api-project-export", args=["politics"]) + "?format=csv").status_code


def can_edit_document_metadata(client, api, s):
    return api.patch(reverse("api-document", args=[s["document"].pk]), {"title": "Renamed"},
                     format="json").status_code  # fmt: skip


def can_review(client, api, s):
    annotation = _annotation_by(s["reviewer"] if s["me"] != s["reviewer"] else s["admin"], s["document"])
    return api.post(reverse("api-annotation-review", args=[annotation.pk]), {"action": "approve"},
                    format="json").status_code  # fmt: skip


def can_import_verdicts(client, api, s):
    body = "An imported article."
    line = json.dumps({"type": "document", "title": "Imported", "body": body, "sha256": content_sha256(body)})
    return api.post(reverse("api-project-import-verdicts", args=["politics"]), data=line.encode(),
                    content_type="application/x-ndjson").status_code  # fmt: skip


def can_use_the_admin_review_queue(client, api, s):
    return client.get(reverse("admin:annotations_reviewitem_changelist")).status_code


def can_use_the_agreement_page(client, api, s):
    return client.get(reverse("admin:annotations_reviewitem_agreement")).status_code


def can_manage_members(client, api, s):
    """Add to the politics desk someone the user already works with on another desk (where the user is admin)."""
    newcomer = UserFactory(username=f"new-{s['me'].username}")
    features = Project.objects.create(name="Features", slug=f"features-{s['me'].username}")
    services.membership_set(project=features, user=s["me"], role=Role.ADMIN)
    services.membership_set(project=features, user=newcomer)
    data = inline_post(s["desk"], [{"user": str(newcomer.pk), "role": "reviewer"}])
    response = client.post(reverse("admin:annotations_project_change", args=[s["desk"].pk]), data)
    return 200 if Membership.objects.filter(project=s["desk"], user=newcomer).exists() else _admin_status(response)


def can_create_a_desk(client, api, s):
    response = client.post(reverse("admin:annotations_project_add"), {
        "name": "New desk", "slug": f"new-{s['me'].username}", "memberships-TOTAL_FORMS": "0",
        "memberships-INITIAL_FORMS": "0", "memberships-MIN_NUM_FORMS": "0", "memberships-MAX_NUM_FORMS": "1000",
    })  # fmt: skip
    return 200 if Project.objects.filter(slug=f"new-{s['me'].username}").exists() else _admin_status(response)


def _admin_status(response) -> int:
    """The admin's refusals: to its login page (302), "no such object" to its index (404 here), or 403."""
    if response.status_code == 302:
        return 302 if "/login/" in response["Location"] else 404
    return response.status_code


# What the README's role table says: ✓ allowed, else the status a refused user gets.
ROLE_TABLE = {
    # capability                      reviewer editor admin outsider root
    can_open_the_desk:               ("✓", "✓", "✓", 404, "✓"),
    can_open_a_document:             ("✓", "✓", "✓", 404, "✓"),
    can_import_an_article:           ("✓", "✓", "✓", 404, "✓"),
    can_annotate:                    ("✓", "✓", "✓", 404, "✓"),
    can_export:                      ("✓", "✓", "✓", 404, "✓"),
    can_edit_document_metadata:      (403, "✓", "✓", 404, "✓"),
    can_review:                      (403, "✓", "✓", 404, "✓"),
    can_import_verdicts:             (403, "✓", "✓", 404, "✓"),
    can_use_the_admin_review_queue:  (302, "✓", "✓", "✓", "✓"),  # outsider: editor of another desk
    can_use_the_agreement_page:      (302, "✓", "✓", "✓", "✓"),
    can_manage_members:              (404, 403, "✓", 404, "✓"),  # as admin of another desk
    can_create_a_desk:               (302, 403, 403, 403, "✓"),
}  # fmt: skip
PERSONAS = ("reviewer", "editor", "admin", "outsider", "root")


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("capability", list(ROLE_TABLE), ids=lambda f: f.__name__)
def test_each_role_can_do_exactly_what_the_role_table_says(site, client, api_as, capability, persona):
    user = site[persona]
    client.force_login(user)
    expected = ROLE_TABLE[capability][PERSONAS.index(persona)]

    status = capability(client, api_as(user), {**site, "me": user})

    if expected == "✓":
        assert 200 <= status < 300, f"{persona} should be able to {capability.__name__}, got {status}"
    elif expected == 302:  # the admin sends people it does not let in to its login page
        assert status == 302
    else:
        assert status == expected, f"{persona}: {capability.__name__} answered {status}, expected {expected}"


def test_a_reviewer_cannot_log_in_to_the_admin_but_an_editor_can(site, client):
    refused = client.post(reverse("admin:login"), {"username": "reviewer", "password": "a-Long-pass-123"})
    allowed = client.post(reverse("admin:login"), {"username": "editor", "password": "a-Long-pass-123"})

    assert refused.status_code == 200 and b"Reviewers work in the app" in refused.content
    assert allowed.status_code == 302
    assert client.get(reverse("admin:index")).status_code == 200


def test_the_app_shows_the_admin_link_only_to_editors_and_admins(site, client):
    client.force_login(site["reviewer"])
    assert b">Admin</a>" not in client.get(reverse("project-list")).content
    client.force_login(site["editor"])
    assert b">Admin</a>" in client.get(reverse("project-list")).content


def test_a_superuser_sees_every_desk_in_the_app_without_being_a_member(site, client, api_as):
    client.force_login(site["root"])

    assert client.get(reverse("document-list", args=["sports"])).status_code == 200
    slugs = [p["slug"] for p in api_as(site["root"]).get(reverse("api-projects")).json()["results"]]
    assert slugs == ["politics", "sports"]


def test_the_last_admin_of_a_desk_cannot_be_demoted_or_removed(site):
    with pytest.raises(services.Conflict, match="last admin"):
        services.membership_set(project=site["desk"], user=site["admin"], role=Role.EDITOR, actor=site["admin"])
    with pytest.raises(services.Conflict, match="last admin"):
        services.membership_remove(project=site["desk"], user=site["admin"], actor=site["admin"])
    assert Membership.objects.get(project=site["desk"], user=site["admin"]).role == Role.ADMIN


def test_an_invalid_transition_is_a_conflict_not_a_permission_error(site, api_as):
    annotation = _annotation_by(site["reviewer"], site["document"])
    api = api_as(site["editor"])
    url = reverse("api-annotation-review", args=[annotation.pk])

    first = api.post(url, {"action": "approve"}, format="json")
    again = api.post(url, {"action": "approve"}, format="json")

    assert first.status_code == 200
    assert again.status_code == 409 and "approved" in again.json()["detail"]
    assert again.json()["current"]["status"] == "approved"


# ---- a desk A editor sees nothing of desk B in the admin -----------------------------------------------------


@pytest.fixture
def two_desks(site):
    """Desk B ("sports") has a document, a claim, an annotation with evidence and history, an assignment."""
    sports, outsider = site["other"], site["outsider"]
    b_reviewer = UserFactory(username="b-only-reviewer")
    services.membership_set(project=sports, user=b_reviewer)
    b_doc = services.document_import(
        project=sports, title="Secret B title", body="Team B won 3-1 in the final."
    ).document
    Claim.objects.filter(document=b_doc).delete()
    b_claim = Claim.objects.create(document=b_doc, start=0, end=10, text="Team B won", score=0.9)
    b_annotation = services.annotation_create(document=b_doc, author=b_reviewer, start=0, end=10, quote="Team B won",
                                              verdict="false", rationale="Secret B rationale",
                                              evidence=[{"url": "https://b.example.org/secret"}])  # fmt: skip
    services.annotation_submit(annotation_id=b_annotation.pk, user=b_reviewer)
    services.documents_assign(document_ids=[b_doc.pk], reviewer=b_reviewer, assigned_by=outsider)
    return {**site, "b_doc": b_doc, "b_claim": b_claim, "b_annotation": b_annotation, "b_reviewer": b_reviewer}


SECRETS = [b"Secret B title", b"Secret B rationale", b"b.example.org", b"b-only-reviewer", b"Sports desk", b"Team B"]
CHANGELISTS = ["project", "membership", "document", "claim", "annotation", "evidencelink", "reviewitem",
               "auditevent", "reviewassignment"]  # fmt: skip


@pytest.mark.parametrize("model", CHANGELISTS)
def test_a_desk_a_editor_sees_nothing_of_desk_b_in_any_admin_list_or_filter(two_desks, client, model):
    client.force_login(two_desks["editor"])

    page = client.get(
        reverse(f"admin:annotations_{model}_changelist") + "?status__exact=submitted" * (model == "reviewitem")
    )

    assert page.status_code == 200
    assert not [secret for secret in SECRETS if secret in page.content]


@pytest.mark.parametrize(
    ("model", "key"),
    [("project", "other"), ("document", "b_doc"), ("claim", "b_claim"), ("annotation", "b_annotation"),
     ("reviewitem", "b_annotation")],
)  # fmt: skip
def test_a_desk_a_editor_cannot_open_desk_b_objects_in_the_admin(two_desks, client, model, key):
    client.force_login(two_desks["editor"])

    page = client.get(reverse(f"admin:annotations_{model}_change", args=[two_desks[key].pk]), follow=True)

    assert not [secret for secret in SECRETS if secret in page.content]


def test_no_admin_page_adds_claims_evidence_annotations_or_assignments(two_desks, client):
    """The forged-evidence and forged-claim holes: pointing a new row at desk B's objects (or any)."""
    client.force_login(two_desks["editor"])
    b = two_desks
    posts = {
        "evidencelink": {"annotation": b["b_annotation"].pk, "url": "https://forged.example.org", "stance": "supports",
                         "added_by": b["editor"].pk},
        "claim": {"document": b["b_doc"].pk, "start": 0, "end": 4, "text": "Team", "origin": "person",
                  "state": "accepted"},
        "annotation": {"document": b["b_doc"].pk, "author": b["editor"].pk, "start": 0, "end": 4, "quote": "Team",
                       "verdict": "true", "status": "published", "version": 1},
        "reviewassignment": {"document": b["b_doc"].pk, "reviewer": b["editor"].pk},
    }  # fmt: skip
    before = (Claim.objects.count(), EvidenceLink.objects.count(), Annotation.objects.count())

    for model, data in posts.items():
        assert client.post(reverse(f"admin:annotations_{model}_add"), data).status_code == 403, model

    assert (Claim.objects.count(), EvidenceLink.objects.count(), Annotation.objects.count()) == before


def test_annotations_and_evidence_are_read_only_in_the_admin_even_for_a_superuser(two_desks, client):
    client.force_login(two_desks["root"])
    annotation = two_desks["b_annotation"]

    response = client.post(reverse("admin:annotations_annotation_change", args=[annotation.pk]),
                           {"verdict": "true", "status": "published", "start": 0, "end": 4,
                            "quote": "Team"})  # fmt: skip

    annotation.refresh_from_db()
    assert response.status_code == 403
    assert (annotation.verdict, annotation.status, annotation.version) == ("false", "submitted", 2)


def test_the_document_add_form_offers_only_the_editors_desks(two_desks, client):
    client.force_login(two_desks["editor"])

    form = client.get(reverse("admin:annotations_document_add")).content.decode()
    forged = client.post(reverse("admin:annotations_document_add"),
                         {"project": two_desks["other"].pk, "title": "Forged", "body": "Forged text."})  # fmt: skip

    options = re.findall(r'<option value="(\d+)"', form)
    assert options == [str(two_desks["desk"].pk)]
    assert forged.status_code == 200 and b"Select a valid choice" in forged.content
    assert not Document.objects.filter(title="Forged").exists()


def test_the_autocomplete_endpoint_leaks_nothing(two_desks, client):
    client.force_login(two_desks["editor"])

    response = client.get(reverse("admin:autocomplete"), {"app_label": "annotations", "model_name": "membership",
                                                          "field_name": "user", "term": "b-only"})  # fmt: skip

    assert response.status_code == 403
    assert b"b-only-reviewer" not in response.content


# ---- writes through the admin are the same writes as through the API -----------------------------------------


def _events(**filters):
    return list(AuditEvent.objects.filter(**filters).order_by("id").values_list(
        "object_type", "action", "actor__username", "changes", "from_status", "to_status"))  # fmt: skip


def test_editing_document_metadata_in_the_admin_writes_the_same_audit_event_as_the_api(site, client, api_as):
    document, other = site["document"], services.document_import(project=site["desk"], title="Two",
                                                                  body="Another article text.").document  # fmt: skip
    client.force_login(site["editor"])

    admin_edit = client.post(reverse("admin:annotations_document_change", args=[document.pk]),
                             {"title": "Renamed", "source_url": "https://example.org/x", "author": "",
                              "published_at_0": "", "published_at_1": ""})  # fmt: skip
    api_edit = api_as(site["editor"]).patch(reverse("api-document", args=[other.pk]),
                                            {"title": "Renamed", "source_url": "https://example.org/x"},
                                            format="json")  # fmt: skip

    assert admin_edit.status_code == 302 and api_edit.status_code == 200
    by_admin = _events(object_type="document", object_id=document.pk, action="update")
    by_api = _events(object_type="document", object_id=other.pk, action="update")
    assert [e[:3] for e in by_admin] == [e[:3] for e in by_api] == [("document", "update", "editor")]
    assert by_admin[0][3] == {"title": ["Jobs", "Renamed"], "source_url": ["", "https://example.org/x"]}
    assert by_api[0][3] == {"title": ["Two", "Renamed"], "source_url": ["", "https://example.org/x"]}


def test_approving_in_the_admin_writes_the_same_audit_event_as_the_api(site, client, api_as):
    in_admin = _annotation_by(site["reviewer"], site["document"])
    over_api = _annotation_by(site["admin"], site["document"], verdict="mostly_true")
    client.force_login(site["editor"])

    client.post(reverse("admin:annotations_reviewitem_changelist"),
                {"action": "approve", "_selected_action": [in_admin.pk], "apply": "1", "comment": "ok"})  # fmt: skip
    api_as(site["editor"]).post(reverse("api-annotation-review", args=[over_api.pk]),
                                {"action": "approve", "comment": "ok"}, format="json")  # fmt: skip

    strip = [(t, a, who, fs, ts) for t, a, who, _, fs, ts in _events(annotation_id=in_admin.pk, action="transition")]
    other = [(t, a, who, fs, ts) for t, a, who, _, fs, ts in _events(annotation_id=over_api.pk, action="transition")]
    assert strip[-1] == other[-1] == ("annotation", "transition", "editor", "submitted", "approved")


def test_dismissing_a_claim_in_the_admin_writes_the_same_audit_event_as_the_api(site, client, api_as):
    first = Claim.objects.create(document=site["document"], start=0, end=3, text="The")
    second = Claim.objects.create(document=site["document"], start=4, end=16, text="unemployment")
    client.force_login(site["editor"])

    client.post(reverse("admin:annotations_claim_changelist"), {"action": "dismiss", "_selected_action": [first.pk]})
    api_as(site["editor"]).post(reverse("api-claim-dismiss", args=[second.pk]))

    first_events = [e[:4] for e in _events(object_type="claim", object_id=first.pk)]
    second_events = [e[:4] for e in _events(object_type="claim", object_id=second.pk)]
    assert first_events == second_events
    assert first_events[0][:3] == ("claim", "update", "editor")
    assert first_events[0][3]["state"][1] == "dismissed"


# ---- no admin page or action answers 500 -----------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["editor", "admin", "root"])
def test_every_admin_page_and_action_answers_without_a_server_error(two_desks, client, persona):
    from django.contrib import admin

    client.force_login(two_desks[persona])
    objects = {Project: two_desks["desk"], Document: two_desks["document"]}
    reverse("admin:index")  # the URL conf registers the admin modules (no autodiscovery at start-up)
    assert Project in admin.site._registry
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label != "annotations":
            continue
        name = model._meta.model_name
        changelist = reverse(f"admin:annotations_{name}_changelist")
        for url in (changelist, changelist + "?q=%00", changelist + "?author=x&document__project__id__exact=abc",
                    reverse(f"admin:annotations_{name}_add")):  # fmt: skip
            assert client.get(url).status_code < 500, url
        instance = objects.get(model) or model_admin.get_queryset(_request(two_desks[persona])).first()
        if instance is not None:
            change = reverse(f"admin:annotations_{name}_change", args=[instance.pk])
            assert client.get(change).status_code < 500, change
            for action in model_admin.get_actions(_request(two_desks[persona])):
                response = client.post(changelist, {"action": action, "_selected_action": [instance.pk]})
                assert response.status_code < 500, (name, action)
                response = client.post(changelist, {"action": action, "_selected_action": [instance.pk], "apply": "1"})
                assert response.status_code < 500, (name, action, "apply")


def _request(user):
    from django.test import RequestFactory

    request = RequestFactory().get("/admin/")
    request.user = user
    return request


# ---- the review's findings, pinned ----------------------------------------------------------------------------


def test_evidence_of_a_reviewed_annotation_is_locked(site, api_as):
    annotation = _annotation_by(site["reviewer"], site["document"])
    services.annotation_transition(annotation_id=annotation.pk, user=site["editor"], action="approve")
    api = api_as(site["reviewer"])

    added = api.post(reverse("api-annotation-evidence", args=[annotation.pk]), {"url": "https://late.example.org"},
                     format="json")  # fmt: skip

    assert added.status_code == 409 and "locked" in added.json()["detail"]
    assert not EvidenceLink.objects.filter(annotation=annotation).exists()


def test_changing_a_members_row_to_someone_else_swaps_them_instead_of_adding(site, client):
    client.force_login(site["root"])
    newcomer = UserFactory(username="newcomer")
    data = inline_post(site["desk"], [])
    row = next(k for k, v in data.items() if k.endswith("-user") and v == str(site["reviewer"].pk))
    data[row] = str(newcomer.pk)

    response = client.post(reverse("admin:annotations_project_change", args=[site["desk"].pk]), data)

    members = set(Membership.objects.filter(project=site["desk"]).values_list("user__username", flat=True))
    assert response.status_code == 302
    assert members == {"newcomer", "editor", "admin"}


def test_demoting_the_last_admin_in_the_admin_is_a_form_error_and_nothing_is_written(site, client):
    client.force_login(site["root"])
    data = inline_post(site["desk"], [], name="Renamed desk")
    role = next(k for k, v in data.items() if k.endswith("-role") and v == "admin")
    data[role] = "editor"

    response = client.post(reverse("admin:annotations_project_change", args=[site["desk"].pk]), data)

    site["desk"].refresh_from_db()
    assert response.status_code == 200 and b"keeps at least one admin" in response.content
    assert site["desk"].name == "Politics desk"
    assert Membership.objects.get(project=site["desk"], user=site["admin"]).role == "admin"


def test_handing_the_admin_role_to_someone_else_in_one_save_works(site, client):
    client.force_login(site["root"])
    data = inline_post(site["desk"], [])
    for key, value in list(data.items()):
        if key.endswith("-role") and value == "admin":
            data[key] = "editor"
        elif key.endswith("-role") and value == "editor":
            data[key] = "admin"

    response = client.post(reverse("admin:annotations_project_change", args=[site["desk"].pk]), data)

    roles = dict(Membership.objects.filter(project=site["desk"]).values_list("user__username", "role"))
    assert response.status_code == 302
    assert roles == {"reviewer": "reviewer", "editor": "admin", "admin": "editor"}


def test_a_title_the_service_would_refuse_is_a_form_error_in_the_admin(site, client):
    client.force_login(site["editor"])

    response = client.post(reverse("admin:annotations_document_change", args=[site["document"].pk]),
                           {"title": "\x01", "source_url": "", "author": "", "published_at_0": "",
                            "published_at_1": ""})  # fmt: skip

    assert response.status_code == 200 and b"The title is empty" in response.content
    assert Document.objects.get(pk=site["document"].pk).title == "Jobs"


def test_the_admin_does_not_approve_a_verdict_changed_since_the_queue_was_loaded(site, client):
    annotation = _annotation_by(site["reviewer"], site["document"])
    client.force_login(site["editor"])
    queue = client.get(reverse("admin:annotations_reviewitem_changelist")).content.decode()
    seen = re.search(rf'name="version-{annotation.pk}" value="(\d+)"', queue).group(1)
    services.annotation_update(annotation_id=annotation.pk, user=site["reviewer"], version=int(seen), verdict="false")

    response = client.post(reverse("admin:annotations_reviewitem_changelist"),
                           {"action": "approve", "_selected_action": [annotation.pk], f"version-{annotation.pk}": seen},
                           follow=True)  # fmt: skip

    annotation.refresh_from_db()
    assert annotation.status == "submitted" and annotation.verdict == "false"
    assert b"changed since you loaded it" in response.content


def test_admin_actions_with_hand_made_ids_answer_with_a_message(site, client):
    client.force_login(site["editor"])

    for bad in ("abc", "1.5", "", "99999999999999999999", "9" * 5000):
        response = client.post(reverse("admin:annotations_reviewitem_changelist"),
                               {"action": "approve", "_selected_action": [bad]}, follow=True)  # fmt: skip
        assert response.status_code == 200 and b"not ids" in response.content


def test_a_filter_id_beyond_the_database_range_is_a_400(site, api_as):
    api = api_as(site["reviewer"])

    listing = api.get(reverse("api-annotations"), {"document": "99999999999999999999"})
    export = api.get(reverse("api-project-export", args=["politics"]), {"format": "csv", "document": "2" * 30})

    assert listing.status_code == 400 and "document" in listing.json()["detail"]
    assert export.status_code == 400


def test_adding_a_duplicate_document_in_the_admin_opens_the_existing_one(site, client):
    client.force_login(site["editor"])

    response = client.post(reverse("admin:annotations_document_add"),
                           {"project": site["desk"].pk, "title": "Again", "body": BODY, "source_url": "",
                            "author": "", "published_at_0": "", "published_at_1": ""}, follow=True)  # fmt: skip

    assert response.redirect_chain[-1][0] == reverse("admin:annotations_document_change", args=[site["document"].pk])
    assert b"already document" in response.content and b"was added successfully" not in response.content
    assert Document.objects.filter(project=site["desk"]).count() == 1


def test_who_made_whom_a_member_or_admin_is_in_the_desks_history(site, client, api_as):
    client.force_login(site["root"])
    data = inline_post(site["desk"], [])
    role = next(k for k, v in data.items() if k.endswith("-role") and v == "editor")
    data[role] = "admin"

    client.post(reverse("admin:annotations_project_change", args=[site["desk"].pk]), data)

    events = _events(project=site["desk"], object_type__in=["project", "membership"])
    assert (
        "project",
        "create",
        "root",
        {"name": [None, "Politics desk"], "slug": [None, "politics"]},
        "",
        "",
    ) in events
    assert ("membership", "create", "root", {"user": [None, "reviewer"], "role": [None, "reviewer"]}, "", "") in events
    assert events[-1][:4] == (
        "membership",
        "update",
        "root",
        {"user": ["editor", "editor"], "role": ["editor", "admin"]},
    )
    feed = api_as(site["admin"]).get(reverse("api-project-corrections", args=["politics"])).json()["results"]
    assert {"project", "membership", "document"} <= {row["object_type"] for row in feed}
    imported = next(row for row in feed if row["object_type"] == "document")
    assert (imported["action"], imported["document"], imported["annotation"]) == ("create", site["document"].pk, None)


def test_renaming_a_desk_in_the_admin_is_audited(site, client):
    client.force_login(site["admin"])

    client.post(reverse("admin:annotations_project_change", args=[site["desk"].pk]),
                inline_post(site["desk"], [], name="Renamed desk"))  # fmt: skip

    assert _events(object_type="project", action="update")[0][:4] == (
        "project", "update", "admin", {"name": ["Politics desk", "Renamed desk"]},
    )  # fmt: skip


def test_replacing_the_only_admin_in_one_save_removes_one_and_adds_the_other(site, client):
    client.force_login(site["root"])
    newcomer = UserFactory(username="newcomer")
    data = inline_post(site["desk"], [{"user": str(newcomer.pk), "role": "admin"}])
    row = next(k for k, v in data.items() if k.endswith("-user") and v == str(site["admin"].pk)).rsplit("-", 1)[0]
    data[f"{row}-DELETE"] = "on"

    response = client.post(reverse("admin:annotations_project_change", args=[site["desk"].pk]), data, follow=True)

    roles = dict(Membership.objects.filter(project=site["desk"]).values_list("user__username", "role"))
    assert roles == {"reviewer": "reviewer", "editor": "editor", "newcomer": "admin"}
    assert b"last admin" not in response.content
