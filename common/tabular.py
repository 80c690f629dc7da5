"""Reading a table a person sent us (CSV or XLSX) a row at a time, turning every problem into a row error.

`read_table` takes the file's bytes as a binary stream and returns a `Table`: its header (checked against
the columns the import knows), the separator it found, and `rows()`, which yields (line, {column: cell})
one at a time, so an import holds one batch of rows, never the whole file. What cannot be read becomes a
`RowProblem` with its line number instead of an exception:

- CSV in UTF-8, with or without a byte order mark, LF or CRLF, separated by commas or semicolons (the
  separator is the one that splits the header into known columns); a line that is not UTF-8, a NUL, a
  cell over `MAX_CELL` characters, a row with more or fewer cells than the header, or quoting that is
  broken (reported on the line where the cell starts; the file is not read further, since where its rows
  start can no longer be known).
- XLSX (the first sheet, or the one named): numbers and dates are given back as the text a CSV would hold.
  Before openpyxl opens it, the file is checked against the bounds in common.workbook_bounds (unpacked
  sizes, compression ratio, stated dimension, rows, cells, shared strings, no DOCTYPE, well-formed XML);
  a file that crosses one, or that openpyxl then cannot read, is refused as a whole, naming the file.
- Unknown, misspelt, wrong-case or repeated column names are refused with a message naming the known ones.

Spreadsheet escapes (a leading apostrophe before a formula character, common.formulas) are undone here,
so every import gets cells as they were before export.
"""

import codecs
import csv
import datetime
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import BinaryIO

from django.core.exceptions import NON_FIELD_ERRORS

from common.formulas import unescape

MAX_CELL = 131_072  # characters; Python's csv module refuses longer cells, and no field of ours needs more
MAX_LINE = 4 * MAX_CELL  # bytes read at once looking for the end of a line
SEPARATORS = {",": "comma", ";": "semicolon"}
FORMATS = "CSV (UTF-8, comma or semicolon separated) or XLSX"
_ZIP = b"PK\x03\x04"
_BOM = codecs.BOM_UTF8


@dataclass
class RowProblem:
    """Why one row of a file cannot be imported (line 1 is the header, or the file as a whole)."""

    line: int
    errors: dict[str, list[str]]

    def __str__(self) -> str:
        reasons = "; ".join(
            message if name == NON_FIELD_ERRORS else f"{name}: {message}"
            for name, messages in self.errors.items()
            for message in messages
        )
        return f"line {self.line}: {reasons}"


