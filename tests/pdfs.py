"""PDFs for the tests, made by real producers from texts written here (no seed article's text).

- `libreoffice_statement()`: LibreOffice Writer (`soffice --headless --convert-to pdf`) from a flat
  OpenDocument text (.fodt) written here: three pages, the first in two columns, a running header and a
  footer with the page number, words broken at line ends with a hyphen, and a ligature.
- `chromium_report()`: Chromium's print to PDF (Playwright, Debian's chromium) from an HTML page written
  here, with a header and a footer with page numbers on two pages.
- `hand_written_pdf()`: a PDF whose objects the test writes byte by byte, for scans and hostile files.
"""

import functools
import shutil
import subprocess
import tempfile
import zlib
from pathlib import Path
from xml.sax.saxutils import escape

SOFFICE = shutil.which("soffice")
NO_WRITER = "LibreOffice Writer is not installed (`make libreoffice` installs libreoffice-writer-nogui)"

HEADER = "Ministry of Coastal Affairs · Press statement"
# Page 1, in two columns. "|" is a line break the text is written with; "~|" one after a hyphen the typesetter
# added inside a word ("de-" at a line end, "fense" on the next), "-|" one after a hyphen of the words themselves.
COLUMNS = [
    "Harbourton, 3 March 2026. The ministry states that talks on the shared fishing grounds will resume in April, "
    "after a pause of two years in which neither side moved.",
    "The delegation will be led by the deputy minister, who said the de~|fense of the northern quays was not on the "
    "agenda, and that a joint Harbourton-|Westmere ferry line would be the first item.",
    "Officials stressed the signiﬁcance of the meeting for the fleets, and said that no agreement on quotas is "
    "expected before the end of the season.",
    "The ministry added that the schedule may change if the weather in the sound does not allow the delegation to "
    "travel by sea, as planned for the first leg of the visit.",
    "A second round is planned for the autumn, when the catch figures of the summer are known and both sides have "
    "heard from the fishing cooperatives of the coast.",
    "Until then the present rules stay in force, and patrol boats of both sides will keep to the lines agreed in "
    "the old treaty, the ministry said.",
]
PAGE_TWO = [
    "On the second day the two sides will discuss licences for small boats and the landing of catch in each "
    "other's ports.",
    "The deputy minister said that the government remains committed to an agreement on the fishing grounds and "
    "to the reopening of the old ferry line before the summer.",
]
PAGE_THREE = [
    "That commitment, he added, has not changed since the accord of 1994.",
    "Questions from the press followed.",
]


def expected_text(paragraphs: list[str]) -> str:
    """The paragraphs as a reader selects them: line breaks inside words rejoined, ligatures as letters."""
    return "\n\n".join(p.replace("~|", "").replace("-|", "-").replace("ﬁ", "fi") for p in paragraphs)


def paragraph(text: str, style: str = "Body") -> str:
    lines = escape(text).replace("~|", "-|").split("|")
    return f'<text:p text:style-name="{style}">' + "<text:line-break/>".join(lines) + "</text:p>"


FOOTER = (
    'Page <text:page-number text:select-page="current">1</text:page-number> of <text:page-count>3</text:page-count>'
)


def statement_fodt() -> str:
    body = '<text:section text:style-name="Columns" text:name="Columns">'
    body += "".join(paragraph(p) for p in COLUMNS) + "</text:section>"
    body += paragraph(PAGE_TWO[0], "NewPage") + "".join(paragraph(p) for p in PAGE_TWO[1:])
    body += paragraph(PAGE_THREE[0], "NewPage") + "".join(paragraph(p) for p in PAGE_THREE[1:])
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<office:document xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"
 xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0"
 xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"
 xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0" xmlns:dc="http://purl.org/dc/elements/1.1/"
 xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0"
 office:version="1.3" office:mimetype="application/vnd.oasis.opendocument.text">
