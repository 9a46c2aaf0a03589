"""Import files into a project: the adapter between article files and ``document_import``.

Used by the ``import_articles`` and ``seed_demo`` commands and the API's file upload.
"""

from __future__ import annotations

import itertools
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
    """Import every article found under ``paths``, a file's articles a round of ``SEGMENTATION_ROUND`` at a time
    (one transaction each): a bad record is reported and writes nothing, and never stops the others.

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
    """The articles of one file, a transaction per round of ``SEGMENTATION_ROUND`` (``documents_import_many``:
    a bad article is reported and writes nothing, the others of its round are stored)."""
    if isinstance(item, ArticleFileError):
        emit("failed", str(item))
        return
    records = iter(read_article_file(item, max_bytes=settings.IMPORT_MAX_BYTES))
    while chunk := list(itertools.islice(records, SEGMENTATION_ROUND)):
        results: list[UploadResult | None] = [_unreadable(record) for record in chunk]
        readable = [index for index, result in enumerate(results) if result is None]
        with transaction.atomic():
            outcomes = services.documents_import_many(project=project, imported_by=imported_by, articles=[
                _article_in(chunk[index], None) for index in readable])  # fmt: skip
        for index, outcome in zip(readable, outcomes, strict=True):
            results[index] = _result(chunk[index].source, outcome)
        for result in results:
            _emit_result(result, emit)


def _emit_result(result: UploadResult, emit: Callable[[str, str], None]) -> None:
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
    same reading, cleaning and de-duplication as the CLI, in one transaction (``documents_import_many``), their
    segmentation sent together at the end. ``max_bytes``: the whole file's limit (default ``IMPORT_MAX_BYTES``); one
    article is never over ``IMPORT_MAX_BYTES``. More than ``UPLOAD_MAX_ARTICLES`` articles is refused whole
    (``TooLarge``), before anything is written. ``source``: recorded in each document's metadata (default
    ``upload:NAME``)."""
    records = list(read_article_bytes(name, data, max_bytes=max_bytes or settings.IMPORT_MAX_BYTES))
    limit = settings.UPLOAD_MAX_ARTICLES
    if len(records) > limit:
        raise services.TooLarge(f"{name} holds {len(records):,} articles; at most {limit:,} per file: split it")
    results = []
    # One transaction (services.documents_import_many: the new articles looked up and written a few statements for
    # all of them, a refused article writes nothing and is reported, a correction is its own savepoint); the request
    # commits once — one WAL flush, not one per article. A crash before that commit stores none of them; sent
    # again, the articles already stored are duplicates. Segmentation is sent once all are committed.
    source = source or f"upload:{name}"
    results: list[UploadResult | None] = [_unreadable(record) for record in records]
    readable = [index for index, result in enumerate(results) if result is None]
    with services.segmentation_batch(), transaction.atomic():
        outcomes = services.documents_import_many(project=project, imported_by=imported_by, articles=[
            _article_in(records[index], source) for index in readable])  # fmt: skip
    for index, outcome in zip(readable, outcomes, strict=True):
        results[index] = _result(records[index].source, outcome)
    return results


def _unreadable(record) -> UploadResult | None:
    """The failed result of a record that cannot be imported at all (a read error, too big), else None."""
    if isinstance(record, ArticleFileError):
        return UploadResult(source=record.source, status="failed", detail=record.reason)
    size = len(record.body.encode("utf-8"))
    if size > settings.IMPORT_MAX_BYTES:
        detail = f"the article is {size:,} bytes, over the {settings.IMPORT_MAX_BYTES:,}-byte limit"
        return UploadResult(source=record.source, status="failed", detail=detail)
    return None


def _article_in(record: ArticleRecord, source: str | None) -> services.ArticleIn:
    return services.ArticleIn(title=record.title, body=record.body, source_url=record.url, author=record.author,
                              published_at=record.published_at,
                              metadata={"source": source or record.source, "format": record.format})  # fmt: skip


def _result(source: str, outcome) -> UploadResult:
    if isinstance(outcome, services.AppError):
        return UploadResult(source=source, status="failed", detail=str(outcome))
    status = "imported" if outcome.created else "new_version" if outcome.new_version else "duplicate"
    return UploadResult(source=source, status=status, document=outcome.document)
