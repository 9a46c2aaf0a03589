"""JSON request bodies with limits: a body over the import limit is a 413 with a ``detail`` (not a parse of
50 MB), and nesting deeper than Python's stack is a 400 (not a RecursionError)."""

import io

from django.conf import settings
from rest_framework import parsers
from rest_framework.exceptions import ParseError

from annotations.domain.errors import TooLarge

JSON_OVERHEAD = 64 * 1024  # field names, quotes and escapes around an article of IMPORT_MAX_BYTES


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.IMPORT_MAX_BYTES + JSON_OVERHEAD
        data = stream.read(limit + 1) if stream is not None else b""
        if len(data) > limit:
            raise TooLarge(f"the JSON body is over the {limit:,}-byte limit (IMPORT_MAX_BYTES plus 64 KiB)")
        try:
            return super().parse(io.BytesIO(data), media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - nested too deeply") from None


class BulkArticlesParser(parsers.BaseParser):
    """A bulk import's body, unparsed: ``{"name": "bulk.json" | "bulk.jsonl", "data": bytes}`` for the article
    file reader (``read_article_bytes``), which reports each bad item by its place. Over
    ``BULK_IMPORT_MAX_BYTES``: a 413 before the rest is read."""

    media_type = "application/json"
    suffix = ".json"

    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.BULK_IMPORT_MAX_BYTES
        data = stream.read(limit + 1) if stream is not None else b""
        if len(data) > limit:
            raise TooLarge(f"the bulk import body is over the {limit:,}-byte limit (BULK_IMPORT_MAX_BYTES); split it")
        return {"name": f"bulk{self.suffix}", "data": data}


class BulkArticlesLinesParser(BulkArticlesParser):
    """The same for JSON Lines: one article object a line."""

    media_type = "application/x-ndjson"
    suffix = ".jsonl"


class BulkArticlesJsonlParser(BulkArticlesLinesParser):
    media_type = "application/jsonl"
