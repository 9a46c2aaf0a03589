"""Documents: import (cleaning, de-duplication, segmentation on commit) and metadata edits."""

from dataclasses import dataclass
from datetime import datetime
from pathlib import PurePath

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone

from annotations import access
from annotations.domain.article_files import ArticleFileError, extract_html, looks_like_html
from annotations.domain.boilerplate import CleanedText, strip_boilerplate
from annotations.domain.text import content_sha256, normalize_line, normalize_text
from annotations.domain.vocabulary import Role
from annotations.models import AuditEvent, Document, DocumentVersion, Project
from annotations.services.anchoring import version_store
from annotations.services.audit import audit_document, diff, document_event, document_snapshot
from annotations.services.errors import AppError, Conflict, DocumentRejected, Forbidden, Invalid
from annotations.services.segmentation import enqueue_segmentation_on_commit
from annotations.services.validation import clean_url

TITLE_MAX = Document._meta.get_field("title").max_length
AUTHOR_MAX = Document._meta.get_field("author").max_length
UNCHANGED = object()


@dataclass(frozen=True)
class ImportOutcome:
    document: Document
    created: bool  # False: the same content already exists in the project (``document`` is that one)
    new_version: bool = False  # the same source URL with other content: ``document`` has a new version


@dataclass(frozen=True)
class PreparedDocument:
    title: str
    author: str
    source_url: str
    cleaned: CleanedText
    from_html: bool = False  # the body was an HTML page: this is its extracted article text


def document_prepare(*, title: str, body: str, source_url: str = "", author: str = "") -> PreparedDocument:
    """The checks and cleaning of ``document_import``, without writing: forms call it to show errors."""
    title = normalize_line(title)
    if not title:
        raise DocumentRejected("title is empty")
    if len(title) > TITLE_MAX:
        title = title[: TITLE_MAX - 1] + "…"
    author = normalize_line(author)[:AUTHOR_MAX]
    source_url = clean_url(source_url, what="source URL", required=False)
    from_html = looks_like_html(body)
    if from_html:  # a pasted or posted page: its article text, never its markup
        try:
            body = extract_html("body", body).body
        except ArticleFileError:
            raise DocumentRejected(
                "the body is an HTML page and no article text could be found in it; paste the article's text"
            ) from None
    cleaned = strip_boilerplate(normalize_text(body), title=title)
    if not cleaned.body.strip():
        raise DocumentRejected("body is empty after cleaning")
    return PreparedDocument(title=title, author=author, source_url=source_url, cleaned=cleaned, from_html=from_html)


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

    The caller has checked that ``imported_by`` may add documents to ``project`` (any member may;
    commands run as the site). The body is normalised (NFC, LF, trailing spaces) and stripped of scraper
    boilerplate; the removed text is kept in ``metadata["boilerplate"]``. Duplicates are detected by the
    SHA-256 of the cleaned body within the project, the texts of earlier versions included (an old copy of a
    corrected article is no news).

    An article whose source URL is already a document of the project, with other content, is a correction:
    it becomes that document's next version (``anchoring.version_store``: its annotations are re-anchored).
    That needs an editor or admin of the desk (Forbidden for a reviewer; a command may).
    """
    prepared = document_prepare(title=title, body=body, source_url=source_url, author=author)
    title, author, source_url, cleaned = prepared.title, prepared.author, prepared.source_url, prepared.cleaned
    digest = content_sha256(cleaned.body)
    existing = Document.objects.filter(project=project, content_sha256=digest).first()
    if existing:
        return ImportOutcome(document=existing, created=False)
    earlier = DocumentVersion.objects.filter(document__project=project, content_sha256=digest).select_related(
        "document").first()  # fmt: skip
    if earlier:
        return ImportOutcome(document=earlier.document, created=False)
    same_source = source_url and (
        Document.objects.filter(project=project, source_url=source_url).order_by("-imported_at", "-pk").first()
    )
    if same_source:
        if imported_by is not None and not access.can_edit_document(imported_by, project):
            raise Forbidden(
                f"this source URL is document #{same_source.pk} of the desk, with other text: storing it as a new "
                "version (which moves everyone's annotations) needs an editor or admin of the desk"
            )
        source = PurePath(str((metadata or {}).get("source", ""))).name[:200]
        outcome = version_store(document=same_source, cleaned=cleaned, user=imported_by,
                                reason=f"re-imported ({source})" if source else "re-imported")  # fmt: skip
        return ImportOutcome(document=outcome.document, created=False, new_version=outcome.created)

    document = _new_document(project, prepared, digest, published_at, imported_by, metadata)
    try:
        with transaction.atomic():  # savepoint: a concurrent import of the same content may win the race
            document.save()
    except IntegrityError:
        existing = Document.objects.filter(project=project, content_sha256=digest).first()
        if existing is None:
            raise
        return ImportOutcome(document=existing, created=False)
    version, event = _first_version_and_event(document, imported_by)
    version.save()
    event.save()
    enqueue_segmentation_on_commit(document.pk)
    return ImportOutcome(document=document, created=True)


def _new_document(project, prepared: PreparedDocument, digest: str, published_at, imported_by, metadata) -> Document:
    cleaned = prepared.cleaned
    metadata = dict(metadata or {})
    if prepared.from_html:
        metadata["extracted_from_html"] = True
    if cleaned.head or cleaned.tail:
        metadata["boilerplate"] = {"head": cleaned.head, "tail": cleaned.tail, "rules": cleaned.rules}
    return Document(project=project, title=prepared.title, body=cleaned.body, source_url=prepared.source_url,
                    author=prepared.author, published_at=published_at, content_sha256=digest, metadata=metadata,
                    imported_by=imported_by)  # fmt: skip


def _first_version_and_event(document: Document, imported_by) -> tuple[DocumentVersion, AuditEvent]:
    """A stored new document's version 1 and its "imported" audit event, not saved yet."""
    source = PurePath(str(document.metadata.get("source", ""))).name[:200]  # a file's name, never a server path
    version = DocumentVersion(document=document, number=1, body=document.body, content_sha256=document.content_sha256,
                              created_by=imported_by, reason="imported")  # fmt: skip
    changes = diff({}, document_snapshot(document))
    event = document_event(document, AuditEvent.Action.CREATE, imported_by, changes=changes,
                           comment=f"imported ({source})" if source else "imported")  # fmt: skip
    return version, event


