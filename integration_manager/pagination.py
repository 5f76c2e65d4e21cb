"""Pagination for the big list pages without `COUNT(*)`.

Counting a million inventory levels or cart listings on every page view costs more than showing
them. `page_of` fetches one row more than a page to know whether there is a next one, so a page
costs one indexed, limited query whatever the size of the table.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

PAGE_SIZE = 50
MAX_PAGE = 10_000


@dataclass(frozen=True)
class Page:
    rows: Sequence[Any]
    number: int
    has_next: bool
    page_size: int

    def __iter__(self):
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_other_pages(self) -> bool:
        return self.has_previous or self.has_next

    @property
    def next_page_number(self) -> int:
        return self.number + 1

    @property
    def previous_page_number(self) -> int:
        return self.number - 1

    @property
    def start_index(self) -> int:
        return (self.number - 1) * self.page_size + 1 if self.rows else 0

    @property
    def end_index(self) -> int:
        return (self.number - 1) * self.page_size + len(self.rows)


def page_number(raw: str | None) -> int:
    try:
        number = int(raw or 1)
    except ValueError:
        return 1
    return min(max(number, 1), MAX_PAGE)


def page_of(
    queryset: QuerySet | Sequence, raw_number: str | None, *, size: int = PAGE_SIZE
) -> Page:
    """Page `raw_number` (the `page` query parameter; anything invalid is page 1)."""
    number = page_number(raw_number)
    offset = (number - 1) * size
    rows = list(queryset[offset : offset + size + 1])
    return Page(rows=rows[:size], number=number, has_next=len(rows) > size, page_size=size)