<office:meta><dc:title>Talks on the fishing grounds to resume</dc:title>
<meta:initial-creator>Ada Quill</meta:initial-creator></office:meta>
<office:styles><style:style style:name="Standard" style:family="paragraph">
<style:paragraph-properties fo:margin-bottom="0.3cm"/>
<style:text-properties style:font-name="Liberation Serif" fo:font-size="12pt"/>
</style:style></office:styles>
<office:automatic-styles>
<style:style style:name="Body" style:family="paragraph" style:parent-style-name="Standard"/>
<style:style style:name="NewPage" style:family="paragraph" style:parent-style-name="Standard">
<style:paragraph-properties fo:break-before="page"/></style:style>
<style:style style:name="Columns" style:family="section"><style:section-properties>
<style:columns fo:column-count="2" fo:column-gap="1cm"/></style:section-properties></style:style>
<style:page-layout style:name="Page"><style:page-layout-properties fo:page-width="21cm" fo:page-height="29.7cm"
 fo:margin-top="2cm" fo:margin-bottom="2cm" fo:margin-left="2cm" fo:margin-right="2cm"/>
<style:header-style/><style:footer-style/></style:page-layout>
</office:automatic-styles>
<office:master-styles><style:master-page style:name="Standard" style:page-layout-name="Page">
<style:header><text:p>{escape(HEADER)}</text:p></style:header>
<style:footer><text:p>{FOOTER}</text:p></style:footer>
</style:master-page></office:master-styles>
<office:body><office:text>{body}</office:text></office:body></office:document>
"""


@functools.cache
def libreoffice_statement() -> bytes:
    """The statement as LibreOffice writes it to PDF (made once per test run)."""
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "statement.fodt"
        source.write_text(statement_fodt(), encoding="utf-8")
        subprocess.run(
            [SOFFICE, f"-env:UserInstallation=file://{folder}/profile", "--headless", "--norestore"]
            + ["--convert-to", "pdf", "--outdir", folder, str(source)],
            check=True,
            capture_output=True,
            timeout=120,
        )
        made = Path(folder) / "statement.pdf"
        if not made.exists():
            raise FileNotFoundError(NO_WRITER)
        return made.read_bytes()


def writer_available() -> bool:
    if not SOFFICE:
        return False
    try:
        libreoffice_statement()
    except (FileNotFoundError, subprocess.SubprocessError):
        return False
    return True


REPORT_PARAGRAPHS = [
    "The harbour board reports that landings of herring rose by a tenth last year, the third rise in a row.",
    "Most of the rise came from the small boats of the western quays, which the board says now land more fish "
    "than the trawlers for the first time since records began.",
    "The board warns that the rise may not last: the autumn survey found fewer young fish than in any year "
    "of the last decade.",
]
REPORT_HEADER = "Harbour Board · Annual report"
TOTAL = '<span class="totalPages"></span>'


@functools.cache
def chromium_report() -> bytes:
    """Two pages printed to PDF by Chromium, with a running header and page numbers in the footer."""
    from playwright.sync_api import sync_playwright

    pages = [REPORT_PARAGRAPHS[:2], REPORT_PARAGRAPHS[2:]]
    body = '<div style="break-after: page">' + "".join(f"<p>{escape(p)}</p>" for p in pages[0]) + "</div>"
    body += "".join(f"<p>{escape(p)}</p>" for p in pages[1])
    head = '<meta charset="utf-8"><title>Annual report</title>'
    html = f'<!DOCTYPE html><html lang="en"><head>{head}</head><body style="font: 12pt serif">{body}</body></html>'
    style = "font-size: 10px; width: 100%; text-align: center;"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        page = browser.new_page()
        page.set_content(html)
        data = page.pdf(
            format="A4",
            display_header_footer=True,
            header_template=f'<div style="{style}">{escape(REPORT_HEADER)}</div>',
            footer_template=f'<div style="{style}">Page <span class="pageNumber"></span> of {TOTAL}</div>',
            margin={"top": "2cm", "bottom": "2cm", "left": "2cm", "right": "2cm"},
        )
        browser.close()
    return data


def hand_written_pdf(objects: list[bytes], *, trailer: bytes = b"", xref: bool = True) -> bytes:
    """A PDF of these objects (object 1 first, the catalogue), with a correct cross-reference table unless
    `xref` is False (then one that points nowhere)."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    table = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % (offset if xref else offset * 7 + 99999)
    out += b"trailer\n<< /Size %d /Root 1 0 R %s>>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, trailer, table)
    return bytes(out)


def stream(data: bytes, *, compress: bool = False, extra: bytes = b"") -> bytes:
    if compress:
        data = zlib.compress(data, 9)
        extra += b" /Filter /FlateDecode"
    return b"<< /Length %d%s >>\nstream\n" % (len(data), extra) + data + b"\nendstream"


