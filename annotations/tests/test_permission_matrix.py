"""Every URL of the app and the API (the resolver is walked: a new URL without a row here fails) × every persona:
the exact status of a GET, and nothing of the desk in anything an outsider receives, the admin included (every
registered change list, searched, and every change page; the admin's actions are covered by test_access)."""

import pytest
from django.test import Client
from django.urls import URLResolver, get_resolver, reverse
from rest_framework.authtoken.models import Token

from annotations import services
from annotations.domain.vocabulary import Role
from annotations.models import EvidenceLink, UrlImport
from annotations.tests.factories import DocumentFactory, MembershipFactory, UserFactory

SECRET = "Zanzibar-harbour-secret"
PERSONAS = ["anonymous", "outsider", "reviewer", "other_reviewer", "editor", "desk_admin", "superuser"]


def statuses(anonymous, outsider, members, *, reviewers=None, superuser=None) -> list[int]:
    """The row of one URL: anonymous, outsider, then reviewer, other reviewer, editor, desk admin, superuser."""
    reviewers = members if reviewers is None else reviewers
    return [anonymous, outsider, reviewers, reviewers, members, members, members if superuser is None else superuser]


PAGE, API_GET, API_WRITE = statuses(302, 404, 200), statuses(401, 404, 200), statuses(401, 405, 405)
# URL name -> (how to fill its arguments, the expected status of each persona)
MATRIX = {
    "healthz": (None, [200] * 7),
    "login": (None, [200] * 7),
    "logout": (None, [405] * 7),  # a POST logs out; GET is refused
    "password_change": (None, statuses(302, 200, 200)),
    "password_change_done": (None, statuses(302, 200, 200)),
    "password_reset": (None, [200] * 7),
    "password_reset_done": (None, [200] * 7),
    "password_reset_confirm": ("reset", [200] * 7),  # a bad token: the page says the link is invalid
    "password_reset_complete": (None, [200] * 7),
    "api-me": (None, statuses(401, 200, 200)),
    "api-projects": (None, statuses(401, 200, 200)),
    "api-project": ("slug", API_GET),
    "api-project-members": ("slug", API_GET),
    "api-project-member": ("member", API_WRITE),
    "api-project-url-imports": ("slug", API_WRITE),
    "api-url-import": ("url_import", API_GET),
    "api-project-upload": ("slug", API_WRITE),
    "api-project-export": ("slug", API_GET),
    "api-project-import-verdicts": ("slug", API_WRITE),
    "api-project-agreement": ("slug", API_GET),
    "api-project-corrections": ("slug", API_GET),
    "api-documents": (None, statuses(401, 200, 200)),
    "api-documents-bulk": (None, statuses(401, 405, 405)),
    "api-document": ("document", API_GET),
    "api-document-done": ("document", API_WRITE),
    "api-document-versions": ("document", API_GET),
    "api-document-diff": ("document", API_GET),
    "api-document-claims": ("document", API_GET),
    "api-document-submit": ("document", API_WRITE),
    "api-claim-accept": ("claim", API_WRITE),
    "api-claim-dismiss": ("claim", API_WRITE),
    "api-claim-restore": ("claim", API_WRITE),
    "api-annotations": (None, statuses(401, 200, 200)),
    "api-annotation": ("annotation", API_GET),
    "api-annotation-submit": ("annotation", API_WRITE),
    "api-annotation-place": ("annotation", API_WRITE),
    "api-annotation-review": ("annotation", API_WRITE),
    "api-annotation-comments": ("annotation", API_GET),
    "api-annotation-evidence": ("annotation", API_WRITE),
    "api-evidence": ("evidence", API_WRITE),
    "api-evidence-snapshot": ("evidence", API_GET),
    "api-claim-similar": ("claim", API_GET),
    "api-annotation-similar": ("annotation", API_GET),
    "api-document-similar": ("document", statuses(401, 404, 400)),  # members: `claims` is required
    "api-similar": (None, API_WRITE),
    "api-similar-reuse": ("claim", API_WRITE),  # any id: GET is refused before the reference is looked up
    "api-project-claimreviews": ("slug", API_WRITE),
    "api-schema": (None, [200] * 7),  # the API's description is public, like its README
    "api-docs": (None, [200] * 7),
    "api-redoc": (None, [301] * 7),
    "project-list": (None, statuses(302, 200, 200)),
    "desk-create": (None, statuses(302, 403, 403, superuser=200)),
    "document-list": ("slug", PAGE),
    "desk-settings": ("slug", PAGE),
    "desk-agreement": ("slug", PAGE),
    "document-detail": ("document", PAGE),
    "document-diff": ("document", PAGE),
    "document-correct": ("document", statuses(302, 404, 200, reviewers=403)),  # editors correct the text
    "fact-check": ("published", [200] * 7),  # public: a published verdict
    "review-screen": ("annotation", statuses(302, 404, 200, reviewers=403)),
    "evidence-archive": ("evidence", PAGE),
    "api-token": (None, statuses(302, 200, 200)),
    "my-queue": (None, statuses(302, 200, 200)),
    "inbox": (None, statuses(302, 200, 200)),
}


PUBLIC = {"fact-check"}  # a published verdict's page shows its article's title to anyone, by design


def _routes() -> set[str]:
    def walk(patterns):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                if pattern.namespace != "admin":
                    yield from walk(pattern.url_patterns)
            elif pattern.name:
                yield pattern.name

    return set(walk(get_resolver().url_patterns))


