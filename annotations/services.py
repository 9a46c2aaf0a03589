"""Writes. Every function here is keyword-only, atomic and named <entity>_<action>."""

from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction

from annotations.domain.boilerplate import strip_boilerplate
from annotations.domain.spans import SpanError, quote_selector, validate_span
from annotations.domain.text import content_sha256, normalize_line, normalize_text
from annotations.domain.verdicts import Verdict
from annotations.models import Annotation, Claim, Document, Membership, Project, Role

TITLE_MAX = Document._meta.get_field("title").max_length
AUTHOR_MAX = Document._meta.get_field("author").max_length
_validate_url = URLValidator(schemes=["http", "https"])


class DocumentRejected(ValueError):
    """The input cannot become a document; the message says why (safe to show users)."""


@dataclass(frozen=True)
class ImportOutcome:
    document: Document
    created: bool  # False: the same content already exists in the project (``document`` is that one)


@transaction.atomic
def document_import(
    *,
    project: Project,
    title: str,
    body: str,
    source_url: str = "",
    author: str = "",
    published_at: datetime | None = None,
    imported_by: AbstractBaseUser | None = None,
    metadata: dict | None = None,
) -> ImportOutcome:
    """Clean and store one article, or return the existing document with the same content.

    The body is normalised (NFC, LF, trailing spaces) and stripped of scraper boilerplate;
    the removed text is kept in ``metadata["boilerplate"]``. Duplicates are detected by the
    SHA-256 of the cleaned body within the project.
    """
    title = normalize_line(title)
    if not title:
        raise DocumentRejected("title is empty")
    if len(title) > TITLE_MAX:
        title = title[: TITLE_MAX - 1] + "…"
    author = normalize_line(author)[:AUTHOR_MAX]
    source_url = source_url.strip()
    if source_url:
        try:
            _validate_url(source_url)
        except ValidationError:
            raise DocumentRejected(f"source URL {source_url[:200]!r} is not a valid http(s) URL") from None

    cleaned = strip_boilerplate(normalize_text(body), title=title)
    if not cleaned.body.strip():
        raise DocumentRejected("body is empty after cleaning")
    digest = content_sha256(cleaned.body)
    existing = Document.objects.filter(project=project, content_sha256=digest).first()
    if existing:
        return ImportOutcome(document=existing, created=False)

    metadata = dict(metadata or {})
    if cleaned.head or cleaned.tail:
        metadata["boilerplate"] = {"head": cleaned.head, "tail": cleaned.tail, "rules": cleaned.rules}
    document = Document(
        project=project,
        title=title,
        body=cleaned.body,
        source_url=source_url,
        author=author,
        published_at=published_at,
        content_sha256=digest,
        metadata=metadata,
        imported_by=imported_by,
    )
    try:
        with transaction.atomic():  # savepoint: a concurrent import of the same content may win the race
            document.save()
    except IntegrityError:
        existing = Document.objects.filter(project=project, content_sha256=digest).first()
        if existing is None:
            raise
        return ImportOutcome(document=existing, created=False)
    return ImportOutcome(document=document, created=True)


@transaction.atomic
def project_create(*, name: str, slug: str) -> Project:
    project, _ = Project.objects.get_or_create(slug=slug, defaults={"name": name})
    return project


@transaction.atomic
def membership_set(*, project: Project, user: AbstractBaseUser, role: str = Role.REVIEWER) -> Membership:
    if role not in Role.values:
        raise ValueError(f"unknown role {role!r}; expected one of {', '.join(Role.values)}")
    membership, _ = Membership.objects.update_or_create(project=project, user=user, defaults={"role": role})
    return membership


class AnnotationRejected(ValueError):
    """The annotation does not fit its document; the message says why (HTTP 400 material)."""


@transaction.atomic
def annotation_create(
    *,
    document: Document,
    author: AbstractBaseUser,
    start: int,
    end: int,
    quote: str,
    verdict: str = "",
    rationale: str = "",
    claim: Claim | None = None,
) -> Annotation:
    """Highlight ``document.body[start:end]``. The quote must equal that text exactly (code points)."""
    try:
        validate_span(document.body, start, end, quote)
    except SpanError as exc:
        raise AnnotationRejected(str(exc)) from None
    if verdict and verdict not in Verdict:
        raise AnnotationRejected(f"unknown verdict {verdict!r}; expected one of {', '.join(Verdict)}")
    if claim is not None and claim.document_id != document.pk:
        raise AnnotationRejected("the claim belongs to another document")
    selector = quote_selector(document.body, start, end)
    return Annotation.objects.create(
        document=document,
        author=author,
        claim=claim,
        start=start,
        end=end,
        quote=selector.exact,
        prefix=selector.prefix,
        suffix=selector.suffix,
        verdict=verdict,
        rationale=rationale,
    )
