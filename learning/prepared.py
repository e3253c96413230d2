"""Queries on the hot paths whose SQL is built once a process.

Every answer runs the same few queries with new values: the question and the learner's
card of it, what the learner did today, the question shown next, the review counted on
the learner's day; every progress page reads the same few too. Building a query's SQL
with the ORM costs far more than running it: 0.9 ms of Python for the question and its
card, 0.07 ms to run it and read its row. A `Prepared` query is written as an ordinary
queryset; the first time it runs on a database, it is built with placeholder values and
its SQL kept, and from then on each run puts the real values in the placeholders' places
and reads the rows back through the ORM's own converters (JSON, dates and times).

Only a query whose SQL does not change with its values can be prepared: values that are
compared or stored, not a LIMIT that varies. A list of ids is one value when it is
compared with `Among`, which sends the whole list as one parameter.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.db import connections
from django.db.models import Lookup, QuerySet
from django.db.models.query import get_related_populators
from django.db.models.sql import UpdateQuery
from django.db.models.sql.compiler import SQLCompiler


def ids_parameter(ids: Any, vendor: str) -> Any:
    """A list of ids as one parameter: an array for PostgreSQL, JSON text for SQLite."""
    ids = sorted(int(i) for i in ids)
    return ids if vendor == "postgresql" else json.dumps(ids)


class Among(Lookup):
    """Whether a value is one of a list of ids, with the list sent as one parameter, so
    that the query's SQL is the same however long the list:
    `.filter(Among(F("fact_id"), ids))`."""

    lookup_name = "among"
    prepare_rhs = False

    def get_prep_lookup(self) -> Any:
        return self.rhs

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        lhs, params = self.process_lhs(compiler, connection)
        if connection.vendor == "postgresql":
            sql = f"{lhs} = ANY(%s::bigint[])"
        else:
            sql = f"{lhs} IN (SELECT value FROM json_each(%s))"
        return sql, [*params, ids_parameter(self.rhs, connection.vendor)]


# A kind of value: what its placeholders are made from, and how the database is sent one.
# Each is a value no real one takes, distinct for each of a query's values (the n-th).
KINDS: dict[type, Callable[[int], Any]] = {
    int: lambda n: -7_340_000_000 - n,
    datetime: lambda n: datetime(1901, 2, 3, 4, 5, tzinfo=UTC) + timedelta(seconds=n),
    date: lambda n: date(1901, 2, 3) + timedelta(days=n),
    list: lambda n: [-7_340_000_000 - n, -7_340_000_000],  # of ids, compared by `Among`
}


def _adapter(kind: type, alias: str) -> Callable[[Any], Any]:
    ops = connections[alias].ops
    if kind is datetime:
        return ops.adapt_datetimefield_value
    if kind is date:
        return ops.adapt_datefield_value
    if kind is list:
        vendor = connections[alias].vendor
        return lambda ids: ids_parameter(ids, vendor)
    return lambda value: value


@dataclass(frozen=True)
class _Built:
    """A query's SQL on one database, where each value goes, and how its rows are read."""

    sql: str
    params: tuple[Any, ...]  # the constant ones; None where a value goes
    slots: tuple[tuple[int, str, Callable[[Any], Any]], ...]  # (index, name, adapter)
    compiler: SQLCompiler
    converters: dict[int, Any]
    fetch_mode: Any  # the queryset's, for the instances it reads


