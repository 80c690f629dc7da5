"""Reading a PDF's text layer as the text a reader would select, page by page, with pypdf.

pypdf (BSD licence, pure Python, no dependencies) reads the text in the order the producer wrote it,
which is the order a PDF viewer selects it in: LibreOffice, Word and browsers write a column to its
end before the next. Each text piece comes with its position (pypdf's `visitor_text`), from which the
lines, the paragraphs (a gap taller than a line) and the running headers and footers are found:

- running header or footer: a line at the top or bottom of a page that repeats on at least half of the
  pages (digits aside, so "Page 2 of 3" repeats), and page numbers on their own, are removed and
  recorded in the cleaning log with their line in the raw text (the pages' lines, a form feed between pages);
- a word hyphenated at a line end is rejoined ("de-" + "fense") unless the next line starts with a capital
  or a digit ("Japan-" + "Russia") or the document writes the word with its hyphen elsewhere;
- ligatures (ﬁ, ﬂ, …) become their letters, soft hyphens are dropped.

Hostile files are refused within pypdf's own limits (`pypdf.Configuration`), tightened here: pages,
page-tree entries, decompressed bytes per stream, decoding work, plus a deadline checked between pages.
PyMuPDF reads faster and better but is AGPL: a newsroom serving a changed Claimtrail to its staff would
have to publish its source, so it is not used; pdfminer.six lays out columns itself but is several times
slower and has no limit on what a stream inflates to.
"""

import datetime
import io
import math
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from importlib.metadata import version

import pypdf
from pypdf.errors import DependencyError, FileNotDecryptedError, LimitReachedError, PyPdfError

from sources.cleaning import Cleaned, Removal, diff_lines, is_title, normalised

MAX_PDF_BYTES = 50 * 1024 * 1024  # a long report with images; its text is a fraction of it
MAX_PAGES = 2000
MAX_SECONDS = 120.0  # for the whole file; a 300-page report takes a few seconds
# What one stream may inflate to: a page's text is kilobytes, a compression bomb gigabytes.
MAX_STREAM_BYTES = 8 * 1024 * 1024
LIMITS = {
    "maximum_declared_stream_length": MAX_PDF_BYTES,
    "zlib_maximum_output_length": MAX_STREAM_BYTES,
    "lzw_maximum_output_length": MAX_STREAM_BYTES,
    "run_length_maximum_output_length": MAX_STREAM_BYTES,
    "array_based_stream_maximum_output_length": MAX_STREAM_BYTES,
    "jbig2_maximum_output_length": MAX_STREAM_BYTES,
    "brotli_maximum_output_length": MAX_STREAM_BYTES,
    "image_maximum_buffer_size": MAX_STREAM_BYTES,
    "stream_decoding_work_maximum_length": 4 * MAX_STREAM_BYTES,
    # Operations parsed in one content stream: a dense page of text is some thousands; 200,000 in 20 kB took
    # 300 MB and 20 s to parse (pypdf's default allows 2,000,000).
    "stream_parsing_work_maximum_count": 100_000,
    "page_tree_maximum_entries": 2 * MAX_PAGES,
    "page_tree_maximum_depth": 32,
    "page_tree_maximum_page_entries": 50 * MAX_PAGES,
    "jbig2dec_binary": None,  # text only: never hand an image to an outside program
}
LIGATURES = str.maketrans({"ﬀ": "ff", "ﬁ": "fi", "ﬂ": "fl", "ﬃ": "ffi", "ﬄ": "ffl", "ﬅ": "st", "ﬆ": "st"})
SOFT_HYPHEN = "\u00ad"
PAGE_NUMBER = re.compile(
    r"^\s*(?:page\s+)?[-–—(\[]?\s*(?:\d{1,4}|[ivxlc]{1,6})\s*[-–—)\]]?(?:\s*(?:of|/)\s*\d{1,4})?\s*$", re.IGNORECASE
)
MARGIN = 0.12  # the top and bottom share of a page where running headers and footers stand
EDGE_LINES = 2  # and the first and last lines of a page in the order written
SENTENCE_END = tuple('.!?:;"”’)]')


class PdfRefused(ValueError):
    """A PDF that cannot be read, with the reason in words."""


@dataclass
class Line:
    text: str
    x: float
    y: float
    size: float
    raw_line: int = 0  # 1-based line of the raw text


