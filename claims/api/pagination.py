from rest_framework.exceptions import NotFound
from rest_framework.pagination import CursorPagination

from claims.api.serializers import ID


class IdCursorPagination(CursorPagination):
    """Pages by id: stable while claims are added, and no COUNT over a million rows."""

    ordering = "pk"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500

    def decode_cursor(self, request):
        # A cursor is only base64 the client may rewrite: its position must be an id, or the query fails.
        cursor = super().decode_cursor(request)
        position = cursor.position if cursor else None
        if position is not None and not (
            position.isascii() and position.isdecimal() and int(position) <= ID["max_value"]
        ):
            raise NotFound(self.invalid_cursor_message)
        return cursor
