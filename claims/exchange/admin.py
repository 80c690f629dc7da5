"""Import and export in the claims and links admin: our own small views behind the library's buttons.

django-import-export draws the Import and Export buttons and builds XLSX and JSON exports (its public
`get_export_data`). The import pages and the CSV export are ours, so that they call our services:
`importing.import_spreadsheet` (CSV or XLSX, one transaction, every bad row reported with its line, a dry-run
preview with what each updated row changes) and `columns.claims_csv` (streamed, optionally with a BOM).
"""

import tempfile
from pathlib import Path

from django import forms
from django.contrib import messages
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from import_export.admin import ImportExportMixin
from import_export.formats import base_formats
from import_export.forms import SelectableFieldsExportForm
from import_export.signals import post_export

from claims.exchange.columns import claims_csv
from claims.exchange.importing import import_spreadsheet
from claims.exchange.resources import ClaimResource, LinkResource
from common.history import recorded_as
from common.import_uploads import UploadGone, store_upload, take_upload
from common.spreadsheet_admin import upload_too_big
from common.tabular import FORMATS
from config.routers import replica_reads, streamed_from_replica
from sources.models import Project

EXPORT_FORMATS = [base_formats.CSV, base_formats.XLSX, base_formats.JSON]
PREVIEW_ROWS = 200  # rows listed in the preview; the totals count them all


def importable_projects(user, permission: str) -> list[Project]:
    """The projects this person may import into: those where their role holds the import permission."""
    return [project for project in Project.objects.order_by("name") if user.has_perm(permission, project)]


class ImportForm(forms.Form):
    required_css_class = "required"  # as the admin's forms mark it

    project = forms.ModelChoiceField(
        queryset=Project.objects.none(), help_text="The project the rows are read into: they name its sources only."
    )
    import_file = forms.FileField(label="File", help_text=f"{FORMATS}, with a header row.")
    sheet = forms.CharField(required=False, help_text="XLSX: the sheet to read (the first when empty).")

    def __init__(self, *args, user, permission: str, **kwargs):
        super().__init__(*args, **kwargs)
        projects = importable_projects(user, permission)
        # Only the projects the person may import into can be chosen; the import asks the permission again.
        self.fields["project"].queryset = Project.objects.filter(pk__in=[p.pk for p in projects])
        self.only_project = projects[0] if len(projects) == 1 else None
        if self.only_project is not None:
            # One project to choose from: it is the one, shown but not asked for.
            self.fields["project"].initial = self.only_project.pk
            self.fields["project"].required = False

    def clean_project(self):
        return self.cleaned_data.get("project") or self.only_project

    def clean_import_file(self):
        upload = self.cleaned_data["import_file"]
        too_big = upload_too_big(upload.size)
        if too_big:
            raise forms.ValidationError(too_big)
        return upload


class ClaimImportForm(ImportForm):
    date_format = forms.CharField(
        required=False,
        help_text="How a spreadsheet wrote full dates, e.g. %d/%m/%Y (empty: only 2017-06-01, 2017-06, 2017).",
    )


class ConfirmForm(forms.Form):
    upload = forms.CharField(widget=forms.HiddenInput)
    project = forms.IntegerField(widget=forms.HiddenInput)
    sheet = forms.CharField(required=False, widget=forms.HiddenInput)
    date_format = forms.CharField(required=False, widget=forms.HiddenInput)
    original_name = forms.CharField(required=False, widget=forms.HiddenInput)


class BomExportForm(SelectableFieldsExportForm):
    bom = forms.BooleanField(
        required=False, label="UTF-8 byte order mark (CSV)", help_text="Excel needs it to show accents and quotes."
    )


