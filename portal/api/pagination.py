"""Cursor pagination: constant cost per page however deep, and no COUNT(*) over millions of rows."""

from django.utils.translation import gettext as _
from rest_framework import exceptions, pagination


class CursorPagination(pagination.CursorPagination):
    ordering = "-pk"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500

    def get_page_size(self, request):
        # DRF ignores a page_size it cannot read; say so instead (the schema documents a positive integer).
        raw = request.query_params.get(self.page_size_query_param, "")
        if raw != "" and not (raw.isascii() and raw.isdigit() and int(raw) > 0):
            raise exceptions.ValidationError(
                {self.page_size_query_param: [_("Give a whole number above 0.")]}
            )
        return super().get_page_size(request)
