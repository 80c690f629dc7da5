from rest_framework.pagination import CursorPagination


class IdCursorPagination(CursorPagination):
    """Pages by id: stable while claims are added, and no COUNT over a million rows."""

    ordering = "pk"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
