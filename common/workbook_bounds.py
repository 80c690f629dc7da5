"""What an XLSX file may cost to read, checked before openpyxl unpacks it (issue 23).

An XLSX is a zip of XML parts, and says of itself how big it is: a `<dimension>` of a million rows, a part
that unpacks a thousandfold, a thousand million entities. `check_workbook` refuses a file on the first bound
it crosses, cheapest first, so that no check costs more than the bounds before it allow:

0. the zip's end record (nothing else read): at most MAX_DIRECTORY_BYTES of directory and MAX_PARTS parts, since
   zipfile reads the whole directory into objects on opening and each part is opened below (115,000 one-byte
   parts fit in a 10 MB upload: 4 s and 70 MB before this bound);
1. the zip directory (nothing unpacked): each part at most PART_BYTES unpacked, all of them TOTAL_BYTES, and no
   part over RATIO_GRACE_BYTES unpacking more than MAX_RATIO times its packed size (Python's zipfile stops a
   part at the size its directory states, so these sizes hold);
2. each XML part's prolog, read by lxml without entities, DTD loading or network: a DOCTYPE is refused (a
   spreadsheet never writes one; it is how billion laughs and external entities come in);
3. each XML part's start tags, counted in its bytes as they are unpacked (upper bounds, at the speed of
   `bytes.count`): at most MAX_ROWS rows and MAX_CELLS cells in all, MAX_SHARED_STRINGS shared strings, and
   MAX_ELEMENTS elements in a part other than a worksheet or the shared strings (openpyxl reads those whole);
4. each worksheet, streamed by the hardened parser a row at a time: the stated `<dimension>` (openpyxl makes
   filler rows and cells up to it), the row numbers (a gap is filler rows) and the cells up to each row's last
   one (openpyxl pads a row to it), all sheets together, since openpyxl sizes every sheet on opening. Broken
   XML in a sheet is refused here, before any row is imported.

Then openpyxl reads the parts; its streamed parser is defusedxml's (installed, so openpyxl uses it).
"""

import io
import re
import struct
import zipfile
from typing import BinaryIO

from lxml import etree
from openpyxl.utils.cell import column_index_from_string, range_boundaries