class Prepared:
    """A query built once a process per database, then run with new values.

    `build` returns the queryset for the values it is called with; `kinds` names each
    value and its type (int, date, datetime, or list: ids compared by `Among`)."""

    def __init__(self, build: Callable[..., QuerySet[Any]], **kinds: type) -> None:
        self.build = build
        self.kinds = kinds
        self._built: dict[str, _Built] = {}
        self._lock = threading.Lock()

    def _compile(self, alias: str, placeholders: dict[str, Any]) -> tuple[SQLCompiler, Any]:
        """The compiler of the query for `placeholders`, and its fetch mode."""
        queryset = self.build(**placeholders)
        return queryset.query.get_compiler(alias), queryset._fetch_mode

    def _prepare(self, alias: str) -> _Built:
        placeholders = {name: KINDS[kind](n) for n, (name, kind) in enumerate(self.kinds.items())}
        adapters = {name: _adapter(kind, alias) for name, kind in self.kinds.items()}
        compiler, fetch_mode = self._compile(alias, placeholders)
        sql, params = compiler.as_sql()
        sent = {name: adapters[name](value) for name, value in placeholders.items()}
        slots, constant = [], []
        for index, param in enumerate(params):
            names = [name for name, value in sent.items() if value == param]
            if names:
                slots.append((index, names[0], adapters[names[0]]))
                constant.append(None)
            else:
                constant.append(param)
        missing = set(self.kinds) - {name for _, name, _ in slots}
        if missing:
            raise ValueError(f"the query does not use {', '.join(sorted(missing))}")
        # What a SELECT reads (an UPDATE reads nothing).
        read = (compiler.select or [])[: getattr(compiler, "col_count", 0)]
        converters = compiler.get_converters([column[0] for column in read])
        return _Built(sql, tuple(constant), tuple(slots), compiler, converters, fetch_mode)

    def built(self, alias: str = "default") -> _Built:
        key = f"{alias}:{connections[alias].vendor}"
        found = self._built.get(key)
        if found is None:
            with self._lock:
                found = self._built.get(key) or self._prepare(alias)
                self._built[key] = found
        return found

    def _params(self, built: _Built, values: dict[str, Any]) -> list[Any]:
        params = list(built.params)
        for index, name, adapter in built.slots:
            params[index] = adapter(values[name])
        return params

    def rows(self, alias: str = "default", **values: Any) -> list[tuple[Any, ...]]:
        """The query's rows for `values`, each column as the ORM would read it."""
        return self._rows(self.built(alias), alias, values)

    def _rows(self, built: _Built, alias: str, values: dict[str, Any]) -> list[Any]:
        with connections[alias].cursor() as cursor:
            cursor.execute(built.sql, self._params(built, values))
            rows = cursor.fetchall()
        if built.converters:
            return list(built.compiler.apply_converters(rows, built.converters))
        return rows

    def objects(self, alias: str = "default", **values: Any) -> list[Any]:
        """The query's model instances for `values`, as iterating the queryset gives them:
        with the models it selects related and its annotations."""
        built = self.built(alias)
        rows = self._rows(built, alias, values)
        compiler, fetch_mode = built.compiler, built.fetch_mode
        select, klass_info = compiler.select, compiler.klass_info
        fields = klass_info["select_fields"]
        start, end = fields[0], fields[-1] + 1
        init_list = [column[0].target.attname for column in select[start:end]]
        related = get_related_populators(klass_info, select, alias, fetch_mode)
        found = []
        for row in rows:
            obj = klass_info["model"].from_db(
                alias, init_list, row[start:end], fetch_mode=fetch_mode
            )
            for populator in related:
                populator.populate(row, obj)
            for name, position in compiler.annotation_col_map.items():
                setattr(obj, name, row[position])
            found.append(obj)
        return found


class PreparedUpdate(Prepared):
    """An UPDATE built once a process per database, then run with new values: `build`
    returns the queryset and its changes, as `queryset.update(**changes)` takes them."""

    def _compile(self, alias: str, placeholders: dict[str, Any]) -> tuple[SQLCompiler, Any]:
        queryset, changes = self.build(**placeholders)
        query = queryset.query.chain(UpdateQuery)
        query.add_update_values(changes)
        query.clear_select_clause()
        return query.get_compiler(alias), None

    def run(self, alias: str = "default", **values: Any) -> int:
        """Update the rows for `values`; how many there were."""
        built = self.built(alias)
        with connections[alias].cursor() as cursor:
            cursor.execute(built.sql, self._params(built, values))
            return cursor.rowcount
