from pathlib import Path

import pytest
from django.urls import reverse

from annotations import services
from annotations.tests.factories import DocumentFactory

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)> and a javascript:alert(2) link'


def test_pages_require_login(client, document):
    for url in [reverse("project-list"), reverse("document-list", args=["politics"]),
                reverse("document-detail", args=[document.pk])]:  # fmt: skip
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_a_reviewer_sees_their_projects_and_the_documents_with_length_status_and_claim_count(
    client, reviewer, document
):
    client.force_login(reviewer)

    projects = client.get(reverse("project-list"))
    documents = client.get(reverse("document-list", args=["politics"]))

    assert b"Politics desk" in projects.content and b"1 document" in projects.content
    assert documents.status_code == 200
    assert b"Unemployment" in documents.content
    assert f'<td class="num">{len(document.body)}</td>'.encode() in documents.content
    assert b"Pending" in documents.content


@pytest.mark.parametrize("documents", [5, 30])
def test_the_desk_page_runs_a_fixed_number_of_queries(client, reviewer, project, django_assert_num_queries, documents):
    DocumentFactory.create_batch(documents, project=project)
    client.force_login(reviewer)
    client.get(reverse("document-list", args=["politics"]))  # warm up session

    # session, user, desk (+ role), count, documents (with claim counts), annotations by status, writers,
    # assignees, members (the assignee filter), admin link, unread notifications, accept rate by score band
    with django_assert_num_queries(12):
        response = client.get(reverse("document-list", args=["politics"]))

    assert len(response.context["rows"]) == min(documents, 25)


def test_a_reviewer_reads_a_document_with_its_text_exactly_as_stored(client, reviewer, document):
    client.force_login(reviewer)

    response = client.get(reverse("document-detail", args=[document.pk]))

    assert response.status_code == 200
    assert f'<div class="body" id="document-body">{document.body}</div>' in response.content.decode()


@pytest.mark.parametrize("url_name", ["document-list", "document-detail"])
def test_a_user_outside_the_project_gets_404_for_its_pages(client, outsider, document, url_name):
    client.force_login(outsider)
    arg = "politics" if url_name == "document-list" else document.pk

    response = client.get(reverse(url_name, args=[arg]))

    assert response.status_code == 404


def test_an_outsider_does_not_see_the_project_in_their_list(client, outsider, document):
    client.force_login(outsider)

    response = client.get(reverse("project-list"))

    assert b"Politics desk" not in response.content


def test_hostile_article_text_and_title_are_escaped(client, reviewer, project):
    document = DocumentFactory(project=project, title=HOSTILE, body=HOSTILE)
    client.force_login(reviewer)

    content = client.get(reverse("document-detail", args=[document.pk])).content.decode()

    assert "<script>alert" not in content
    assert "<img src=x" not in content
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in content


def test_pages_are_served_with_a_strict_content_security_policy(client, reviewer):
    client.force_login(reviewer)

    csp = client.get(reverse("project-list"))["Content-Security-Policy"]

    assert "script-src 'self'" in csp
    assert "object-src 'none'" in csp
    assert "unsafe-inline" not in csp


def test_logging_in_as_a_reviewer_lands_on_the_project_list(client, reviewer):
    response = client.post(reverse("login"), {"username": "reviewer", "password": "pw"}, follow=True)

    assert response.redirect_chain[-1][0] == reverse("project-list")
    assert b"Politics desk" in response.content


def test_a_user_creates_replaces_and_revokes_their_api_token(client, reviewer):
    from rest_framework.authtoken.models import Token

    client.force_login(reviewer)

    created = client.post(reverse("api-token"), {"action": "create"}, follow=True)
    first = Token.objects.get(user=reviewer).key
    client.post(reverse("api-token"), {"action": "create"})
    second = Token.objects.get(user=reviewer).key
    revoked = client.post(reverse("api-token"), {"action": "revoke"}, follow=True)

    assert first in created.content.decode()
    assert first != second
    assert not Token.objects.filter(user=reviewer).exists()
    assert b"Token revoked." in revoked.content


def test_the_annotate_page_says_how_much_boilerplate_was_set_aside_and_shows_it(client, reviewer, project):
    seed = Path(__file__).resolve().parents[2] / "seeds" / "russias-role-in-venezuela-will-putin-save-maduro.txt"
    title, _, body = seed.read_text(encoding="utf-8").partition("\n")
    document = services.document_import(project=project, title=title, body=body).document
    tail = document.metadata["boilerplate"]["tail"]
    client.force_login(reviewer)

    page = client.get(reverse("document-detail", args=[document.pk])).content.decode()

    assert f"{len(tail)} characters set aside at import as boilerplate" in page
    assert "Phone: +2614651609714" in page  # the set-aside text itself, in the details
    assert "Phone: +2614651609714" not in document.body


def test_the_annotate_page_shows_the_desks_guidelines(client, reviewer, document):
    document.project.guidelines = "Two independent sources for every verdict."
    document.project.save()
    client.force_login(reviewer)

    page = client.get(reverse("document-detail", args=[document.pk])).content.decode()

    assert "Desk guidelines" in page and "Two independent sources for every verdict." in page