def one_page(content: bytes, *, compress: bool = False) -> bytes:
    """A one-page PDF whose page shows `content` (a content stream) in Helvetica."""
    return hand_written_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
            b"/Resources << /Font << /F1 5 0 R >> >> >>",
            stream(content, compress=compress),
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        ]
    )


def scan() -> bytes:
    """A page with a picture on it and no text layer, as a scanner writes it (the picture here is a grey box)."""
    return one_page(b"0.5 g 50 50 495 742 re f")


def page_count_bomb() -> bytes:
    """A page tree in which each node lists the one below it 40 times, 7 levels deep: 40^7 pages in 1 kB."""
    levels = 7
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>"]
    for level in range(levels):
        kid = level + 3
        objects.append(
            b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join([b"%d 0 R" % kid] * 40), 40 ** (levels - level))
        )
    objects.append(b"<< /Type /Page /MediaBox [0 0 595 842] >>")
    return hand_written_pdf(objects)


def deep_nesting() -> bytes:
    """A page whose resources nest arrays 100,000 deep."""
    nested = b"[" * 100_000 + b"]" * 100_000
    return hand_written_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Nest " + nested + b" >>",
            stream(b"BT /F1 12 Tf 72 720 Td (Hello) Tj ET"),
        ]
    )


@functools.cache
def compression_bomb() -> bytes:
    """A page whose content stream inflates to 256 MB of spaces from a quarter of a megabyte."""
    inflater = zlib.compressobj(9)
    packed = inflater.compress(b"BT /F1 12 Tf 72 720 Td (Hello) Tj ET\n")
    chunk = b" " * (1 << 20)
    for _ in range(256):
        packed += inflater.compress(chunk)
    packed += inflater.flush()
    return one_page_stream(b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(packed) + packed + b"\nendstream")


def dense_page(operations: int = 200_000) -> bytes:
    """Twenty kilobytes: one page whose compressed content stream shows a word `operations` times."""
    return one_page(b"BT /F1 12 Tf 72 720 Td\n" + b"(w) Tj\n" * operations + b"ET", compress=True)


def form_drawn_many_times(times: int = 100, words: int = 2000) -> bytes:
    """A kilobyte: one page that draws a form `times` times, the form writing `words` words, so that one page is
    `times` x `words` text operations (5,000 x 200,000 would take hours)."""
    form = b"BT /F1 12 Tf 72 700 Td (word) Tj ET\n" * words
    return hand_written_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
            b"/Resources << /Font << /F1 5 0 R >> /XObject << /X1 6 0 R >> >> >>",
            stream(b"/X1 Do\n" * times, compress=True),
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
            stream(
                form,
                compress=True,
                extra=b" /Type /XObject /Subtype /Form /BBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >>",
            ),
        ]
    )


def one_page_stream(content_object: bytes) -> bytes:
    return hand_written_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
            b"/Resources << /Font << /F1 5 0 R >> >> >>",
            content_object,
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        ]
    )


def encrypted(user_password: str = "s3cret", algorithm: str = "RC4-128") -> bytes:
    """A page of text encrypted with a user password (pypdf's writer); with an empty one it opens for anyone,
    as PDFs that are only barred from copying do."""
    import io

    import pypdf

    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(io.BytesIO(one_page(b"BT /F1 12 Tf 72 720 Td (Secret) Tj ET"))))
    writer.encrypt(user_password=user_password, owner_password="owner", algorithm=algorithm)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def broken_xref() -> bytes:
    """A PDF whose cross-reference table points past its objects, and whose objects do not make a page tree."""
    return hand_written_pdf([b"<< /Type /Catalog /Pages 9 0 R >>", b"<< /Foo /Bar >>"], xref=False)


def text_then_scan() -> bytes:
    """A page of text, then a page with only a picture (a scanned page in a report)."""
    return hand_written_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R 4 0 R] /Count 2 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 5 0 R "
            b"/Resources << /Font << /F1 7 0 R >> >> >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 6 0 R >>",
            stream(b"BT /F1 12 Tf 72 720 Td (The board met on Monday and agreed the harbour budget.) Tj ET"),
            stream(b"0.5 g 50 50 495 742 re f"),
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        ]
    )