@dataclass(frozen=True)
class ArticleIn:
    """One article for :func:`documents_import_many` (the arguments of :func:`document_import`)."""

    title: str
    body: str
    source_url: str = ""
    author: str = ""
    published_at: datetime | None = None
    metadata: dict | None = None


@transaction.atomic
def documents_import_many(
    *, project: Project, articles: list[ArticleIn], imported_by: AbstractBaseUser | None = None
) -> list[ImportOutcome | AppError]:
    """:func:`document_import` for many articles of one desk, in order, with the same cleaning, de-duplication and
    correction rule and the same rows written (document, version 1, audit event, segmentation on commit): one
    outcome — or the error that refused the article — per article. New articles are looked up and written by a few
    statements for all of them instead of about nine each. From the first article whose source URL is already in
    the desk (a correction: a new version) on, and for all of them if the batched write meets a concurrent import
    of the same text, articles go through :func:`document_import` one by one, each in its own savepoint, so the
    result is the one importing them one after the other gives."""
    outcomes: list[ImportOutcome | AppError | None] = [None] * len(articles)
    prepared: dict[int, tuple[PreparedDocument, str]] = {}
    for index, article in enumerate(articles):
        try:
            ready = document_prepare(title=article.title, body=article.body, source_url=article.source_url,
                                     author=article.author)  # fmt: skip
        except (Invalid, Forbidden, Conflict) as exc:
            outcomes[index] = exc
            continue
        prepared[index] = (ready, content_sha256(ready.cleaned.body))
    digests = {digest for _, digest in prepared.values()}
    known: dict[str, Document] = {}
    if digests:
        versions = DocumentVersion.objects.filter(document__project=project, content_sha256__in=digests)
        for earlier in versions.select_related("document"):
            known.setdefault(earlier.content_sha256, earlier.document)
        documents = Document.objects.filter(project=project, content_sha256__in=digests)
        known.update((document.content_sha256, document) for document in documents)
    urls = {ready.source_url for ready, _ in prepared.values() if ready.source_url}
    taken = set(Document.objects.filter(project=project, source_url__in=urls).values_list("source_url", flat=True)
                ) if urls else set()  # fmt: skip
    new: dict[str, tuple[int, Document]] = {}  # digest → the batch's first article with that text, unsaved
    copies: dict[int, str] = {}  # a later article with the text of one in ``new``
    one_by_one: list[int] = []
    for index, (ready, digest) in prepared.items():
        if one_by_one or (ready.source_url in taken and digest not in known and digest not in new):
            one_by_one.append(index)  # a correction, and everything after it: the single path, in order
        elif digest in known:
            outcomes[index] = ImportOutcome(document=known[digest], created=False)
        elif digest in new:
            copies[index] = digest
        else:
            article = articles[index]
            new[digest] = (index, _new_document(project, ready, digest, article.published_at, imported_by,
                                                article.metadata))  # fmt: skip
            if ready.source_url:
                taken.add(ready.source_url)
    if new:
        try:
            with transaction.atomic():
                documents = Document.objects.bulk_create([document for _, document in new.values()])
                rows = [_first_version_and_event(document, imported_by) for document in documents]
                DocumentVersion.objects.bulk_create([version for version, _ in rows])
                AuditEvent.objects.bulk_create([event for _, event in rows])
        except IntegrityError:  # a concurrent import stored one of these texts first: article by article
            one_by_one = sorted([*one_by_one, *(index for index, _ in new.values()), *copies])
            new, copies = {}, {}
    for index, document in new.values():
        outcomes[index] = ImportOutcome(document=document, created=True)
        enqueue_segmentation_on_commit(document.pk)
    for index, digest in copies.items():
        outcomes[index] = ImportOutcome(document=new[digest][1], created=False)
    for index in one_by_one:
        article = articles[index]
        try:
            outcomes[index] = document_import(project=project, title=article.title, body=article.body,
                                              source_url=article.source_url, author=article.author,
                                              published_at=article.published_at, imported_by=imported_by,
                                              metadata=article.metadata)  # fmt: skip
        except (Invalid, Forbidden, Conflict) as exc:
            outcomes[index] = exc
    return outcomes


