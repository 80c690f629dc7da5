"""The change history in the admin, without django-simple-history's revert.

Its revert page saves an old version through the admin form without the admin's change permission, a
transaction, the version check or the status rule (claims.rules), and it would put back an old source text
without re-anchoring the claims. So the history stays readable and revert is turned off: to go back to an
old version, open the change form and make the change there, where every rule applies.
"""

from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed
from simple_history.admin import SimpleHistoryAdmin


class HistoryWithoutRevert(SimpleHistoryAdmin):
    """SimpleHistoryAdmin whose history pages only show old versions: no revert button, a POST refused (405)."""

    def revert_disabled(self, request, obj=None) -> bool:
        return True

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method != "GET":
            if not self.has_view_or_change_permission(request):
                raise PermissionDenied
            return HttpResponseNotAllowed(["GET"], "Reverting to an old version is turned off; use the change form.")
        return super().history_form_view(request, object_id, version_id, extra_context)
