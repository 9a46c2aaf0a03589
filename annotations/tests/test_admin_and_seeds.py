import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from annotations.models import Document, Membership, Project
from annotations.tests.factories import DocumentFactory, ProjectFactory


def test_demo_seeding_creates_users_the_project_and_both_clean_articles(settings, db):
    settings.DEBUG = True
    out = io.StringIO()

    call_command("seed_demo", stdout=out)
    call_command("seed_demo", stdout=io.StringIO())  # idempotent

    project = Project.objects.get(slug="demo")
    assert Document.objects.filter(project=project).count() == 2
    assert set(Membership.objects.filter(project=project).values_list("user__username", "role")) == {
        ("reviewer", "reviewer"), ("reviewer2", "reviewer"), ("editor", "editor"), ("admin", "admin"),
    }  # fmt: skip
    assert "reviewer   password: reviewer-demo-pass" in out.getvalue()
    assert all("Top Articles" not in body for body in Document.objects.values_list("body", flat=True))


def test_demo_seeding_refuses_to_run_without_debug(settings, db):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="only runs with DEBUG=true"):
        call_command("seed_demo", stdout=io.StringIO())

    assert not Project.objects.exists()


def test_an_editor_sees_only_their_projects_documents_in_the_admin(client, editor, document):
    from django.contrib.auth.models import Permission

    editor.user_permissions.add(*Permission.objects.filter(codename__in=["view_document", "add_document"]))
    hidden = DocumentFactory(project=ProjectFactory(slug="elsewhere"), title="Hidden elsewhere")
    client.force_login(editor)

    listing = client.get(reverse("admin:annotations_document_changelist"))
    other = client.get(reverse("admin:annotations_document_change", args=[hidden.pk]))

    assert listing.status_code == 200
    assert b"Unemployment" in listing.content and b"Hidden elsewhere" not in listing.content
    assert other.status_code == 302  # the admin redirects objects outside the queryset to its index


def test_adding_a_document_in_the_admin_runs_the_import_service(admin_client, project):
    response = admin_client.post(
        reverse("admin:annotations_document_add"),
        {"project": project.pk, "title": "  Added  in admin ", "body": "Body text. " * 5 + " \r\nTop Articles\r\nMore",
         "source_url": "", "author": "", "metadata": "{}", "segmentation_status": "pending"},
    )  # fmt: skip

    document = Document.objects.get()
    assert response.status_code == 302
    assert (document.title, document.body) == ("Added in admin", ("Body text. " * 5).strip())
    assert document.metadata["boilerplate"]["tail"] == "Top Articles\nMore"
    assert document.content_sha256


def test_adding_a_document_with_a_non_http_source_url_shows_a_form_error(admin_client, project):
    response = admin_client.post(
        reverse("admin:annotations_document_add"),
        {"project": project.pk, "title": "T", "body": "Some text.", "source_url": "ftp://example.org/a",
         "author": "", "metadata": "{}", "segmentation_status": "pending"},
    )  # fmt: skip

    assert response.status_code == 200
    assert b"Only http(s) URLs are accepted." in response.content
    assert not Document.objects.exists()


def test_the_document_change_page_shows_the_text_read_only(admin_client, document):
    response = admin_client.get(reverse("admin:annotations_document_change", args=[document.pk]))

    assert response.status_code == 200
    assert 'name="body"' not in response.content.decode()
    assert document.body.encode() in response.content
