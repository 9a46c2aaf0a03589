"""Import files into a project: the adapter between article files and ``document_import``.

Used by the ``import_articles`` and ``seed_demo`` commands and the API's file upload.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from annotations import services
from annotations.domain.article_files import (
    ArticleFileError,
    ArticleRecord,
    iter_article_paths,
    read_article_bytes,
    read_article_file,
)
from annotations.models import Document, Project


def import_record(
    record: ArticleRecord, *, project: Project, imported_by: AbstractBaseUser | None, source: str | None = None
) -> services.ImportOutcome:
    """One parsed article → ``services.document_import`` (raises ``services.Rejected``)."""
    return services.document_import(
        project=project,
        title=record.title,
        body=record.body,
        source_url=record.url,
        author=record.author,
        published_at=record.published_at,
        imported_by=imported_by,
        metadata={"source": source or record.source, "format": record.format},
    )


@dataclass
class ImportReport:
    imported: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    @property
    def summary(self) -> str:
        return f"{len(self.imported)} imported, {len(self.skipped)} skipped (duplicates), {len(self.failed)} failed"


def import_paths(
    paths: list[Path],
    *,
    project: Project,
    imported_by: AbstractBaseUser | None = None,
    on_event: Callable[[str, str], None] = lambda kind, message: None,
    progress: Callable[[Iterator[Path | ArticleFileError]], Iterator[Path | ArticleFileError]] = lambda it: it,
) -> ImportReport:
    """Import every article found under ``paths``. Each document is its own transaction,
    so one bad record never stops (or half-writes) the others.

    ``on_event(kind, message)`` is called with kind ∈ {"imported", "skipped", "failed"}.
    """
    report = ImportReport()

    def emit(kind: str, message: str) -> None:
        getattr(report, kind).append(message)
        on_event(kind, message)

    with services.segmentation_batch(flush_every=SEGMENTATION_ROUND):
        for item in progress(list(iter_article_paths(paths))):
            _import_path(item, project=project, imported_by=imported_by, emit=emit)
    return report


SEGMENTATION_ROUND = 100  # a long import sends its segmentations this many at a time (the worker starts early)


def _import_path(item, *, project: Project, imported_by, emit: Callable[[str, str], None]) -> None:
    if isinstance(item, ArticleFileError):
        emit("failed", str(item))
        return
    for record in read_article_file(item, max_bytes=settings.IMPORT_MAX_BYTES):
        result = _import_one(record, source=None, project=project, imported_by=imported_by)
        document = result.document
        if result.status == "failed":
            emit("failed", f"{result.source}: {result.detail}")
        elif result.status == "imported":
            emit("imported", f"{result.source}: imported as #{document.pk} {document.title!r}")
        elif result.status == "new_version":
            emit("imported", f"{result.source}: new version {document.version} of #{document.pk} (same URL)")
        else:
            emit("skipped", f"{result.source}: skipped (duplicate of #{document.pk})")


@dataclass(frozen=True)
class UploadResult:
    """What became of one article of an uploaded file."""

    source: str  # "feed.jsonl:3", for the person who uploaded it
    status: str  # "imported" | "new_version" (same source URL, other text) | "duplicate" | "failed"
    document: Document | None = None  # the new document, or the one with the same text
    detail: str = ""


def import_upload(
    name: str,
    data: bytes,
    *,
    project: Project,
    imported_by: AbstractBaseUser,
    max_bytes: int | None = None,
    source: str | None = None,
) -> list[UploadResult]:
    """Import the articles of one uploaded file (the browser's upload, the API's upload and bulk import): the
    same reading, cleaning and de-duplication as the CLI, each article its own savepoint of one transaction, their
    segmentation sent together at the end. ``max_bytes``: the whole file's limit (default ``IMPORT_MAX_BYTES``); one
    article is never over ``IMPORT_MAX_BYTES``. More than ``UPLOAD_MAX_ARTICLES`` articles is refused whole
    (``TooLarge``), before anything is written. ``source``: recorded in each document's metadata (default
    ``upload:NAME``)."""
    records = list(read_article_bytes(name, data, max_bytes=max_bytes or settings.IMPORT_MAX_BYTES))
    limit = settings.UPLOAD_MAX_ARTICLES
    if len(records) > limit:
        raise services.TooLarge(f"{name} holds {len(records):,} articles; at most {limit:,} per file: split it")
    results = []
    # One transaction, each article in its own savepoint (the import service's atomic block): an article that fails
    # is rolled back alone and reported, the others stay, and the request commits once — one WAL flush, not one per
    # article (each waits several milliseconds for the disk). A crash before that commit stores none of them; sent
    # again, the articles already stored are duplicates. Segmentation is sent once all are committed.
    with services.segmentation_batch(), transaction.atomic():
        for record in records:
            results.append(_import_one(record, source=source or f"upload:{name}", project=project,
                                       imported_by=imported_by))  # fmt: skip
    return results


def _import_one(record, *, source: str | None, project: Project, imported_by: AbstractBaseUser | None) -> UploadResult:
    """One record of a file (or a read error) → ``UploadResult``; ``source`` None: the record's own (the CLI's)."""
    if isinstance(record, ArticleFileError):
        return UploadResult(source=record.source, status="failed", detail=record.reason)
    size = len(record.body.encode("utf-8"))
    if size > settings.IMPORT_MAX_BYTES:
        detail = f"the article is {size:,} bytes, over the {settings.IMPORT_MAX_BYTES:,}-byte limit"
        return UploadResult(source=record.source, status="failed", detail=detail)
    try:
        outcome = import_record(record, project=project, imported_by=imported_by, source=source)
    except (services.Rejected, services.Forbidden, services.Conflict) as exc:
        return UploadResult(source=record.source, status="failed", detail=str(exc))
    status = "imported" if outcome.created else "new_version" if outcome.new_version else "duplicate"
    return UploadResult(source=record.source, status=status, document=outcome.document)
