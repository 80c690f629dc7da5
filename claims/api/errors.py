from collections import Counter

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Model, ProtectedError
from django.http import JsonResponse
from django.views import defaults
from rest_framework import status
from rest_framework.exceptions import APIException
from rest_framework.views import exception_handler as drf_exception_handler


class VersionConflict(APIException):
    """409: someone saved the object after the version the client read; the body names the current version."""

    status_code = status.HTTP_409_CONFLICT
    default_code = "stale_version"

    def __init__(self, message: str, current_version: int):
        super().__init__(message)
        self.current_version = current_version


class StillReferenced(APIException):
    """409: the object cannot be deleted while other rows refer to it (a protected foreign key)."""

    status_code = status.HTTP_409_CONFLICT
    default_code = "still_referenced"


def delete_unreferenced(instance: Model, delete):
    """Delete the object through `delete()`, its service, and return what it returns, or refuse with a 409 naming
    what still refers to it (the database keeps the rule: the foreign keys to a source or a person are PROTECT)."""
    try:
        with transaction.atomic():
            return delete()
    except ProtectedError as error:
        raise StillReferenced(referenced_message(instance, error.protected_objects)) from error


def referenced_message(instance: Model, referring: set) -> str:
    counts = Counter(type(row)._meta for row in referring)
    kinds = ", ".join(
        f"{count} {meta.verbose_name if count == 1 else meta.verbose_name_plural}" for meta, count in counts.items()
    )
    examples = [f"#{row.pk}" for row in sorted(referring, key=lambda row: row.pk)[:5]]
    if len(referring) > len(examples):
        examples.append("…")
    return (
        f"“{instance}” cannot be deleted: it is still used by {kinds} ({', '.join(examples)}). "
        "Delete those or point them elsewhere first."
    )


def exception_handler(exc, context):
    """DRF's handler; Django's PermissionDenied from a rule becomes DRF's 403 with its message, and a stale
    version's 409 names the current version."""
    if isinstance(exc, PermissionDenied) and str(exc):
        from rest_framework.exceptions import PermissionDenied as Forbidden

        exc = Forbidden(str(exc))
    response = drf_exception_handler(exc, context)
    if isinstance(exc, VersionConflict) and response is not None:
        response.data["current_version"] = exc.current_version
    return response


def page_not_found(request, exception):
    """The project's 404 (config/urls.py handler404): JSON under /api/, as the API's own 404s are, so a URL
    that names nothing there (/api/claims/abc/) answers as the schema documents; Django's page elsewhere."""
    if request.path_info.startswith("/api/"):
        return JsonResponse({"detail": "Not found."}, status=404)
    return defaults.page_not_found(request, exception)
