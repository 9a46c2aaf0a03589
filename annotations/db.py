"""Database helpers that are not the ORM's: accent- and case-insensitive search on PostgreSQL (the
``unaccent`` extension, created by migration 0007) and SQLite (the same function, registered in Python)."""

import itertools

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
    rows = _fetch(model, sql, params, using, one=True)
    return rows[0] if rows else None


def fetch_models(model, sql: str, params: list, using: str = "default") -> list:
    """Every row of ``sql`` as a ``model`` instance, as :func:`fetch_model` builds them (a column the query leaves
    out is deferred, as with ``QuerySet.defer``)."""
    return _fetch(model, sql, params, using, one=False)


def _fetch(model, sql: str, params: list, using: str, *, one: bool) -> list:
    rows, names, connection = _rows(sql, params, using, one=one)
    return [_instance(model, names, row, connection) for row in rows]


def _rows(sql: str, params: list, using: str, *, one: bool):
    """``(rows, column names, connection)`` of ``sql`` (``one``: at most the first row)."""
    from django.db import connections

    connection = connections[using]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = [row] if one and (row := cursor.fetchone()) is not None else [] if one else cursor.fetchall()
        names = _column_names(cursor) if rows else ()
    return rows, names, connection


def _column_names(cursor) -> tuple[str, ...]:
    """The result's column names. On psycopg they are read off the result itself: ``cursor.description`` builds a
    ``Column`` object with type lookups for each of them (a hot path's token + document row has ~30)."""
    result = getattr(getattr(cursor, "cursor", None), "pgresult", None)
    if result is not None:
        encoding = cursor.cursor.connection.info.encoding
        return tuple(result.fname(index).decode(encoding) for index in range(result.nfields))
    return tuple(column[0] for column in cursor.description)


def _instance(model, names: tuple[str, ...], row, connection):
    names_in_order, fields, extras, converters = _row_layout(model, names, connection)
    values = list(row)
    for index, convert, expression in converters:
        values[index] = convert(values[index], expression, connection)
    # from_db takes the values in the order of the model's fields (DEFERRED for a column the row lacks).
    instance = model.from_db(connection.alias, names_in_order, [DEFERRED if i is None else values[i] for i in fields])
    for name, index in extras:
        setattr(instance, name, values[index])
    return instance


def columns_of(model, alias: str, connection) -> str:
    """``alias.col1, alias.col2, …``: every column of the model, in the order of its fields (for :func:`fetch_pair`)."""
    quote = connection.ops.quote_name
    return ", ".join(f"{alias}.{quote(field.column)}" for field in model._meta.concrete_fields)


def fetch_pair(first, second, sql: str, params: list, using: str = "default"):
    """One row of ``sql`` that selects ``columns_of(first)``, then the columns of ``second`` (and any columns of its
    own, which become attributes of the second instance) → ``(first instance, second instance or None when the
    second's primary key is NULL, as after a LEFT JOIN that found nothing)``; None without a row."""
    rows, names, connection = _rows(sql, params, using, one=True)
    if not rows:
        return None
    row = rows[0]
    split = len(first._meta.concrete_fields)
    one = _instance(first, names[:split], row[:split], connection)
    pk_index = split + [field.primary_key for field in second._meta.concrete_fields].index(True)
    two = None if row[pk_index] is None else _instance(second, names[split:], row[split:], connection)
    return one, two


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


def insert_models(*instances, using: str = "default") -> None:
    """INSERT new instances of one model (built in Python, so the model's defaults apply) by one hand-written
    statement with ``Model.save``'s values — each field's ``pre_save`` (``auto_now``) and ``get_db_prep_save`` — but
    none of its query building (a span write's hot path). Sends no signals (the app uses none). Sets the primary
    keys, in order."""
    from django.db import connections

    if not instances:
        return
    connection = connections[using]
    model = type(instances[0])
    if any(type(instance) is not model for instance in instances):
        raise TypeError("insert_models takes instances of one model")
    fields, columns, row = _insert_layout(model, connection)
    values = [field.get_db_prep_save(field.pre_save(instance, True), connection)
              for instance in instances for field in fields]  # fmt: skip
    quote = connection.ops.quote_name
    # Identifiers come from the model; the values are parameters.
    sql = (f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES {', '.join([row] * len(instances))} "  # noqa: S608
           f"RETURNING {quote(model._meta.pk.column)}")  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        keys = [key for (key,) in cursor.fetchall()]
    for instance, key in zip(instances, keys, strict=True):
        instance.pk = key
        instance._state.adding, instance._state.db = False, using