@dataclass
class PdfText:
    text: str  # the clean text
    raw_text: str  # every line as read, pages apart by a form feed
    page_starts: list[int]  # where each page starts in the clean text
    pages: int
    removals: list[Removal] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    title: str = ""
    authors: list[str] = field(default_factory=list)
    created_on: datetime.date | None = None
    readable: bool = True  # False: no text layer (a scan)

    @property
    def diff(self) -> str:
        return diff_lines(self.raw_text, self.text)


def is_pdf(data: bytes) -> bool:
    """Whether the bytes are a PDF: its header within the first kilobyte, as readers accept it."""
    return b"%PDF-" in data[:1024]


def software_version() -> str:
    return f"pypdf {version('pypdf')}"


def read_pdf(data: bytes, *, max_seconds: float = MAX_SECONDS) -> PdfText:
    """The text of a PDF, its page starts, what was removed as furniture and its metadata.

    Refused with PdfRefused: over MAX_PDF_BYTES or MAX_PAGES, encrypted with a password, damaged beyond
    repair (no readable page tree), a stream inflating past MAX_STREAM_BYTES, nesting past Python's
    recursion limit, or still unread after `max_seconds`.
    """
    if len(data) > MAX_PDF_BYTES:
        raise PdfRefused(
            f"the PDF is {len(data) / 1024 / 1024:.1f} MB, over the {MAX_PDF_BYTES // 1024 // 1024} MB limit"
        )
    give_up_at = time.monotonic() + max_seconds
    try:
        with pypdf.apply_configuration(**LIMITS):
            reader = pypdf.PdfReader(io.BytesIO(data), strict=False)
            if reader.is_encrypted and not readable_without_password(reader):
                raise PdfRefused(
                    "the PDF is encrypted with a password; save a copy without the password and import that"
                )
            count = len(reader.pages)
            if count > MAX_PAGES:
                raise PdfRefused(f"the PDF has {count:,} pages, over the limit of {MAX_PAGES:,}")
            if count == 0:
                raise PdfRefused("the PDF has no pages (its page tree is missing or broken)")
            pages = []
            for number, page in enumerate(reader.pages, start=1):
                try:
                    if time.monotonic() > give_up_at:
                        raise OutOfTime
                    pages.append((page_lines(page, give_up_at=give_up_at), page_height(page)))
                except OutOfTime:
                    raise PdfRefused(
                        f"reading the PDF took longer than {max_seconds:g} seconds (stopped at page {number} of "
                        f"{count}); refused as a hostile or broken file"
                    ) from None
            metadata = reader.metadata
    except PdfRefused:
        raise
    except LimitReachedError as e:
        raise PdfRefused(f"the PDF goes past a safety limit ({e}); refused as a hostile or broken file") from e
    except RecursionError as e:
        raise PdfRefused("the PDF nests its objects too deeply to be read; refused as a hostile file") from e
    except (FileNotDecryptedError, DependencyError) as e:
        raise PdfRefused(f"the PDF is encrypted and could not be read ({e})") from e
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, OverflowError) as e:
        if isinstance(e.__cause__, RecursionError):  # pypdf reports running out of stack as a read error
            raise PdfRefused("the PDF nests its objects too deeply to be read; refused as a hostile file") from e
        # pypdf repairs what it can (a wrong cross-reference table is rebuilt); what is left is not a PDF.
        raise PdfRefused(f"not a readable PDF ({type(e).__name__}: {str(e)[:200]})") from e
    result = assemble(pages)
    add_metadata(result, metadata)
    return result


def readable_without_password(reader: pypdf.PdfReader) -> bool:
    """Whether an encrypted PDF opens with the empty password (restricted copying, not a secret)."""
    try:
        return reader.decrypt("") != pypdf.PasswordType.NOT_DECRYPTED
    except (PyPdfError, DependencyError, ValueError):
        return False


def page_height(page) -> float:
    try:
        return float(page.mediabox.height) or 842.0
    except (PyPdfError, ValueError, TypeError, KeyError):
        return 842.0


class OutOfTime(Exception):
    """The clock of `read_pdf` ran out, between pages or inside one."""


