from django.core.exceptions import PermissionDenied
from rest_framework import status
from rest_framework.exceptions import APIException
from rest_framework.views import exception_handler as drf_exception_handler


class StaleVersion(APIException):
    """409: someone saved the object after the version the client read; the body names the current version."""

    status_code = status.HTTP_409_CONFLICT
    default_code = "stale_version"

    def __init__(self, message: str, current_version: int):
        super().__init__(message)
        self.current_version = current_version


def exception_handler(exc, context):
    """DRF's handler; Django's PermissionDenied from a rule becomes DRF's 403 with its message, and a stale
    version's 409 names the current version."""
    if isinstance(exc, PermissionDenied) and str(exc):
        from rest_framework.exceptions import PermissionDenied as Forbidden

        exc = Forbidden(str(exc))
    response = drf_exception_handler(exc, context)
    if isinstance(exc, StaleVersion) and response is not None:
        response.data["current_version"] = exc.current_version
    return response
