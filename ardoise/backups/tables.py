"""An engine-neutral copy of every table, one JSON object per row, to move data between SQLite and PostgreSQL.

Each model's table is written to ``tables/<db_table>.jsonl`` with the
columns' attribute names as keys. Decimals, dates and times are written as
ISO strings and binary columns (issued PDFs and XML, logos) in base64, so
that the field's ``to_python`` reads them back exactly.
"""

from __future__ import annotations

import base64
import contextlib
import datetime
import json
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from django.apps import apps as global_apps
from django.apps.registry import Apps
from django.core.management.color import no_style
from django.db import connections, models

# Rows are read and inserted in batches of this many, so that memory stays flat on large tables.
BATCH_SIZE = 1000


def all_models(registry: Apps | None = None) -> list[type[models.Model]]:
    """List the model of every table, each after the models its foreign keys point to (cycles are broken).

    ``registry`` is the app registry (the current models by default, or the
    historical models of a migration state).
    """
    registry = registry or global_apps
    candidates = sorted(
        (model for model in registry.get_models(include_auto_created=True) if _stored(model)),
        key=lambda model: model._meta.label,
    )
    ordered: list[type[models.Model]] = []
    visiting: set[type[models.Model]] = set()

    def visit(model: type[models.Model]) -> None:
        if model in ordered or model in visiting:
            return
        visiting.add(model)
        for field in model._meta.concrete_fields:
            if field.remote_field is not None and field.related_model is not model:
                visit(field.related_model)
        visiting.discard(model)
        ordered.append(model)

    for model in candidates:
        visit(model)
    return [model for model in ordered if model in candidates]


def _stored(model: type[models.Model]) -> bool:
    return model._meta.managed and not model._meta.proxy and not model._meta.swapped


def table_names(using: str = "default") -> set[str]:
    return set(connections[using].introspection.table_names())


def encode_value(value: Any) -> Any:
    if isinstance(value, (bytes, memoryview)):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, datetime.timedelta):
        return value.total_seconds()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def decode_value(field: models.Field[Any, Any], value: Any) -> Any:
    if value is None or isinstance(field, models.JSONField):
        return value
    if isinstance(field, models.BinaryField):
        return base64.b64decode(value)
    if isinstance(field, models.DurationField):
        return datetime.timedelta(seconds=value)
    return field.to_python(value)


def dump_model(model: type[models.Model], handle: IO[str], using: str) -> int:
    """Write every row of ``model`` as a JSON line, in primary key order; return the number of rows."""
    fields = model._meta.concrete_fields
    names = [field.attname for field in fields]
    rows = model._base_manager.using(using).order_by("pk").values_list(*names)
    count = 0
    for row in rows.iterator(chunk_size=BATCH_SIZE):
        handle.write(
            json.dumps({name: encode_value(value) for name, value in zip(names, row, strict=True)}, ensure_ascii=False)
        )
        handle.write("\n")
        count += 1
    return count


def dump_tables(folder: Path, using: str, registry: Apps | None = None) -> dict[str, int]:
    """Write one JSONL file per table into ``folder``; return the row count of each table."""
    folder.mkdir(parents=True, exist_ok=True)
    existing = table_names(using)
    counts = {}
    for model in all_models(registry):
        table = model._meta.db_table
        if table not in existing:
            continue
        with open(folder / ("%s.jsonl" % table), "w", encoding="utf-8") as handle:
            counts[table] = dump_model(model, handle, using)
    return counts


def read_rows(path: Path) -> Iterator[dict[str, Any]]:
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


@contextlib.contextmanager
def stored_dates_kept(models_list: list[type[models.Model]]) -> Iterator[None]:
    """Keep the stored values of ``auto_now`` and ``auto_now_add`` fields, which bulk_create would replace."""
    changed = []
    for model in models_list:
        for field in model._meta.concrete_fields:
            if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
                changed.append((field, field.auto_now, field.auto_now_add))
                field.auto_now = field.auto_now_add = False
    try:
        yield
    finally:
        for field, auto_now, auto_now_add in changed:
            field.auto_now, field.auto_now_add = auto_now, auto_now_add


def flush_tables(using: str, registry: Apps | None = None) -> None:
    """Empty every table of the models, e.g. the content types that ``migrate`` just created."""
    connection = connections[using]
    existing = table_names(using)
    tables = [model._meta.db_table for model in all_models(registry) if model._meta.db_table in existing]
    statements = connection.ops.sql_flush(no_style(), tables, reset_sequences=True, allow_cascade=True)
    connection.ops.execute_sql_flush(statements)


def load_tables(folder: Path, using: str, registry: Apps | None = None) -> dict[str, int]:
    """Insert the rows of every JSONL file of ``folder``, then move the id sequences past the loaded ids.

    The caller runs this inside one transaction on an empty database. Foreign
    keys are checked at commit (Django creates them deferrable on SQLite and
    PostgreSQL), so tables are loaded children first: the database refuses a
    line added to an already issued invoice, so lines must exist before their
    invoice row does.
    """
    counts = {}
    loaded = []
    models_list = all_models(registry)
    with stored_dates_kept(models_list):
        for model in reversed(models_list):
            path = folder / ("%s.jsonl" % model._meta.db_table)
            if not path.exists():
                continue
            counts[model._meta.db_table] = _load_model(model, path, using)
            loaded.append(model)
    connection = connections[using]
    sequence_sql = connection.ops.sequence_reset_sql(no_style(), loaded)
    if sequence_sql:
        with connection.cursor() as cursor:
            for statement in sequence_sql:
                cursor.execute(statement)
    return counts


def _load_model(model: type[models.Model], path: Path, using: str) -> int:
    fields = {field.attname: field for field in model._meta.concrete_fields}
    batch: list[models.Model] = []
    count = 0
    for row in read_rows(path):
        values = {name: decode_value(fields[name], value) for name, value in row.items() if name in fields}
        batch.append(model(**values))
        if len(batch) >= BATCH_SIZE:
            model._base_manager.using(using).bulk_create(batch)
            count += len(batch)
            batch = []
    if batch:
        model._base_manager.using(using).bulk_create(batch)
        count += len(batch)
    return count
