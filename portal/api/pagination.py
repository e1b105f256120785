"""Cursor pagination: constant cost per page however deep, and no COUNT(*) over millions of rows."""

from rest_framework import pagination


class CursorPagination(pagination.CursorPagination):
    ordering = "-pk"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