class TableError(Exception):
    """The file cannot be read as a table at all (not CSV or XLSX, no header, unknown columns)."""

    def __init__(self, problems: list[RowProblem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


Row = tuple[int, dict[str, str]]


@dataclass
class Table:
    header: list[str]
    format: str  # "csv" or "xlsx"
    separator: str  # "," or ";" for CSV, "" for XLSX
    _rows: Callable[[list[RowProblem]], Iterator[Row]] = field(repr=False)

    @property
    def described(self) -> str:
        """The format as the preview names it: "CSV, semicolon separated", "XLSX"."""
        if self.format == "xlsx":
            return "XLSX"
        return f"CSV, {SEPARATORS[self.separator]} separated"

    def rows(self, problems: list[RowProblem]) -> Iterator[Row]:
        """The data rows as (line, {column: cell}), blank rows skipped; rows that cannot be read are added
        to `problems` instead."""
        return self._rows(problems)


class Columns(list):
    """The column names an import knows, in their usual order, and `retired` ones: names an older export wrote,
    still accepted, never offered in a message."""

    def __init__(self, names: Sequence[str], *, retired: Sequence[str] = ()):
        super().__init__([*names, *retired])
        self.retired = set(retired)


def read_table(
    stream: BinaryIO,
    *,
    columns: Sequence[str],
    name: str = "",
    sheet: str | None = None,
    unescaped: bool = True,
) -> Table:
    """Open a CSV or XLSX file (by its content, whatever its name) for reading rows; raises TableError when
    its header cannot be used. `columns` are the names the import knows, in their usual order. `unescaped`
    False leaves spreadsheet escapes in the cells (for a reader that undoes them itself)."""
    start = stream.read(4)
    stream.seek(stream.tell() - len(start))
    if start == _ZIP:
        return _xlsx_table(stream, columns=columns, name=name, sheet=sheet, unescaped=unescaped)
    if name.lower().endswith((".xlsx", ".xlsm")):
        raise _refuse(f"{name} is named as an XLSX file but is not one (an XLSX file is a zip archive).")
    if sheet:
        raise _refuse(f"A sheet can be chosen in an XLSX file; {name or 'this file'} is CSV.")
    return _csv_table(stream, columns=columns, unescaped=unescaped)


def _refuse(message: str) -> TableError:
    return TableError([RowProblem(1, {NON_FIELD_ERRORS: [message]})])


def checked_header(names: list[str], columns: Sequence[str]) -> list[str]:
    """The header with trailing empty names dropped; raises TableError naming every unknown or repeated one."""
    names = [n.strip() for n in names]
    while names and not names[-1]:
        names.pop()
    known = ", ".join(c for c in columns if c not in getattr(columns, "retired", ()))
    problems = []
    seen = set()
    for position, name in enumerate(names, start=1):
        if name in seen:
            problems.append(f"The column “{name}” appears twice; keep one.")
        elif name not in columns:
            near = [c for c in columns if c.lower() == name.lower()]
            hint = f" (did you mean “{near[0]}”?)" if near else ""
            label = f"“{name}”" if name else f"Column {position} has no name; it"
            problems.append(f"{label} is not a column we know{hint}." if name else f"{label} needs one.")
        seen.add(name)
    if problems:
        problems.append(f"The columns are: {known}.")
        raise TableError([RowProblem(1, {NON_FIELD_ERRORS: problems})])
    return names


# CSV


def _csv_table(stream: BinaryIO, *, columns: Sequence[str], unescaped: bool) -> Table:
    first = stream.readline(MAX_LINE)
    if first.startswith(_BOM):
        first = first[len(_BOM) :]
    if not first.strip():
        raise _refuse(f"The file is empty: it needs a header row. Accepted formats: {FORMATS}.")
    if b"\x00" in first or not _is_utf8(first):
        raise _refuse(f"The file is not {FORMATS}: its first line is not UTF-8 text.")
    text = first.decode()
    separator = _separator(text, columns)
    try:
        names = next(csv.reader([text], delimiter=separator, strict=True))
    except csv.Error as e:
        raise _refuse(f"The header cannot be read: {_csv_problem(str(e))}") from e
    header = checked_header(names, columns)

    def rows(problems: list[RowProblem]) -> Iterator[Row]:
        return _csv_rows(stream, header, separator, problems, unescaped)

    return Table(header, "csv", separator, rows)


def _is_utf8(raw: bytes) -> bool:
    try:
        raw.decode()
    except UnicodeDecodeError:
        return False
    return True


def _separator(header: str, columns: Sequence[str]) -> str:
    """The separator that splits the header into the most known column names (a comma when they tie)."""
    known = {c.lower() for c in columns}

    def score(separator: str) -> int:
        return sum(name.strip().strip('"').lower() in known for name in header.split(separator))

    return max(SEPARATORS, key=score)


def _csv_rows(
    stream: BinaryIO, header: list[str], separator: str, problems: list[RowProblem], unescaped: bool
) -> Iterator[Row]:
    bad_lines: dict[int, str] = {}
    physical = 1  # lines handed to the csv reader so far (the header was line 1)

    def lines() -> Iterator[str]:
        nonlocal physical
        while raw := stream.readline(MAX_LINE):
            physical += 1
            if len(raw) == MAX_LINE and not raw.endswith(b"\n"):
                bad_lines[physical] = f"The line is longer than {MAX_LINE:,} bytes."
                return
            try:
                yield raw.decode()
            except UnicodeDecodeError as e:
                bad_lines[physical] = (
                    f"Byte {e.start + 1} (0x{raw[e.start]:02X}) is not UTF-8; save the file as UTF-8 "
                    "and import it again."
                )
                yield raw.decode(errors="replace")

    reader = csv.reader(lines(), delimiter=separator, strict=True)
    width = len(header)
    while True:
        line = physical + 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as e:
            problems.append(RowProblem(line, {NON_FIELD_ERRORS: [_csv_problem(str(e))]}))
            return
        errors = [bad_lines.pop(n) for n in range(line, physical + 1) if n in bad_lines]
        if not any(c.strip() for c in cells) and not errors:
            continue
        row = _row(cells, header, width, errors, unescaped)
        if errors:
            problems.append(RowProblem(line, {NON_FIELD_ERRORS: errors}))
        else:
            yield line, row
    for n, message in bad_lines.items():
        problems.append(RowProblem(n, {NON_FIELD_ERRORS: [message]}))


def _csv_problem(message: str) -> str:
    if "field larger than field limit" in message:
        return f"A cell is longer than {MAX_CELL:,} characters; the file is not read further."
    if "unexpected end of data" in message:
        return 'A cell opened with " on this line is never closed; the file is not read further.'
    if "expected after" in message:
        return 'A quoted cell on this line goes on after its closing "; double a " inside a quoted cell ("").'
    if "new-line character" in message:
        return "A line break inside a cell that is not quoted; the file is not read further."
    return f"The CSV cannot be read here ({message}); the file is not read further."


def _row(cells: list, header: list[str], width: int, errors: list[str], unescaped: bool) -> dict[str, str]:
    """The cells by column name, escapes undone; problems with the row's shape or its cells go to `errors`."""
    extra = cells[width:]
    if any(str(c).strip() for c in extra if c is not None):
        errors.append(f"The row has {len(cells)} cells and the header {width} columns.")
    elif len(cells) < width:
        errors.append(f"The row has {len(cells)} cells and the header {width} columns.")
    row = {}
    for name, cell in zip(header, cells, strict=False):
        cell = "" if cell is None else cell
        if "\x00" in cell:
            errors.append(f"{name}: the cell holds a NUL character.")
        elif len(cell) > MAX_CELL:
            errors.append(f"{name}: the cell is longer than {MAX_CELL:,} characters.")
        row[name] = unescape(cell) if unescaped else cell
    return row


# XLSX


def _xlsx_table(stream: BinaryIO, *, columns: Sequence[str], name: str, sheet: str | None, unescaped: bool) -> Table:
    from openpyxl import load_workbook  # only XLSX imports need it

    from common.workbook_bounds import WorkbookRefused, check_workbook

    called = name or "The file"
    try:
        check_workbook(stream)
    except WorkbookRefused as e:
        raise _refuse(f"{called} cannot be imported as XLSX: {e}.") from e
    try:
        book = load_workbook(stream, read_only=True, data_only=True)
    except Exception as e:  # openpyxl raises many kinds for a damaged file  # noqa: BLE001
        raise _refuse(f"{called} looks like XLSX but cannot be opened ({_damage(e)}).") from e
    if sheet is None:
        page = book.worksheets[0] if book.worksheets else None
        if page is None:
            raise _refuse(f"{called} has no worksheet.")
    elif sheet in book.sheetnames:
        page = book[sheet]
    else:
        raise _refuse(f"The workbook has no sheet “{sheet}”; its sheets are: {', '.join(book.sheetnames)}.")
    cells = page.iter_rows()
    try:
        first = next(cells, None)
        names = [_xlsx_text(c) for c in first] if first is not None else None
    except Exception as e:  # noqa: BLE001 (as above: the header row is damaged)
        raise _refuse(f"{called}: the header row cannot be read ({_damage(e)}).") from e
    if names is None:
        raise _refuse("The sheet is empty: it needs a header row.")
    header = checked_header(names, columns)

    def rows(problems: list[RowProblem]) -> Iterator[Row]:
        width = len(header)
        line = 1
        while True:
            line += 1
            try:
                row = next(cells, None)
                if row is None:
                    break
                texts = [_xlsx_text(c) for c in row]
            except Exception as e:  # noqa: BLE001 (as above: this row is damaged; where the next starts is unknown)
                message = f"{called}: the sheet cannot be read from here ({_damage(e)}); the file is not read further."
                problems.append(RowProblem(line, {NON_FIELD_ERRORS: [message]}))
                break
            if not any(t.strip() for t in texts):
                continue
            errors: list[str] = []
            values = _row(texts, header, width, errors, unescaped)
            if errors:
                problems.append(RowProblem(line, {NON_FIELD_ERRORS: errors}))
            else:
                yield line, values
        book.close()

    return Table(header, "xlsx", "", rows)


def _damage(error: Exception) -> str:
    """What went wrong in a damaged file, without the parser's internals."""
    detail = str(error).splitlines()[0][:120] if str(error) else ""
    return f"{type(error).__name__}: {detail}" if detail else type(error).__name__


def _xlsx_text(cell) -> str:
    """A cell as a CSV would hold it: whole numbers without ".0", dates as ISO at the precision shown."""
    value = getattr(cell, "value", None)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime | datetime.date):
        shown = (getattr(cell, "number_format", "") or "").lower()
        date = value.date() if isinstance(value, datetime.datetime) else value
        if "d" not in shown and "m" in shown:
            return f"{date.year:04d}-{date.month:02d}"
        if "d" not in shown and "m" not in shown and "y" in shown:
            return f"{date.year:04d}"
        return date.isoformat()
    return str(value)