def page_lines(page, *, give_up_at: float = math.inf) -> list[Line]:
    """The page's lines in the order written, each with where it starts and its font size. OutOfTime once the
    clock passes `give_up_at`, looked at before each operator: one page can take hours (a form drawn thousands of
    times, each drawing thousands of words, is a kilobyte)."""
    lines: list[Line] = []
    current: list[str] = []
    where: list[tuple[float, float, float]] = []

    def end_line() -> None:
        text = "".join(current).translate(LIGATURES)
        text = re.sub(f"{SOFT_HYPHEN}(?=.)", "", text).rstrip()
        if text.strip() and where:
            x, y, size = where[0]
            lines.append(Line(text.strip(), x, y, size))
        current.clear()
        where.clear()

    def visit(text: str, cm, tm, font, size) -> None:
        pieces = text.split("\n")
        for n, piece in enumerate(pieces):
            if n:
                end_line()
            if piece.strip() and not where:
                x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
                y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
                scale = math.hypot(tm[2] * cm[0] + tm[3] * cm[2], tm[2] * cm[1] + tm[3] * cm[3])
                where.append((x, y, (size or 1.0) * (scale or 1.0)))
            current.append(piece)

    late = []

    def check_clock(operator, operands, cm, tm) -> None:
        if late or time.monotonic() > give_up_at:
            late.append(True)
            raise OutOfTime

    page.extract_text(visitor_text=visit, visitor_operand_before=check_clock)
    if late:  # pypdf goes on after an error inside a form it draws, and our OutOfTime is one
        raise OutOfTime
    end_line()
    return lines


def furniture(pages: list[tuple[list[Line], float]]) -> dict[tuple[int, int], str]:
    """The lines that are running headers, footers or page numbers: {(page index, line index): kind}."""
    found: dict[tuple[int, int], str] = {}
    candidates: dict[tuple[int, int], Line] = {}
    for p, (lines, height) in enumerate(pages):
        for i, line in enumerate(lines):
            at_edge = i < EDGE_LINES or i >= len(lines) - EDGE_LINES
            in_margin = line.y > height * (1 - MARGIN) or line.y < height * MARGIN
            if at_edge or in_margin:
                candidates[(p, i)] = line
    pages_with = Counter()
    keys = {}
    for (p, i), line in candidates.items():
        keys[(p, i)] = re.sub(r"\d+", "#", normalised(line.text).casefold())
    for key in {(p, k) for (p, _), k in keys.items()}:
        pages_with[key[1]] += 1
    repeated = max(2, math.ceil(len(pages) / 2))
    for (p, i), line in candidates.items():
        top = line.y > pages[p][1] / 2
        if PAGE_NUMBER.match(line.text):
            found[(p, i)] = "page number"
        elif len(pages) > 1 and pages_with[keys[(p, i)]] >= repeated:
            found[(p, i)] = "running header" if top else "running footer"
    return found


def paragraphs(lines: list[Line]) -> list[list[Line]]:
    """Lines grouped into paragraphs: a new one after a gap taller than a line, or where the text moves up."""
    result: list[list[Line]] = []
    for line in lines:
        if result:
            before = result[-1][-1]
            gap = before.y - line.y
            size = max(before.size, 1.0)
            indented = line.x > before.x + size and before.text.endswith(SENTENCE_END)
            # Up to the top of the next column: the paragraph goes on when its sentence does.
            runs_on = gap < -0.5 * size and not before.text.endswith(SENTENCE_END) and line.text[:1].islower()
            if (gap > 1.45 * size or gap < -0.5 * size or indented) and not runs_on:
                result.append([line])
                continue
            result[-1].append(line)
        else:
            result.append([line])
    return result


HYPHENATED_AT_END = re.compile(r"(\w+)-$")
COMPOUND = re.compile(r"\b\w+-\w+\b")
LEADING_WORD = re.compile(r"\w*")


def seam(left: str, right: str, compounds: set[str]) -> tuple[int, str]:
    """How a line ending `left` meets the next, `right`: characters to drop from its end and what goes between.
    A word hyphenated at the line end is rejoined; a hyphen of the words themselves is kept; else a space."""
    if left.endswith(SOFT_HYPHEN):
        return 1, ""
    if left.endswith("-") and right[:1].isalpha():
        match = HYPHENATED_AT_END.search(left[-64:])
        if match:
            word = f"{match.group(1)}-{LEADING_WORD.match(right).group()}".casefold()
            if right[:1].islower() and word not in compounds:
                return 1, ""
            return 0, ""  # "Harbourton-" + "Westmere": a hyphen of the words themselves
    return 0, " "


def join_lines(left: str, right: str, compounds: set[str]) -> str:
    drop, between = seam(left, right, compounds)
    return left[: len(left) - drop] + between + right


def joined(texts: list[str], compounds: set[str]) -> str:
    """The lines of a paragraph as one."""
    parts = [texts[0]]
    for before, line in zip(texts, texts[1:], strict=False):
        drop, between = seam(before, line, compounds)
        if drop:
            parts[-1] = parts[-1][:-drop]
        parts += [between, line]
    return "".join(parts)