@transaction.atomic
def document_update(
    *,
    document: Document,
    user: AbstractBaseUser,
    title: str | None = None,
    source_url: str | None = None,
    author: str | None = None,
    published_at: object = UNCHANGED,  # a datetime, None (clear it) or UNCHANGED
) -> Document:
    """Change a document's metadata (editors and admins of its desk); the change is audited. Its text changes
    only by a new version (``anchoring.document_new_version``), which re-anchors the annotations."""
    access.require(user, document.project_id, Role.EDITOR)
    document = Document.objects.select_for_update().get(pk=document.pk)
    before = document_snapshot(document)
    if title is not None:
        title = normalize_line(title)
        if not title:
            raise DocumentRejected("title is empty")
        document.title = title if len(title) <= TITLE_MAX else title[: TITLE_MAX - 1] + "…"
    if source_url is not None:
        document.source_url = clean_url(source_url, what="source URL", required=False)
    if author is not None:
        document.author = normalize_line(author)[:AUTHOR_MAX]
    if published_at is not UNCHANGED:
        document.published_at = published_at
    changes = diff(before, document_snapshot(document))
    if changes:
        document.save(update_fields=["title", "source_url", "author", "published_at", "updated_at"])
        audit_document(document, AuditEvent.Action.UPDATE, user, changes=changes)
    return document


@transaction.atomic
def document_mark_done(*, document: Document, user: AbstractBaseUser, done: bool) -> Document:
    """Mark a document fully checked, or open it again (editors and admins of its desk); audited."""
    access.require(user, document.project_id, Role.EDITOR)
    document = Document.objects.select_for_update().get(pk=document.pk)
    if (document.done_at is not None) == done:
        return document
    before = document.done_at
    document.done_at, document.done_by = (timezone.now(), user) if done else (None, None)
    document.save(update_fields=["done_at", "done_by", "updated_at"])
    audit_document(document, AuditEvent.Action.UPDATE, user, changes={"done": [before is not None, done]},
                   comment="marked done" if done else "opened again")  # fmt: skip
    return document
