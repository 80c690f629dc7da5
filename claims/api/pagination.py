from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import CursorPagination

from claims.api.serializers import ID


class IdCursorPagination(CursorPagination):
    """Pages by id: stable while claims are added, and no COUNT over a million rows."""

    ordering = "pk"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500

    def get_page_size(self, request):
        # DRF takes a page_size it cannot read as the default; the schema says a whole number from 1 to 500, so
        # anything else ("null", "-3", "2.5", 9000) is a 400 saying so.
        given = request.query_params.get(self.page_size_query_param)
        if given is None:
            return self.page_size
        if not (given.isascii() and given.isdecimal() and 1 <= int(given) <= self.max_page_size):
            raise ValidationError({self.page_size_query_param: [f"A whole number from 1 to {self.max_page_size}."]})
        return int(given)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"].update(minimum=1, maximum=self.max_page_size, default=self.page_size)
        return parameters

    def decode_cursor(self, request):
        # A cursor is only base64 the client may rewrite: its position must be an id, or the query fails.
        cursor = super().decode_cursor(request)
        position = cursor.position if cursor else None
        if position is not None and not (
            position.isascii() and position.isdecimal() and int(position) <= ID["max_value"]
        ):
            raise NotFound(self.invalid_cursor_message)
        return cursor
