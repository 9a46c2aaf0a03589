"""Database helpers that are not the ORM's: accent- and case-insensitive search on PostgreSQL (the
``unaccent`` extension, created by migration 0007) and SQLite (the same function, registered in Python)."""

from django.db.backends.signals import connection_created
from django.db.models import CharField, Func, Q, TextField, Transform, Value

from annotations.domain.text import fold


class Folded(Func):
    """lower(unaccent(expression)): ``Folded("title")`` compares without case or accents."""

    function = "UNACCENT"
    template = "LOWER(%(function)s(%(expressions)s))"
    output_field = CharField()


class FoldedTransform(Transform):
    """``title__folded__contains=Folded(Value("nicolas"))``."""

    lookup_name = "folded"
    function = "UNACCENT"
    template = "LOWER(%(function)s(%(expressions)s))"
    output_field = TextField()


CharField.register_lookup(FoldedTransform)
TextField.register_lookup(FoldedTransform)


def folded_contains(query: str, *fields: str) -> Q:
    """Rows where any of ``fields`` contains ``query``, case and accents aside (``Nicolas`` finds ``Nicolás``)."""
    term = Folded(Value(query))
    condition = Q()
    for field in fields:
        condition |= Q(**{f"{field}__folded__contains": term})
    return condition


def _register_sqlite_unaccent(sender, connection, **kwargs) -> None:
    if connection.vendor == "sqlite":
        connection.connection.create_function("UNACCENT", 1, lambda s: None if s is None else fold(s),
                                              deterministic=True)  # fmt: skip


connection_created.connect(_register_sqlite_unaccent, dispatch_uid="annotations.db.unaccent")
