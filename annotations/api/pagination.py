"""Keyset pagination over (updated_at, id) for incremental sync.

The cursor is the (updated_at, id) of the last row a client received; the next page holds the rows
strictly after it in that order. A row changed after the client read it gets a later updated_at and
so shows up again in a later page: a client that keeps polling its ``sync`` cursor never misses a
write and never gets the same version of a row twice.
"""

import base64
import json
from datetime import datetime

from django.db.models import Q, QuerySet
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request

MAX_PAGE_SIZE = 5000


def encode_cursor(updated_at: datetime, pk: int) -> str:
    raw = json.dumps([updated_at.isoformat(), pk]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        stamp, pk = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(pk, int) or isinstance(pk, bool) or not 0 <= pk < 2**63:
            raise ValueError("cursor id out of range")
        return datetime.fromisoformat(stamp), pk
    except (ValueError, TypeError, OverflowError, RecursionError):
        message = "invalid cursor; use the `next` or `sync` value of a previous response"
        raise ValidationError({"cursor": [message]}) from None


def page_size(request: Request, default: int = 100) -> int:
    raw = request.query_params.get("page_size")
    if raw is None:
        return default
    try:
        size = int(raw)
    except ValueError:
        raise ValidationError({"page_size": [f"must be an integer between 1 and {MAX_PAGE_SIZE}"]}) from None
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise ValidationError({"page_size": [f"must be an integer between 1 and {MAX_PAGE_SIZE}"]})
    return size


def keyset_page(queryset: QuerySet, request: Request, field: str = "updated_at") -> tuple[list, str | None, str | None]:
    """Return (rows, next, sync) for the page after ``?cursor=`` (or from the start), ordered by (field, id)."""
    cursor = request.query_params.get("cursor")
    if cursor:
        stamp, pk = decode_cursor(cursor)
        queryset = queryset.filter(Q(**{f"{field}__gt": stamp}) | Q(**{field: stamp, "pk__gt": pk}))
    return page_of(list(queryset.order_by(field, "pk")[: page_size(request) + 1]), request, field)


def page_of(rows: list, request: Request, field: str = "updated_at") -> tuple[list, str | None, str | None]:
    """(rows, next, sync) of ``keyset_page`` from the page's rows fetched already, ordered by (field, id): up to
    ``page_size + 1`` of them (one more than fits tells that another page follows)."""
    size = page_size(request)
    has_more = len(rows) > size
    rows = rows[:size]
    sync = encode_cursor(getattr(rows[-1], field), rows[-1].pk) if rows else request.query_params.get("cursor")
    return rows, (sync if has_more else None), sync
