import sys

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q
from tqdm import tqdm

from annotations import services
from annotations.models import Document, SegmentationStatus


class Command(BaseCommand):
    help = (
        "Segment documents into scored candidate claims. --pending enqueues what the workers missed "
        "(the sweeper); --all, --document and --stale re-segment here and now with a progress bar."
    )

    def add_arguments(self, parser):
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--pending", action="store_true", help="Enqueue pending and stuck documents.")
        which.add_argument("--all", action="store_true", help="Re-segment every document.")
        which.add_argument("--document", type=int, action="append", metavar="ID", help="Re-segment this document.")
        which.add_argument(
            "--stale", action="store_true", help="Re-segment failed documents and those done by an older segmenter."
        )
        parser.add_argument("--no-progress", action="store_true", help="Do not show a progress bar.")

    def handle(self, *args, **options):
        if options["pending"]:
            sent = services.segmentation_sweep()
            self.stdout.write(f"{sent} document(s) enqueued for segmentation")
            return
        from annotations.domain import checkworthiness

        ids = self._select(options)
        services.document_request_segmentation(document_ids=ids, enqueue=False)
        counts = {"done": 0, "failed": 0, "skipped": 0}
        show = not options["no_progress"] and sys.stderr.isatty()
        allowed = checkworthiness.encoder_allowed()
        checkworthiness.allow_encoder()  # this command segments here, like a worker
        try:
            for document_id in tqdm(ids, desc="Segmenting", unit="doc", disable=not show, file=sys.stderr):
                outcome = services.document_segment(document_id=document_id)
                counts[outcome.status] += 1
        finally:
            checkworthiness.allow_encoder(allowed)  # as it was (a test process calls commands in-process)
        self.stdout.write(f"{counts['done']} segmented, {counts['skipped']} skipped (busy), {counts['failed']} failed")
        if counts["failed"]:
            raise CommandError("some documents failed; see their segmentation error in the admin", returncode=1)

    def _select(self, options) -> list[int]:
        from annotations.domain.checkworthiness import default_info
        from annotations.domain.claim_ranking import RANKING_VERSION
        from annotations.domain.segmentation import SEGMENTER_VERSION

        documents = Document.objects.order_by("pk")
        if options["document"]:
            ids = list(documents.filter(pk__in=options["document"]).values_list("pk", flat=True))
            missing = sorted(set(options["document"]) - set(ids))
            if missing:
                raise CommandError(f"no document with id {', '.join(map(str, missing))}")
            return ids
        if options["stale"]:
            current = f"{SEGMENTER_VERSION}+{default_info()['version']}+{RANKING_VERSION}"
            documents = documents.filter(
                Q(segmentation_status=SegmentationStatus.FAILED)
                | Q(segmentation_status=SegmentationStatus.DONE) & ~Q(segmenter_version=current)
            )
        return list(documents.values_list("pk", flat=True))
