"""Import and export in the claims admin, over claims.exchange.resources.

A CSV export of claims streams (COPY on PostgreSQL), whatever the size of the changelist;
XLSX and JSON are built in memory by django-import-export.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import StreamingHttpResponse
from import_export.admin import ImportExportMixin
from import_export.formats import base_formats
from import_export.signals import post_export

from claims.exchange.columns import claims_csv
from claims.exchange.resources import FORMATS, ClaimResource, CorroborationResource
from config.routers import replica_reads, streamed_from_replica


class ReportedImportExport(ImportExportMixin):
    formats = FORMATS

    def add_success_message(self, result, request):
        super().add_success_message(result, request)
        report = getattr(result, "report", None)
        if report is not None and report.new_speakers:
            names = ", ".join(report.new_speakers)
            messages.info(request, f"New speakers created: {names}.")


class ClaimImportExport(ReportedImportExport):
    resource_classes = [ClaimResource]

    # django-import-export builds every export in memory and has no public hook for a streamed
    # response, so this one method is replaced for CSV.
    def _do_file_export(self, file_format, request, queryset, export_form=None):
        # Exports are heavy reads: on the read replica when there is one (config/routers.py).
        if not isinstance(file_format, base_formats.CSV):
            with replica_reads():
                return super()._do_file_export(file_format, request, queryset, export_form=export_form)
        if not self.has_export_permission(request):
            raise PermissionDenied
        columns = self.get_export_resource_fields_from_form(export_form)
        rows = streamed_from_replica(claims_csv(queryset, columns=columns))
        response = StreamingHttpResponse(rows, content_type="text/csv")
        filename = self.get_export_filename(request, queryset, file_format)
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        post_export.send(sender=None, model=self.model)
        return response


class CorroborationImportExport(ReportedImportExport):
    resource_classes = [CorroborationResource]