class ExchangeAdmin(ImportExportMixin):
    """The library's buttons; our views at its import URLs (and, for claims, its export URL)."""

    what = ""  # "claims" or "links"
    import_permission = ""  # "claims.import_claim" or "claims.import_link", asked in the chosen project
    import_form_class_ours = ImportForm
    formats = EXPORT_FORMATS

    def get_urls(self):
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        ours = [
            path("import/", self.admin_site.admin_view(self.import_view), name=f"{prefix}_import"),
            path("process_import/", self.admin_site.admin_view(self.confirm_view), name=f"{prefix}_process_import"),
        ]
        taken = {f"{prefix}_import", f"{prefix}_process_import"}
        return ours + [url for url in super().get_urls() if getattr(url, "name", None) not in taken]

    def import_view(self, request):
        """Upload a file; show what importing it would do (a dry run); offer to import it."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        form = self._import_form(request, request.POST or None, request.FILES or None)
        context = {"form": form}
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["import_file"]
            name = store_upload(upload.chunks())
            path = Path(tempfile.gettempdir()) / name
            options = {
                "sheet": form.cleaned_data.get("sheet") or None,
                "project": form.cleaned_data["project"],
                **self._options(form.cleaned_data),
            }
            report = self._run(request, path, upload.name, dry_run=True, keep_outcomes=True, **options)
            context["report"] = report
            if report.ok:
                initial = {"upload": signing.dumps([name, request.user.pk]), "original_name": upload.name}
                initial.update({k: v or "" for k, v in options.items() if k != "project"})
                initial["project"] = options["project"].pk
                context["confirm_form"] = ConfirmForm(initial=initial)
            else:
                path.unlink(missing_ok=True)
        return self._render(request, context)

    def confirm_view(self, request):
        """Import the file previewed, for real."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        if request.method != "POST":
            return HttpResponseRedirect(reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_import"))
        form = ConfirmForm(request.POST)
        try:
            name, user_pk = signing.loads(form.data.get("upload", ""), max_age=24 * 3600)
        except signing.BadSignature:
            name, user_pk = None, None
        if not form.is_valid() or user_pk != request.user.pk:
            messages.error(request, "This import is no longer available; upload the file again.")
            return HttpResponseRedirect(reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_import"))
        try:
            # Of the same confirm posted twice (or at once), only one takes the file and imports it.
            path = take_upload(name)
        except UploadGone as gone:
            messages.error(request, str(gone))
            return HttpResponseRedirect(reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_import"))
        # The project the preview was read into, if the person may still import into it (a tampered id of another
        # project is refused as an upload that is gone); the import asks the permission in it again.
        chosen = form.cleaned_data["project"]
        project = next((p for p in importable_projects(request.user, self.import_permission) if p.pk == chosen), None)
        if project is None:
            path.unlink(missing_ok=True)
            messages.error(request, "This import is no longer available; upload the file again.")
            return HttpResponseRedirect(reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_import"))
        options = {
            "sheet": form.cleaned_data["sheet"] or None,
            "project": project,
            **self._options(form.cleaned_data),
        }
        try:
            report = self._run(request, path, form.cleaned_data["original_name"], dry_run=False, **options)
        finally:
            path.unlink(missing_ok=True)
        if not report.ok:
            # Something changed since the preview: show why, write nothing.
            return self._render(request, {"form": self._import_form(request), "report": report})
        messages.success(
            request,
            f"Import finished: {report.created} new, {report.updated} updated, {report.unchanged} unchanged.",
        )
        if report.new_speakers:
            messages.info(request, f"New speakers created: {', '.join(report.new_speakers)}.")
        return HttpResponseRedirect(reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist"))

    def _options(self, data) -> dict:
        return {}

    def _import_form(self, request, *args):
        return self.import_form_class_ours(*args, user=request.user, permission=self.import_permission)

    def _run(self, request, path: Path, original_name: str, **kwargs):
        with path.open("rb") as stream, recorded_as(reason=f"Imported from {original_name} in the admin"):
            return import_spreadsheet(self.what, stream, name=original_name, user=request.user, **kwargs)

    def _render(self, request, context):
        context.update(
            self.admin_site.each_context(request),
            title=f"Import {self.opts.verbose_name_plural}",
            opts=self.opts,
            preview_rows=PREVIEW_ROWS,
            process_url=reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_process_import"),
        )
        report = context.get("report")
        if report is not None:
            context["outcomes"] = report.outcomes[:PREVIEW_ROWS]
            context["changes"] = report.changes[:PREVIEW_ROWS]
        return TemplateResponse(request, "admin/claims/exchange_import.html", context)


class ClaimImportExport(ExchangeAdmin):
    resource_classes = [ClaimResource]
    what = "claims"
    import_permission = "claims.import_claim"
    import_form_class_ours = ClaimImportForm
    export_form_class = BomExportForm

    def _options(self, data) -> dict:
        return {"date_format": data.get("date_format") or None}

    def export_action(self, request):
        """The library's export view (its export URL calls it), ours: its form; CSV streamed by `claims_csv` from the
        changelist's queryset, read by its own filters (constant memory, linear), XLSX and JSON by the library."""
        if not self.has_export_permission(request):
            raise PermissionDenied
        formats = self.get_export_formats()
        form = BomExportForm(formats, self.get_export_resource_classes(request), data=request.POST or None)
        if request.POST and form.is_valid():
            file_format = formats[int(form.cleaned_data["format"])]()
            queryset = self.get_export_queryset(request)
            filename = self.get_export_filename(request, queryset, file_format)
            if isinstance(file_format, base_formats.CSV):
                columns = form.get_selected_resource_export_fields() or None
                # Exports are heavy reads: on the read replica when there is one (config/routers.py).
                chunks = streamed_from_replica(claims_csv(queryset, columns=columns, bom=form.cleaned_data["bom"]))
                response = StreamingHttpResponse(chunks, content_type="text/csv")
            else:
                with replica_reads():
                    data = self.get_export_data(file_format, request, queryset, export_form=form)
                response = HttpResponse(data, content_type=file_format.get_content_type())
            response["Content-Disposition"] = f'attachment; filename="{filename}"'
            post_export.send(sender=None, model=self.model)
            return response
        context = {
            **self.admin_site.each_context(request),
            "title": "Export",
            "form": form,
            "opts": self.opts,
            # The export template lists each resource's columns (by the library's public Resource API).
            "fields_list": [
                (resource.get_display_name(), [f.column_name for f in resource().get_user_visible_fields()])
                for resource in self.get_export_resource_classes(request)
            ],
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, [self.export_template_name], context=context)


class LinkImportExport(ExchangeAdmin):
    resource_classes = [LinkResource]
    what = "links"
    import_permission = "claims.import_link"
