import factory
from django.contrib.auth import get_user_model

from annotations.domain.text import content_sha256
from annotations.models import Document, DocumentVersion, Membership, Project, Role


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("pw")


class ProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Project
        django_get_or_create = ["slug"]

    name = factory.Sequence(lambda n: f"Desk {n}")
    slug = factory.Sequence(lambda n: f"desk-{n}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    project = factory.SubFactory(ProjectFactory)
    role = Role.REVIEWER


class DocumentFactory(factory.django.DjangoModelFactory):
    """A document stored as-is (no cleaning); use services.document_import to test importing."""

    class Meta:
        model = Document
        skip_postgeneration_save = True

    project = factory.SubFactory(ProjectFactory)
    title = factory.Sequence(lambda n: f"Article {n}")
    body = factory.Sequence(lambda n: f"The unemployment rate fell to 3.5 percent in 2019 (article {n}).")
    content_sha256 = factory.LazyAttribute(lambda d: content_sha256(d.body))

    @factory.post_generation
    def first_version(document, create, extracted, **kwargs):
        """Version 1, as every import (and the data migration) stores it."""
        if create:
            DocumentVersion.objects.create(document=document, number=1, body=document.body,
                                           content_sha256=document.content_sha256, reason="imported")  # fmt: skip
