"""Tables sorted by a column the reader picks: `?sort=mastery`, or `?sort=-mastery` for the
other way round. Plain links, so sorting works without JavaScript; a value that names no
column of the table is ignored and the table keeps its usual order."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Order:
    key: str  # the column's key
    descending: bool = False

    @property
    def param(self) -> str:
        """As the URL has it."""
        return f"-{self.key}" if self.descending else self.key


@dataclass(frozen=True)
class Column:
    """A header of a sortable table: its label and what clicking it asks for."""

    key: str
    label: str
    order: Order  # the table's current order

    @property
    def sorted(self) -> str | None:
        """The header's aria-sort: "ascending", "descending", or None when not sorted by it."""
        if self.order.key != self.key:
            return None
        return "descending" if self.order.descending else "ascending"

    @property
    def next_param(self) -> str:
        """The sort its link asks for: this column upwards, or the other way if it already is."""
        return Order(self.key, self.sorted == "ascending").param


def order_read(value: Any, keys: Iterable[str], default: Order) -> Order:
    """The order `?sort=` asks for, when it names one of `keys`; otherwise `default`."""
    if not isinstance(value, str) or len(value) > 100:
        return default
    key = value.removeprefix("-")
    if key not in set(keys):
        return default
    return Order(key, value.startswith("-"))


def columns(labels: Sequence[tuple[str, str]], order: Order) -> list[Column]:
    """The headers of a table whose columns are `(key, label)` pairs, sorted by `order`."""
    return [Column(key, label, order) for key, label in labels]


def sort_rows[T](
    rows: Iterable[T],
    order: Order,
    keys: dict[str, Callable[[T], Any]],
    *,
    then: Callable[[T], Any],
) -> list[T]:
    """The rows in `order`, ties broken by `then` (always ascending, so the order is stable)."""
    by_tie = sorted(rows, key=then)
    return sorted(by_tie, key=keys[order.key], reverse=order.descending)
