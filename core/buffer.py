"""Rows read from a source and not yet upserted, held for one write per table."""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

K = TypeVar("K")
R = TypeVar("R")


class RowBuffer(Generic[K, R]):
    """The rows of each thing read (a pull request, an issue) by its key; a thing read again (it
    moved between pages) keeps only its latest reading, as if each reading had been written in
    turn. `rows` counts the rows held, for the caller's flush threshold."""

    def __init__(self, row_count: Callable[[R], int]) -> None:
        self.row_count = row_count
        self.readings: dict[K, R] = {}
        self.rows = 0

    def put(self, key: K, reading: R) -> None:
        earlier = self.readings.pop(key, None)
        if earlier is not None:
            self.rows -= self.row_count(earlier)
        self.readings[key] = reading
        self.rows += self.row_count(reading)

    def clear(self) -> None:
        self.readings = {}
        self.rows = 0
