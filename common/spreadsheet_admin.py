"""Admin imports through django-import-export that read their files with common.tabular.

`spreadsheet_format(columns)` is an import format for the library's import page: CSV (comma or semicolon,
with or without a BOM) or XLSX, recognised by its content, every unreadable row and unknown column
refused with its line. `TabularImport` shows those refusals, and the upload size limit, on the form.
"""

import io

import tablib
from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS
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


class JsonFile(base_formats.JSON):
    """The library's JSON import, refusing text no database stores, named by its record and field: a NUL
    character, or a lone surrogate ("\\ud800" is valid JSON but not Unicode text). CSV and XLSX cannot hold the
    latter, and our reader refuses the former in them (common.tabular)."""

    def create_dataset(self, in_stream, **kwargs):
        dataset = super().create_dataset(in_stream, **kwargs)
        problems = [
            RowProblem(number, {NON_FIELD_ERRORS: [f"record {number}, {name}: {why}"]})
            for number, record in enumerate(dataset.dict, start=1)
            if isinstance(record, dict)
            for name, value in record.items()
            if isinstance(value, str) and (why := unstorable(value))
        ]
        if problems:
            raise TableError(problems)
        return dataset


def unstorable(text: str) -> str | None:
    """Why a text cannot be stored, if it cannot."""
    if "\x00" in text:
        return "holds a NUL character."
    surrogate = next((ch for ch in text if "\ud800" <= ch <= "\udfff"), None)
    if surrogate is not None:
        return f"holds a lone surrogate (U+{ord(surrogate):X}), which is not a character."
    return None


class TabularImport(ImportExportMixin):
    """The library's import page, with our reader's messages in place of "'Error' encountered"."""

    def add_data_read_fail_error_to_form(self, form, e):
        if isinstance(e, TableError):
            for problem in e.problems:
                form.add_error("import_file", str(problem))
        else:
            form.add_error("import_file", f"The file cannot be read as {FORMATS} or JSON.")