def test_every_url_has_a_row_in_the_matrix():
    assert _routes() - set(MATRIX) == set(), "add the new URL to MATRIX with the status of each persona"
    assert set(MATRIX) - _routes() == set()


@pytest.fixture
def world(project, reviewer, other_reviewer, editor, outsider):
    desk_admin = MembershipFactory(project=project, user=UserFactory(username="desk_admin"), role=Role.ADMIN).user
    superuser = UserFactory(username="root", is_superuser=True, is_staff=True)
    chief = MembershipFactory(project=project, user=UserFactory(username="chief"), role=Role.ADMIN).user
    body = f"The port moved 1.2 million containers, {SECRET} said. The berth will create 900 jobs."
    document = DocumentFactory(project=project, title=f"Article {SECRET}", body=body)
    claim = document.claims.create(start=0, end=len(body), text=body, score=0.9)
    quote = "1.2 million containers"
    start = body.index(quote)
    annotation = services.annotation_create(document=document, author=reviewer, start=start, end=start + len(quote),
                                            quote=quote, verdict="true", rationale=f"Per {SECRET}.",
                                            evidence=[{"url": "https://example.org/port"}])  # fmt: skip
    annotation = services.annotation_submit(annotation_id=annotation.pk, user=reviewer, version=annotation.version)
    other = services.annotation_create(document=document, author=other_reviewer, start=0, end=3, quote="The",
                                       verdict="false")  # fmt: skip
    for action, who in (("submit", other_reviewer), ("approve", editor), ("publish", chief)):
        other.refresh_from_db()
        other = services.annotation_transition(annotation_id=other.pk, user=who, action=action, version=other.version)
    job = UrlImport.objects.create(project=project, url="https://example.org/a", requested_by=reviewer)
    users = {"outsider": outsider, "reviewer": reviewer, "other_reviewer": other_reviewer, "editor": editor,
             "desk_admin": desk_admin, "superuser": superuser}  # fmt: skip
    args = {
        "slug": [project.slug], "member": [project.slug, "reviewer"], "url_import": [job.pk],
        "document": [document.pk], "claim": [claim.pk], "annotation": [annotation.pk],
        "evidence": [EvidenceLink.objects.get(annotation=annotation).pk], "published": [other.pk],
        "reset": ["MQ", "bad-token"],
    }  # fmt: skip
    return users, args


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_url_answers_each_persona_as_the_role_table_says(world, persona):
    users, args = world
    client = Client()
    if persona != "anonymous":
        client.force_login(users[persona])
    problems = []
    for name, (kind, expected) in MATRIX.items():
        url = reverse(name, args=args[kind] if kind else None)
        response = client.get(url, HTTP_HOST="localhost")
        want = expected[PERSONAS.index(persona)]
        if response.status_code != want:
            problems.append(f"{name}: {response.status_code}, expected {want}")
        body = b"".join(response.streaming_content) if response.streaming else response.content
        if persona in ("anonymous", "outsider") and name not in PUBLIC and SECRET.encode() in body:
            problems.append(f"{name}: the desk's text reached the {persona}")
    assert problems == []


def test_a_token_sees_exactly_what_its_user_sees(world):
    users, args = world
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=users['outsider']).key}")
    assert client.get(reverse("api-document", args=args["document"])).status_code == 404
    listed = client.get(reverse("api-annotations")).json()["results"]
    assert all(SECRET not in (a["rationale"] or "") for a in listed)


def test_a_staff_member_of_another_desk_finds_nothing_of_this_desk_in_any_admin_page_list_search_or_filter(world):
    """Every admin change list (and searched for the secret; 302/403 where the role has no access), every change page
    of this desk's objects, and the API lists and searches: nothing of the desk reaches an editor of another desk."""
    from django.contrib import admin

    users, args = world
    outsider = users["outsider"]
    outsider.is_staff = True
    outsider.save(update_fields=["is_staff"])
    client = Client()
    client.force_login(outsider)
    problems, lists = [], 0
    reverse("admin:index")  # the URL conf registers the admin modules (no autodiscovery at start-up)
    for model in admin.site._registry:
        meta = model._meta
        changelist = reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")
        for query in ("", f"?q={SECRET}"):
            response = client.get(changelist + query)
            lists += 1
            if response.status_code not in (200, 302, 403):
                problems.append(f"{changelist}{query}: {response.status_code}")
            if SECRET.encode() in response.content:
                problems.append(f"{changelist}{query}: shows the desk's text")
        for row in model.objects.all()[:50]:  # the change page of every object there is, this desk's included
            page = client.get(reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[row.pk]))
            if SECRET.encode() in page.content:
                problems.append(f"{meta.model_name} {row.pk}: change page shows the desk's text")
    api = Client()
    api.force_login(outsider)
    for url in ["/api/v1/annotations/", f"/api/v1/annotations/?q={SECRET}", "/api/v1/documents/",
                "/api/v1/projects/", "/api/v1/annotations/?q=containers"]:  # fmt: skip
        response = api.get(url)
        if response.status_code != 200 or SECRET.encode() in response.content or b"containers" in response.content:
            problems.append(f"{url}: {response.status_code} or shows the desk's text")
    for url in [f"/api/v1/annotations/?project={args['slug'][0]}", f"/api/v1/documents/?project={args['slug'][0]}"]:
        response = api.get(url)  # a desk one cannot see filters like a desk that does not exist: nothing
        if response.status_code != 200 or response.json()["results"] != []:
            problems.append(f"{url}: {response.status_code}, expected an empty list")
    assert lists >= 16 and problems == []