def assemble(pages: list[tuple[list[Line], float]]) -> PdfText:
    """The clean text from every page's lines, with the furniture removed and the page starts kept."""
    raw_lines: list[str] = []
    for p, (lines, _) in enumerate(pages):
        if p:
            raw_lines.append("\f")
        for line in lines:
            raw_lines.append(line.text)
            line.raw_line = len(raw_lines)
    removed = furniture(pages)
    removals = [Removal(kind, pages[p][0][i].raw_line, pages[p][0][i].text) for (p, i), kind in removed.items()]
    compounds = {m.group().casefold() for lines, _ in pages for line in lines for m in COMPOUND.finditer(line.text)}
    text, starts, blank = "", [], []
    for p, (lines, _) in enumerate(pages):
        kept = [line for i, line in enumerate(lines) if (p, i) not in removed]
        page_text = "\n\n".join(joined([line.text for line in block], compounds) for block in paragraphs(kept))
        if not page_text:
            starts.append(len(text))
            blank.append(p + 1)
            continue
        if text and text.rstrip()[-1:] not in SENTENCE_END and page_text[:1].islower():
            # A sentence that runs on over the page break: one paragraph, as a reader selects it.
            text = join_lines(text, page_text, compounds)
            starts.append(len(text) - len(page_text))
        else:
            text += "\n\n" if text else ""
            starts.append(len(text))
            text += page_text
    removals.sort(key=lambda r: r.line)
    result = PdfText(text=text, raw_text="\n".join(raw_lines), page_starts=starts, pages=len(pages), removals=removals)
    if blank and text.strip():
        shown = ", ".join(map(str, blank[:20])) + (", …" if len(blank) > 20 else "")
        result.notes.append(f"No text on page{'s' if len(blank) > 1 else ''} {shown} of the PDF (scanned or blank).")
    if not text.strip():
        result.readable = False
        result.text = (
            f"The text of this PDF could not be read: none of its {len(pages)} page"
            f"{'s' if len(pages) != 1 else ''} has a text layer (it is probably a scan)."
        )
        result.page_starts = []
        result.notes.append(result.text + " The capture keeps the PDF; OCR is not done here.")
    return result


def stated(metadata, name: str):
    """One entry of the PDF's document information, or None when it is missing or unreadable (a date that is
    not one, as LibreOffice writes with a stray apostrophe, leaves the others readable)."""
    try:
        return getattr(metadata, name)
    except (PyPdfError, ValueError, TypeError, AttributeError):
        return None


def add_metadata(result: PdfText, metadata) -> None:
    """The title, authors and creation date the PDF states, to propose for its source."""
    if metadata is None:
        return
    title, author, created = (stated(metadata, name) for name in ("title", "author", "creation_date"))
    result.title = normalised(str(title or ""))[:500]
    result.authors = [a.strip() for a in re.split(r";|,| and | & ", str(author or "")) if a.strip()]
    if isinstance(created, datetime.datetime):
        result.created_on = created.date()
        result.notes.append(
            f"Publication date proposed from the PDF's creation date ({created.date().isoformat()}); check it."
        )
    if not result.title and result.readable:
        first = result.text.split("\n\n", 1)[0]
        if "\n" not in first and is_title(first):
            result.title = first.strip()


@dataclass
class PdfDecoded:
    """What a capture records of how its bytes became text, for a PDF (as importing.Decoded for text)."""

    text: str
    encoding: str = "PDF text layer"
    confidence: float | None = None


def pdf_capture(data: bytes) -> tuple[PdfDecoded, Cleaned, dict]:
    """A PDF read for importing.import_raw: its raw text, the clean text with what was removed, and what it
    states about itself (`proposed`: the fields its metadata fills only where nobody has set them)."""
    pdf = read_pdf(data)
    cleaned = Cleaned(text=pdf.text, title=pdf.title, removals=pdf.removals, diff=pdf.diff, notes=pdf.notes)
    stated = {
        "title": pdf.title,
        "authors": pdf.authors,
        "publisher": "",
        "page_starts": pdf.page_starts,
        "message": "" if pdf.readable else pdf.text,
        "proposed": {"title", "authors", "published_on", "published_on_precision"},
    }
    if pdf.created_on is not None:
        stated["published_on"] = pdf.created_on
    return PdfDecoded(pdf.raw_text), cleaned, stated
