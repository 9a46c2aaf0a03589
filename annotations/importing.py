"""Import files into a project: the adapter between article files and ``document_import``.

Used by the ``import_articles`` and ``seed_demo`` commands and the API's file upload.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser

from annotations import services
from annotations.domain.article_files import ArticleFileError, ArticleRecord, iter_article_paths, read_article_file
from annotations.models import Project


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

    for item in progress(list(iter_article_paths(paths))):
        if isinstance(item, ArticleFileError):
            emit("failed", str(item))
            continue
        for record in read_article_file(item, max_bytes=settings.IMPORT_MAX_BYTES):
            if isinstance(record, ArticleFileError):
                emit("failed", str(record))
                continue
            try:
                outcome = import_record(record, project=project, imported_by=imported_by)
            except services.Rejected as exc:
                emit("failed", f"{record.source}: {exc}")
                continue
            document = outcome.document
            if outcome.created:
                emit("imported", f"{record.source}: imported as #{document.pk} {document.title!r}")
            else:
                emit("skipped", f"{record.source}: skipped (duplicate of #{document.pk})")
    return report
