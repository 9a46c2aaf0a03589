"""Database helpers that are not the ORM's: accent- and case-insensitive search on PostgreSQL (the
``unaccent`` extension, created by migration 0007) and SQLite (the same function, registered in Python)."""

from django.db.backends.signals import connection_created
from django.db.models import DEFERRED, CharField, Func, Q, TextField, Transform, Value

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


# ---- hand-written lookups on the hot paths ------------------------------------------------------------


def fetch_model(model, sql: str, params: list, using: str = "default"):
    """The first row of ``sql`` as a ``model`` instance (None: no row), for the few lookups of every span write where
    building the query with the ORM costs more CPU than the database spends on it. ``sql`` selects the model's
    table's columns (``t.*``) and may add columns of its own, which become attributes (``AS _access_role``). Values
    pass through the backend's converters, as the ORM's would."""
    from django.db import connections

    connection = connections[using]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
        if row is None:
            return None
        names = tuple(column[0] for column in cursor.description)
    names_in_order, fields, extras, converters = _row_layout(model, names, connection)
    values = list(row)
    for index, convert, expression in converters:
        values[index] = convert(values[index], expression, connection)
    # from_db takes the values in the order of the model's fields (DEFERRED for a column the row lacks).
    instance = model.from_db(using, names_in_order, [DEFERRED if i is None else values[i] for i in fields])
    for name, index in extras:
        setattr(instance, name, values[index])
    return instance


_LAYOUTS: dict = {}


def _row_layout(model, names: tuple[str, ...], connection):
    """The model's field attnames, the index in the row of each (None: not selected), (name, index) of the extra
    columns, and the converters each column needs — worked out once per model and column list."""
    key = (model, names, connection.alias)
    layout = _LAYOUTS.get(key)
    if layout is None:
        by_column = {field.column: field for field in model._meta.concrete_fields}
        index = {name: i for i, name in enumerate(names)}
        attnames = [field.attname for field in model._meta.concrete_fields]
        fields = [index.get(field.column) for field in model._meta.concrete_fields]
        extras = [(name, i) for i, name in enumerate(names) if name not in by_column]
        converters = []
        for i, name in enumerate(names):
            field = by_column.get(name)
            if field is not None:
                column = field.get_col(model._meta.db_table)
                for convert in connection.ops.get_db_converters(column) + field.get_db_converters(connection):
                    converters.append((i, convert, column))
        layout = _LAYOUTS[key] = (attnames, fields, extras, converters)
    return layout
