"""Admin imports through django-import-export that read their files with common.tabular.

`spreadsheet_format(columns)` is an import format for the library's import page: CSV (comma or semicolon,
with or without a BOM) or XLSX, recognised by its content, every unreadable row and unknown column
refused with its line. `TabularImport` shows those refusals, and the upload size limit, on the form.
"""

import io

import tablib
from django.conf import settings
from import_export.admin import ImportExportMixin
from import_export.formats import base_formats

from common.tabular import FORMATS, RowProblem, TableError, read_table


def upload_too_big(size: int) -> str | None:
    """Why an uploaded file is refused by the admin for its size, if it is."""
    limit = settings.ADMIN_IMPORT_MAX_BYTES
    if size <= limit:
        return None
    return (
        f"The file is {size / 1_000_000:.1f} MB; the admin imports files up to {limit / 1_000_000:.0f} MB. "
        "Import a bigger file with the command (manage.py import_claims FILE), which reads it in constant memory."
    )


def spreadsheet_format(columns: list[str]) -> type[base_formats.Format]:
    class SpreadsheetFile(base_formats.Format):
        def __init__(self, encoding=None):
            # The library's confirm step passes its encoding; our reader detects it (and reads bytes).
            self.encoding = encoding

        def is_binary(self):
            return True

        def get_read_mode(self):
            return "rb"

        def get_title(self):
            return "CSV or XLSX"

        def can_import(self):
            return True

        def create_dataset(self, in_stream):
            data = in_stream if isinstance(in_stream, bytes) else in_stream.encode()
            too_big = upload_too_big(len(data))
            if too_big:
                raise TableError([RowProblem(1, {"__all__": [too_big]})])
            # SpreadsheetSafe resources undo the spreadsheet escapes themselves.
            table = read_table(io.BytesIO(data), columns=columns, unescaped=False)
            problems: list[RowProblem] = []
            dataset = tablib.Dataset(headers=table.header)
            for _, row in table.rows(problems):
                dataset.append([row[name] for name in table.header])
            if problems:
                raise TableError(problems)
            return dataset

    return SpreadsheetFile


class TabularImport(ImportExportMixin):
    """The library's import page, with our reader's messages in place of "'Error' encountered"."""

    def add_data_read_fail_error_to_form(self, form, e):
        if isinstance(e, TableError):
            for problem in e.problems:
                form.add_error("import_file", str(problem))
        else:
            form.add_error("import_file", f"The file cannot be read as {FORMATS} or JSON.")