def _insert_layout(model, connection):
    key = ("insert", model, connection.alias)
    layout = _LAYOUTS.get(key)
    if layout is None:
        quote = connection.ops.quote_name
        fields = [field for field in model._meta.concrete_fields if not field.primary_key]
        columns = ", ".join(quote(field.column) for field in fields)
        layout = _LAYOUTS[key] = (fields, columns, f"({', '.join(['%s'] * len(fields))})")
    return layout


def insert_with_dependents(parent, dependents=(), *, update=None, using: str = "default") -> None:
    """INSERT the new instance ``parent``, UPDATE one row (``update``: ``(model, pk, {field name: value})``) and
    INSERT ``dependents`` — ``(instance, field attnames that take the parent's new primary key)``, in order — as
    :func:`insert_models` would, statement after statement. On PostgreSQL all of it is one statement (data-modifying
    ``WITH`` queries, each dependent reading the one before it so their keys are drawn in order): one round trip
    for a span write's annotation, its claim's acceptance and their audit rows instead of three. Sets every
    instance's primary key."""
    from django.db import connections

    connection = connections[using]
    if connection.vendor != "postgresql":
        insert_models(parent, using=using)
        if update is not None:
            model, pk, values = update
            model._base_manager.using(using).filter(pk=pk).update(**values)
        for instance, takes_parent in dependents:
            for attname in takes_parent:
                setattr(instance, attname, parent.pk)
        for _, same_model in itertools.groupby([instance for instance, _ in dependents], key=type):
            insert_models(*same_model, using=using)  # one statement for each run of one model's rows
        return
    quote = connection.ops.quote_name
    fields, columns, row = _insert_layout(type(parent), connection)
    params = [field.get_db_prep_save(field.pre_save(parent, True), connection) for field in fields]
    pk_column = quote(type(parent)._meta.pk.column)
    steps = [f"w0 AS (INSERT INTO {quote(type(parent)._meta.db_table)} ({columns}) VALUES {row} RETURNING {pk_column})"]  # noqa: S608
    if update is not None:
        model, pk, values = update
        assignments = []
        for name, value in values.items():
            field = model._meta.get_field(name)
            assignments.append(f"{quote(field.column)} = %s")
            params.append(field.get_db_prep_save(getattr(value, "pk", value) if field.is_relation else value,
                                                 connection))  # fmt: skip
        params.append(pk)
        steps.append(f"u AS (UPDATE {quote(model._meta.db_table)} SET {', '.join(assignments)} "  # noqa: S608
                     f"WHERE {quote(model._meta.pk.column)} = %s)")  # fmt: skip
    for index, (instance, takes_parent) in enumerate(dependents, start=1):
        fields_of, columns_of_child, _ = _insert_layout(type(instance), connection)
        selected = []
        for field in fields_of:
            if field.attname in takes_parent:
                selected.append(f"w0.{pk_column}")
            else:
                selected.append("%s")
                params.append(field.get_db_prep_save(field.pre_save(instance, True), connection))
        source = "w0" if index == 1 else f"w0 CROSS JOIN w{index - 1}"
        child_pk = quote(type(instance)._meta.pk.column)
        steps.append(f"w{index} AS (INSERT INTO {quote(type(instance)._meta.db_table)} ({columns_of_child}) "  # noqa: S608
                     f"SELECT {', '.join(selected)} FROM {source} RETURNING {child_pk})")  # fmt: skip
    keys = ", ".join(f"(SELECT * FROM w{index})" for index in range(len(dependents) + 1))  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(f"WITH {', '.join(steps)} SELECT {keys}", params)
        row_of_keys = cursor.fetchone()
    for index, instance in enumerate([parent, *(instance for instance, _ in dependents)]):
        instance.pk = row_of_keys[index]
        instance._state.adding, instance._state.db = False, using
    for instance, takes_parent in dependents:
        for attname in takes_parent:
            setattr(instance, attname, parent.pk)
