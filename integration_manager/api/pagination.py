"""Cursor pagination: stable pages while rows are added, `?cursor=` links in `next`/`previous`."""

from rest_framework.pagination import CursorPagination


class IdCursorPagination(CursorPagination):
    ordering = "id"
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000


class NewestFirstCursorPagination(IdCursorPagination):
    ordering = "-id"