PART_BYTES = 50_000_000
TOTAL_BYTES = 100_000_000
MAX_RATIO = 100
RATIO_GRACE_BYTES = 1_000_000  # a smaller part may have any ratio: it cannot cost much
MAX_ROWS = 50_000
MAX_CELLS = 2_000_000  # 50,000 rows of the claims export's 24 columns fit
MAX_SHARED_STRINGS = 250_000
MAX_ELEMENTS = 100_000  # in a part openpyxl reads whole (workbook, styles, relationships, content types)
CHUNK_BYTES = 1 << 20
MAX_PARTS = 1_000  # Excel and LibreOffice write a few parts a sheet (sheet, relationships, drawings)
MAX_DIRECTORY_BYTES = 1_000_000  # the zip's directory: a file name and some 50 bytes a part

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_WORKSHEET, _STRINGS = f"{_MAIN}worksheet", f"{_MAIN}sst"
_ROW, _DIMENSION = f"{_MAIN}row", f"{_MAIN}dimension"
_COLUMN = re.compile(r"\$?([A-Za-z]{1,3})")
_UTF8_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
# Encodings in which "<row" is those four bytes, so the tags can be counted in them.
_ASCII_SUPERSETS = {"utf-8", "utf8", "us-ascii", "ascii", "iso-8859-1", "latin1", "latin-1", "windows-1252", "cp1252"}
_DECLARED_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([^"']{0,40})["']""")
# Start tags as bytes, with or without a namespace prefix: "<row " or "<x:row>" ("<c" is not "<col").
_TAGS = {
    name: {lead: [f"{lead}{name}{end}".encode() for end in (" ", ">", "/", "\t", "\n", "\r")] for lead in "<:"}
    for name in ("row", "c", "si", "dimension")
}
_LONGEST_TAG = max(len(tag) for leads in _TAGS.values() for tags in leads.values() for tag in tags)


class WorkbookRefused(Exception):
    """The file cannot be read within the bounds, or is not a readable XLSX; the message says why."""


def check_workbook(stream: BinaryIO) -> None:
    """Raise WorkbookRefused unless the XLSX in `stream` stays within every bound; the stream is left where it was."""
    start = stream.tell()
    try:
        _check_end_record(stream)
        with zipfile.ZipFile(stream) as archive:
            totals = {"rows": 0, "cells": 0}
            for part in _checked_directory(archive):
                _check_part(archive, part, totals)
    except zipfile.BadZipFile as e:
        raise WorkbookRefused(f"it is not a complete zip archive ({e}); an XLSX file is one") from e
    except (zipfile.LargeZipFile, NotImplementedError, RuntimeError, EOFError, OSError) as e:
        raise WorkbookRefused(f"its zip archive cannot be read ({e})") from e
    finally:
        stream.seek(start)


# The zip's end-of-central-directory record (APPNOTE 4.3.16): signature, two disk numbers, the parts on this disk
# and in all, the directory's size and offset, the comment's length; it stands last, before a comment of at most
# 65,535 bytes.
END_RECORD = struct.Struct("<4s4H2LH")
END_SIGNATURE = b"PK\x05\x06"


def _check_end_record(stream: BinaryIO) -> None:
    """The directory's size and part count as the zip's end record states them, read before ZipFile reads the
    directory itself."""
    stream.seek(0, io.SEEK_END)
    size = stream.tell()
    stream.seek(max(0, size - END_RECORD.size - 65_535))
    tail = stream.read()
    at = tail.rfind(END_SIGNATURE)
    if at < 0 or len(tail) - at < END_RECORD.size:
        return  # not a zip: ZipFile says so
    _, _, _, _, parts, directory_bytes, _, _ = END_RECORD.unpack_from(tail, at)
    if directory_bytes > MAX_DIRECTORY_BYTES:
        raise WorkbookRefused(f"its zip directory is {directory_bytes:,} bytes; the limit is {MAX_DIRECTORY_BYTES:,}")
    if parts > MAX_PARTS:
        raise WorkbookRefused(f"it has {parts:,} parts; the limit is {MAX_PARTS:,}")


def _checked_directory(archive: zipfile.ZipFile) -> list[zipfile.ZipInfo]:
    parts = archive.infolist()
    if len(parts) > MAX_PARTS:  # the end record may understate them; the directory's size bounds how many
        raise WorkbookRefused(f"it has {len(parts):,} parts; the limit is {MAX_PARTS:,}")
    total = 0
    for part in parts:
        total += part.file_size
        if part.file_size > PART_BYTES:
            raise WorkbookRefused(
                f"its part {part.filename} unpacks to {part.file_size:,} bytes; the limit is {PART_BYTES:,}"
            )
        if total > TOTAL_BYTES:
            raise WorkbookRefused(f"its parts unpack to more than {TOTAL_BYTES:,} bytes in all")
        ratio = part.file_size / max(part.compress_size, 1)
        if part.file_size > RATIO_GRACE_BYTES and ratio > MAX_RATIO:
            raise WorkbookRefused(
                f"its part {part.filename} unpacks {ratio:,.0f} times its packed size; the limit is {MAX_RATIO}"
            )
    return parts


def _parser_events(source, tags=None):
    """The hardened streaming parser: no entities resolved, no DTD loaded, no network, no huge trees."""
    return etree.iterparse(
        source,
        events=("start", "end"),
        tag=tags,
        resolve_entities=False,
        load_dtd=False,
        no_network=True,
        huge_tree=False,
    )


def _check_part(archive: zipfile.ZipFile, part: zipfile.ZipInfo, totals: dict[str, int]) -> None:
    name = part.filename
    with archive.open(part) as source:
        start = source.read(256)
    if not _looks_like_xml(start):
        return  # an image: openpyxl does not parse it (and if it took it for XML, its parser would fail at once)
    _check_encoding(name, start)
    try:
        with archive.open(part) as source:
            _, root = next(_parser_events(source))
            if root.getroottree().docinfo.doctype:
                raise WorkbookRefused(
                    f"its part {name} declares a DOCTYPE (entities), which a spreadsheet never writes"
                )
            kind = root.tag
        with archive.open(part) as source:
            counts = _start_tags(source)
        totals["rows"] += counts["row"]
        totals["cells"] += counts["c"]
        if totals["rows"] > MAX_ROWS:
            raise WorkbookRefused(f"it has more than {MAX_ROWS:,} rows; the limit is {MAX_ROWS:,}")
        if totals["cells"] > MAX_CELLS:
            raise WorkbookRefused(f"it has more than {MAX_CELLS:,} cells; the limit is {MAX_CELLS:,}")
        if counts["si"] > MAX_SHARED_STRINGS:
            raise WorkbookRefused(f"it has more than {MAX_SHARED_STRINGS:,} shared strings")
        # openpyxl finds rows and a stated size by their tags, whatever the root: any part holding them is checked.
        if kind == _WORKSHEET or counts["row"] or counts["dimension"]:
            with archive.open(part) as source:
                _check_worksheet(name, _parser_events(source, (_ROW, _DIMENSION)), totals)
        if kind not in (_WORKSHEET, _STRINGS) and counts["elements"] > MAX_ELEMENTS:
            raise WorkbookRefused(f"its part {name} holds more than {MAX_ELEMENTS:,} elements")
    except etree.XMLSyntaxError as e:
        raise WorkbookRefused(f"its part {name} is not well-formed XML ({e.msg})") from e
    except StopIteration:
        raise WorkbookRefused(f"its part {name} is empty") from None


def _looks_like_xml(start: bytes) -> bool:
    first = start.removeprefix(_UTF8_BOM)
    return not first.strip() or first.lstrip()[:1] == b"<" or b"\x00" in first[:4] or first[:2] in _UTF16_BOMS


def _check_encoding(name: str, start: bytes) -> None:
    """Refuse XML whose tags are not ASCII bytes (UTF-16, UTF-32, EBCDIC): they could not be counted. Excel and
    LibreOffice write UTF-8."""
    first = start.removeprefix(_UTF8_BOM)
    declared = _DECLARED_ENCODING.match(first)
    encoding = declared.group(1).decode("ascii", "replace").lower() if declared else "utf-8"
    if b"\x00" in first[:4] or first[:2] in _UTF16_BOMS or encoding not in _ASCII_SUPERSETS:
        raise WorkbookRefused(f"its part {name} is not written in UTF-8 (an XLSX file's XML is)")


def _start_tags(source) -> dict[str, int]:
    """Upper bounds read from the bytes: start tags of rows, cells, shared strings and stated sizes, and of all
    elements (a "<" that does not begin "</")."""
    counts = dict.fromkeys((*_TAGS, "elements"), 0)
    before = b""  # the stream's last bytes before this chunk: a tag may begin there and end in the chunk

    def found(tag: bytes, chunk: bytes) -> int:
        # Only the tag's length less one byte of what came before, so that no tag is counted twice.
        return (before[len(before) - len(tag) + 1 :] + chunk).count(tag)

    while chunk := source.read(CHUNK_BYTES):
        for name, leads in _TAGS.items():
            counts[name] += sum(found(tag, chunk) for tag in leads["<"])
            if f":{name}".encode() in before[-len(name) - 1 :] + chunk:  # a prefixed tag, rare: looked for only then
                counts[name] += sum(found(tag, chunk) for tag in leads[":"])
        counts["elements"] += chunk.count(b"<") - found(b"</", chunk)
        before = (before + chunk)[-_LONGEST_TAG:]
    return counts


def _check_worksheet(name: str, events, totals: dict[str, int]) -> None:
    """The stated size, the row numbers and the cells up to each row's last one; `totals["cells"]` holds the
    counted cells already, and grows here by the empty ones a reader would make."""
    row_number = 0
    for event, element in events:
        if element.tag == _DIMENSION:
            if event == "start":
                _check_dimension(element.get("ref", ""))
            continue
        if event != "end":
            continue
        row_number = _row_number(element.get("r"), row_number + 1, name)
        if row_number > MAX_ROWS:
            raise WorkbookRefused(f"it has a row {row_number:,}; the limit is {MAX_ROWS:,} rows")
        totals["cells"] += _row_width(element, name) - len(element)
        if totals["cells"] > MAX_CELLS:
            raise WorkbookRefused(
                f"it has more than {MAX_CELLS:,} cells, counting the empty ones before each row's last; "
                f"the limit is {MAX_CELLS:,}"
            )
        _let_go(element)


def _check_dimension(ref: str) -> None:
    try:
        min_col, min_row, max_col, max_row = range_boundaries(ref.upper())
    except (ValueError, TypeError) as e:
        raise WorkbookRefused(f"its stated size “{ref[:40]}” is not a cell range") from e
    if max_row is None or max_col is None:
        return
    rows, columns = max_row - min_row + 1, max_col - min_col + 1
    if max_row > MAX_ROWS or rows * columns > MAX_CELLS:
        raise WorkbookRefused(
            f"its sheet says it is {ref} ({rows:,} rows × {columns:,} columns); "
            f"the limits are {MAX_ROWS:,} rows and {MAX_CELLS:,} cells"
        )


def _row_width(row, name: str) -> int:
    """The cells a reader makes of the row: up to its last cell's column."""
    if not len(row):
        return 0
    last = row[-1].get("r")
    if last is None:
        return len(row)
    found = _COLUMN.match(last)
    try:
        column = column_index_from_string(found.group(1).upper()) if found else 0
    except ValueError:
        column = 0
    if not column:
        raise WorkbookRefused(f"a cell reference “{last[:20]}” in {name} is not one")
    return max(column, len(row))


def _row_number(text: str | None, default: int, name: str) -> int:
    if text is None:
        return default
    if not text.isdigit() or not 0 < int(text) <= 1_048_576:
        raise WorkbookRefused(f"a row number in {name} is “{text[:20]}”, not a row number")
    return int(text)


def _let_go(element) -> None:
    """Free a counted row and the ones before it, so memory stays that of one row."""
    element.clear()
    while element.getprevious() is not None:
        del element.getparent()[0]
