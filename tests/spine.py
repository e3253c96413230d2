"""The spine fact base and its bank, loaded once into each test database.

A test that commits (a browser test, say) leaves the database flushed behind it. The
next test that needs the bank gets it back from a copy of the loaded rows, taken once
after the first load: written back in one transaction, it costs a fraction of a
second, where loading and generating again cost about six.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from django.conf import settings


@functools.cache
def _spine_factbase(directory: str):
    """The fact base's files as read (a quarter of a reload's time): read once a process,
    since tests never change the files."""
    from learning.content.factbase import read_factbase

    return read_factbase(directory)


@dataclass(frozen=True)
class _Rows:
    """A table's rows as loaded, with its name and columns quoted for SQL."""

    model: Any
    table: str
    columns: str
    rows: list[tuple[Any, ...]]


_copy: list[_Rows] = []


def _row_counts() -> dict[Any, int]:
    from django.apps import apps

    return {
        model: model._base_manager.count()
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy
    }


def _rows_of(model: Any) -> _Rows:
    from django.db import connection

    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = ", ".join(quote(field.column) for field in model._meta.concrete_fields)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {columns} FROM {table}")
        return _Rows(model, table, columns, cursor.fetchall())


def load_spine() -> None:
    """Load the fact base and generate its bank; keep a copy of every row they wrote."""
    from django.utils import timezone

    from learning.content.services import factbase_load
    from learning.study.regeneration import bank_regenerate

    before = _row_counts()
    factbase_load(factbase=_spine_factbase(str(settings.FACTBASE_DIR)))
    bank_regenerate(now=timezone.now())
    after = _row_counts()
    # Only the tables the load filled: what migrations put in (roles, content types)
    # a flush puts back by itself.
    _copy[:] = [_rows_of(model) for model, count in after.items() if count > before[model]]


def _restore() -> None:
    from django.core.management.color import no_style
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        # Foreign keys are checked at commit, so the tables may be written in any order.
        for kept in _copy:  # each holds rows: only tables the load filled are kept
            marks = ", ".join(["%s"] * len(kept.rows[0]))
            cursor.executemany(
                f"INSERT INTO {kept.table} ({kept.columns}) VALUES ({marks})", kept.rows
            )
        # The next row each table numbers follows the rows written back (PostgreSQL).
        for statement in connection.ops.sequence_reset_sql(
            no_style(), [kept.model for kept in _copy]
        ):
            cursor.execute(statement)


def load_spine_if_flushed() -> None:
    """Put the fact base and bank back where a test that commits (a browser test, say)
    has flushed the database since the session loaded them."""
    from learning.content.models import Question

    if Question.objects.exists():
        return
    if _copy:
        _restore()
    else:
        load_spine()
