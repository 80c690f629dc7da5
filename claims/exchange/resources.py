"""django-import-export resources for claims and their corroboration links.

The claims resource takes its columns from claims.exchange.columns, so the admin's CSV, XLSX and JSON, the
commands and the streamed CSV all share one definition. Imports go through services.import_claims and
services.import_links: the whole file in one transaction, every bad row reported with its line.
"""

import io

from django.core.exceptions import ValidationError
from import_export import resources
from import_export.fields import Field
from import_export.formats import base_formats
from import_export.results import Result, RowResult
from import_export.widgets import ForeignKeyWidget

from claims.exchange.columns import COLUMNS, chosen_columns, claim_cells, numbered_rows, read_csv
from claims.exchange.importing import import_claims, import_links
from claims.exchange.reading import ImportReport
from claims.models import Claim, Corroboration
from sources.resources import SpreadsheetSafe


class NumberedCSV(base_formats.CSV):
    """CSV read with our reader, which remembers the file line each row starts on."""

    def create_dataset(self, in_stream, **kwargs):
        if isinstance(in_stream, bytes):
            in_stream = in_stream.decode(self.encoding or "utf-8-sig")
        return read_csv(io.StringIO(in_stream, newline=""))


FORMATS = [NumberedCSV, base_formats.XLSX, base_formats.JSON]


class ReportedImport:
    """A resource whose import is a service call; its report becomes the Result the admin shows."""

    def import_data(self, dataset, dry_run=False, raise_errors=False, use_transactions=None, **kwargs):
        header, rows = numbered_rows(dataset)
        report = self.run_import(
            header=header, rows=rows, user=kwargs.get("user"), dry_run=dry_run, on_rows=kwargs.get("on_rows")
        )
        # The admin shows every row; a command only needs the totals and the problems.
        return self.result(header, rows, report, with_rows=kwargs.get("with_rows", True))

    def run_import(self, **kwargs) -> ImportReport:
        raise NotImplementedError

    def result(self, header: list[str], rows, report: ImportReport, *, with_rows: bool = True) -> Result:
        result = Result()
        result.diff_headers = header
        result.total_rows = len(rows)
        result.report = report
        by_line = dict(rows)
        for problem in report.problems:
            result.append_invalid_row(problem.line, by_line.get(problem.line, {}), ValidationError(problem.errors))
            result.totals[RowResult.IMPORT_TYPE_INVALID] += 1
        if report.problems or not with_rows:
            return result
        for outcome in report.outcomes:
            row = RowResult()
            row.import_type = outcome.action
            row.object_id, row.object_repr, row.instance = outcome.instance.pk, str(outcome.instance), outcome.instance
            row.diff = [by_line[outcome.line].get(name, "") for name in header]
            result.append_row_result(row)
            result.increment_row_result_total(row)
        return result


class ClaimResource(ReportedImport, resources.Resource):
    """The claims CSV: id, source, quote and offsets, speaker, dates, tags, links and independence."""

    class Meta:
        model = Claim
        name = "Claims"

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.fields = {column.name: Field(attribute=column.alias, column_name=column.name) for column in COLUMNS}

    @classmethod
    def get_display_name(cls) -> str:
        return cls._meta.name

    def get_queryset(self):
        return Claim.objects.all()

    def filter_export(self, queryset, **kwargs):
        # Every cell comes out of the database as text, as the streamed CSV's do.
        columns = kwargs.get("export_fields") or None
        return claim_cells(queryset, columns).values(*(c.alias for c in chosen_columns(columns)))

    def run_import(self, **kwargs) -> ImportReport:
        return import_claims(**kwargs)


class CorroborationResource(ReportedImport, SpreadsheetSafe, resources.ModelResource):
    """Links between claims: claim_a, claim_b, relation, note."""

    claim_a = Field("claim_a", "claim_a", ForeignKeyWidget(Claim))
    claim_b = Field("claim_b", "claim_b", ForeignKeyWidget(Claim))

    class Meta:
        model = Corroboration
        name = "Corroboration links"
        fields = ["id", "claim_a", "claim_b", "relation", "note", "created_at"]

    def run_import(self, **kwargs) -> ImportReport:
        return import_links(**kwargs)
