"""Ids that arrive in requests, checked in one place against the database's integer range.

A form field, a query parameter or a hand-built POST can name any number: one past the
column's range made SQLite raise OverflowError and PostgreSQL a DataError (a server
error) where it should simply find nothing. Whatever reads an id from a request asks
`request_id` (or `request_ids`) first; ids in URL paths are Django's `int` converter's,
and its exact lookups already treat an out-of-range value as no row.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from django.db import connection, models

_PLAIN = re.compile(r"[0-9]{1,20}")


def id_range(model: type[models.Model]) -> tuple[int, int]:
    """The ids the model's primary key column can hold (positive ones: ids start at 1)."""
    low, high = connection.ops.integer_field_range(model._meta.pk.get_internal_type())
    return max(1, low if low is not None else 1), high if high is not None else 2**63 - 1


def request_id(value: object, model: type[models.Model]) -> int | None:
    """The id `value` names, if it is a plain decimal number (0-9 only: str.isdigit()
    also takes "²") that the model's id column can hold; otherwise None."""
    if isinstance(value, bool):
        return None
    text = str(value).strip() if isinstance(value, str | int) else ""
    if not _PLAIN.fullmatch(text):
        return None
    number = int(text)
    low, high = id_range(model)
    return number if low <= number <= high else None


def request_ids(values: Iterable[object], model: type[models.Model]) -> list[int] | None:
    """The ids of `values` in their order, without repeats; None if any is not an id."""
    ids = [request_id(value, model) for value in values]
    if any(pk is None for pk in ids):
        return None
    return list(dict.fromkeys(pk for pk in ids if pk is not None))
