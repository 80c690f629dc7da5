"""Importing raw article files as sources, each with a capture that records where its text came from."""

import datetime
import hashlib
import itertools
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path

import charset_normalizer
from django.db import transaction

from common.history import one_history_record
from common.locks import LINKS, hold
from common.projects import project_or_sole
from sources.cleaning import (
    Cleaned,
    Removal,
    clean_text,
    detect_authors,
    detect_publisher,
    detect_renames,
    diff_lines,
    extract_html,
)
from sources.dates import Precision, from_iso
from sources.models import Capture, Project, Source, sha256_hex, source_text
from sources.pdf import MAX_PDF_BYTES, PdfRefused, is_pdf, pdf_capture
from sources.services import agent_named, create_source, publisher_named, publisher_of_domain
from sources.signals import announce_voices_changed, text_replaced
from sources.stated_dates import stated_publication_date

MAX_BYTES = 5 * 1024 * 1024  # articles are kilobytes; anything this big is not one
ARCHIVE_SUFFIXES = (".warc", ".warc.gz", ".wacz")  # read by sources.archives
METHODS = {".txt": Capture.Method.TEXT, ".md": Capture.Method.MARKDOWN, ".html": Capture.Method.HTML}
METHODS[".htm"] = Capture.Method.HTML
BOMS = [(b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16")]


class ImportRefused(ValueError):
    """A file that cannot be imported, with the reason in words."""


@dataclass
class ImportResult:
    action: str  # "created", "unchanged" or "updated"
    source: Source
    capture: Capture
    anchors: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # said under the result's line: a title kept, the same bytes


def software_version() -> str:
    return "; ".join(
        f"{name} {version(name)}"
        for name in ("Django", "trafilatura", "charset-normalizer", "django-simple-history", "pypdf")
    )


def read_raw(path: Path) -> bytes:
    """The file's bytes, refusing by size before reading anything. A PDF is known by its content, whatever its name."""
    with path.open("rb") as file:
        pdf = is_pdf(file.read(1024))
    if not pdf and path.suffix.lower() == ".pdf":
        raise ImportRefused("the file is named .pdf but is not a PDF (no %PDF- header in its first kilobyte)")
    if not pdf and path.suffix.lower() not in METHODS:
        raise ImportRefused(f"not a .txt, .md, .html, .htm or PDF file ({path.suffix or 'no extension'})")
    size = path.stat().st_size
    if size == 0:
        raise ImportRefused("the file is empty")
    limit = MAX_PDF_BYTES if pdf else MAX_BYTES
    if size > limit:
        raise ImportRefused(
            f"the file is {size / 1024 / 1024:.1f} MB, over the {limit // 1024 // 1024} MB limit for one article"
        )
    return path.read_bytes()


# When detection is unsure, the encodings real Western and East-Asian pages use, in this order.
PREFERRED_ENCODINGS = [
    "cp1252",
    "iso8859_15",
    "shift_jis",
    "cp932",
    "euc_jp",
    "gb18030",
    "big5",
    "euc_kr",
    "cp949",
    "cp1251",
]
# A guess below this is refused (with how to give --encoding); real text scores above 0.95, noise below 0.6.
MIN_ENCODING_CONFIDENCE = 0.8


@dataclass
class Decoded:
    text: str
    encoding: str
    confidence: float  # 1.0 for UTF-8, a byte-order mark or an encoding given; else the detection's


LONGEST_WORD = 40  # characters between spaces in Western or Cyrillic text; mis-decoded bytes run on


def is_common(char: str, word: str) -> bool:
    """A character that real text in a Western, Cyrillic or East-Asian script is made of, in its word.

    Text decoded with the wrong code page shows rarities: symbols, half-width katakana, ideographs and
    syllables outside the first (most common) level of the national character sets, or accented
    letters that run on for hundreds of characters without a space.
    """
    code = ord(char)
    if 0xA0 <= code <= 0x24F or 0x370 <= code <= 0x4FF or 0x2010 <= code <= 0x2026 or char in "€™":
        return (char.isalpha() or char in "\xa0«»‘’“”„–—…€£°©®™·§¿¡") and len(word) <= LONGEST_WORD
    if 0x3000 <= code <= 0x30FF or 0xFF01 <= code <= 0xFF5E:  # kana, CJK punctuation, full-width ASCII
        return True
    if 0x4E00 <= code <= 0x9FFF:  # ideographs: the first level of GB 2312 or of JIS X 0208
        return level_one(char, "gb2312", 0xB0, 0xD7) or level_one(char, "shift_jis", 0x88, 0x98)
    if 0xAC00 <= code <= 0xD7A3:  # Hangul syllables: the 2,350 of KS X 1001
        return level_one(char, "euc_kr", 0xB0, 0xC8)
    return False


def level_one(char: str, encoding: str, first: int, last: int) -> bool:
    try:
        lead = char.encode(encoding)[0]
    except UnicodeEncodeError:
        return False
    return first <= lead <= last


LONGEST_RUN = 8  # the same character this many times in a row is filler or mis-decoded bytes, not words


def confidence_of(text: str, chaos: float) -> float:
    """How sure a decoding is: the share of its non-ASCII characters that are common, less its mess."""
    checked = []
    for word in text.split():
        runs = [(char, len(list(run))) for char, run in itertools.groupby(word)]
        checked += [is_common(c, word) and n < LONGEST_RUN for c, n in runs if ord(c) > 127 for _ in range(n)]
    if not checked:
        return 1.0
    return round(sum(checked) / len(checked) * (1 - chaos), 3)


def ascii_compatible(encoding: str) -> bool:
    """Reads printable ASCII as ASCII (EBCDIC and UTF-16 do not: never a guess for a web page)."""
    printable = bytes(range(0x20, 0x7F))
    try:
        return printable.decode(encoding) == printable.decode("ascii")
    except (UnicodeDecodeError, LookupError):
        return False


def detect(data: bytes) -> Decoded | None:
    """The most likely decoding: a preferred encoding if one reads cleanly, else any the detector knows."""
    for isolation in (PREFERRED_ENCODINGS, None):
        matches = [
            m for m in charset_normalizer.from_bytes(data, cp_isolation=isolation) if ascii_compatible(m.encoding)
        ]
        rank = {name: i for i, name in enumerate(PREFERRED_ENCODINGS)}
        # Least mess first, then the best language fit, then the more common encoding.
        matches.sort(key=lambda m: (round(m.chaos, 2), -m.coherence, rank.get(m.encoding, len(rank))))
        candidates = [Decoded(str(m), m.encoding, confidence_of(str(m), m.chaos)) for m in matches[:4]]
        if candidates:
            best = max(candidates, key=lambda d: d.confidence)
            if best.confidence >= MIN_ENCODING_CONFIDENCE or isolation is None:
                return best
    return None


def decode(data: bytes, encoding: str = "") -> Decoded:
    """The text of the raw bytes: in the encoding given, else UTF-8 (or a byte-order mark's), else detected."""
    if encoding:
        try:
            return Decoded(data.decode(encoding), encoding, 1.0)
        except LookupError as e:
            raise ImportRefused(f"--encoding {encoding}: no such encoding") from e
        except UnicodeDecodeError as e:
            raise ImportRefused(
                f"the file is not {encoding}: byte {e.object[e.start]:#04x} at position {e.start} does not decode"
            ) from e
    for bom, name in BOMS:
        if data.startswith(bom):
            return Decoded(data.decode(name), name, 1.0)
    if b"\x00" in data[:8192]:
        raise ImportRefused("the file is binary, not text (it contains NUL bytes)")
    try:
        return Decoded(data.decode("utf-8"), "utf-8", 1.0)
    except UnicodeDecodeError:
        pass
    guess = detect(data)
    if guess is None:
        raise ImportRefused(
            "the file is not UTF-8 and its encoding could not be detected; "
            "give it with --encoding (for example --encoding cp1252 or --encoding shift_jis)"
        )
    if guess.confidence < MIN_ENCODING_CONFIDENCE:
        raise ImportRefused(
            f"the file is not UTF-8 and its encoding could not be detected with confidence (best guess "
            f"{guess.encoding}, {guess.confidence:.2f} < {MIN_ENCODING_CONFIDENCE}); if you know it, give it "
            f"with --encoding (for example --encoding {guess.encoding})"
        )
    return guess


def clean_capture(text: str, method: str) -> tuple[Cleaned, dict]:
    """The clean text, and what the capture states about itself (title, authors, publisher, url, date at its
    precision, and a note saying where the date was read)."""
    stated: dict = {}
    if method == Capture.Method.HTML:
        page = extract_html(text)
        cleaned = clean_text(page.text)
        cleaned.removals.insert(0, Removal("HTML markup and page boilerplate (trafilatura)", 0, ""))
        cleaned.diff = diff_lines(text, cleaned.text)
        stated = {"title": page.title, "authors": page.authors, "publisher": page.publisher, "url": page.url}
        stated["published_on"] = page.published_on
        stated["language"] = page.language
        if page.published_on is not None:
            stated["published_on_note"] = "Publication date read from the HTML page (its metadata or text) by htmldate."
    else:
        cleaned = clean_text(text)
        date = stated_publication_date(cleaned.text)
        if date is not None:
            stated.update(published_on=date.value, published_on_precision=date.precision, published_on_note=date.note)
    stated["title"] = stated.get("title") or cleaned.title
    stated["authors"] = stated.get("authors") or cleaned.authors or detect_authors(cleaned.text)
    stated["publisher"] = stated.get("publisher") or detect_publisher(text)
    stated["renames"] = detect_renames(text)
    return cleaned, stated


def same_source(*, url: str, source_path: str, project: Project) -> Source | None:
    """The project's source a file is a new version of: the same URL, or without a URL a capture from the same full
    path. A file name alone does not identify an article (two folders may both hold `article.txt`).
    """
    if url:
        return Source.objects.in_project(project).filter(url=url).first()
    if not source_path:
        return None
    captures = Capture.objects.in_project(project).filter(source_path=source_path)
    capture = captures.select_related("source").last()
    return capture.source if capture else None


def already_imported(*, digest: str, url: str, project: Project) -> Capture | None:
    """The capture these bytes already are in the project: of the source at `url` when a URL is given (the same
    bytes under another URL are another article: two publishers running one wire story), else of any source."""
    captures = Capture.objects.in_project(project).filter(sha256=digest).select_related("source")
    if url:
        captures = captures.filter(source__url=url)
    return captures.order_by("pk").first()


def title_set_by_a_person(source: Source) -> bool:
    """Whether a person gave the source its title: it is not the title its latest capture gave (a Reviewer
    corrected it, or the source was written by hand before any capture). A new capture does not replace it."""
    latest = source.captures.order_by("-imported_at", "-pk").values_list("stated_title", flat=True).first()
    return latest is None or latest != source.title


@transaction.atomic
def import_file(
    *,
    path: Path,
    url: str = "",
    publisher: str = "",
    authors: list[str] | tuple[str, ...] = (),
    published_on: str = "",
    retrieved_at: datetime.datetime | None = None,
    language: str = "",
    encoding: str = "",
    imported_by: str,
    project: Project | None = None,
) -> ImportResult:
    """Import one file whole or not at all, into `project` (the server's only one when not given): a new source, an
    unchanged one, or a new version of one of the project's sources.

    Options given here win over what the text states. A new version of a source with claims
    re-anchors each claim (held, moved or broken) and records that in the capture.
    """
    return import_raw(
        data=read_raw(path),
        file_name=path.name,
        method=METHODS.get(path.suffix.lower(), Capture.Method.PDF),
        url=url,
        publisher=publisher,
        authors=authors,
        published_on=published_on,
        retrieved_at=retrieved_at,
        language=language,
        encoding=encoding,
        source_path=str(path.resolve()),
        imported_by=imported_by,
        project=project,
    )


@transaction.atomic
def import_raw(
    *,
    data: bytes,
    file_name: str,
    method: str,
    url: str = "",
    publisher: str = "",
    authors: list[str] | tuple[str, ...] = (),
    published_on: str = "",
    retrieved_at: datetime.datetime | None = None,
    language: str = "",
    imported_by: str,
    charset: str = "",
    encoding: str = "",
    source_path: str = "",
    capture_details: dict | None = None,
    project: Project | None = None,
) -> ImportResult:
    """Import raw bytes as `import_file` does; a web archive's pages come in here too.

    `charset` is an encoding the bytes are known to be in (an HTTP header's), `encoding` one the
    person importing gave (it wins), `source_path` the full path of the file (without a URL, a new
    version must come from the same path), and `capture_details` more fields of the capture (where a
    web archive's record came from). The source, its publisher and its authors are looked up, or made, in
    `project` (the server's only one when not given).
    """
    project = project_or_sole(project)
    digest = hashlib.sha256(data).hexdigest()
    known = already_imported(digest=digest, url=url, project=project)
    if known is not None:
        return ImportResult("unchanged", known.source, known)
    if is_pdf(data):
        method = Capture.Method.PDF
        try:
            decoded, cleaned, stated = pdf_capture(data)
        except PdfRefused as e:
            raise ImportRefused(str(e)) from e
    else:
        decoded = decode(data, encoding or charset)
        cleaned, stated = clean_capture(decoded.text, method)
    raw_text = decoded.text
    if not cleaned.text.strip():
        raise ImportRefused("no article text is left once the page furniture is removed")
    try:
        if published_on:
            date, precision = from_iso(published_on)
        else:
            date, precision = stated.get("published_on"), stated.get("published_on_precision", Precision.DAY)
    except ValueError as e:
        raise ImportRefused(str(e)) from e
    url = url or stated.get("url", "")
    publisher_name = publisher or stated["publisher"]
    author_names = list(authors) or stated["authors"]
    details = {
        "title": (stated["title"] or Path(file_name).stem)[:500],
        "url": url,
        # A page naming its publisher under two names ("X, now known as Y") makes both names one organisation.
        "publisher": publisher_named(publisher_name, renames=stated.get("renames", []), project=project)
        if publisher_name
        else None,
        "language": language or stated.get("language", ""),
        "retrieved_at": retrieved_at,
        "notes": "\n".join(cleaned.notes),
        "page_starts": stated.get("page_starts", []),
    }
    if details["publisher"] is None and url:
        # A page that does not name its publisher is published by whoever publishes its registered domain.
        details["publisher"] = publisher_of_domain(url, project=project)
    if date is not None:
        details.update(published_on=date, published_on_precision=precision)
    if not published_on and stated.get("published_on_note"):
        # Where the date was read, or why a date the text states was not taken.
        details["notes"] = "\n".join([*cleaned.notes, stated["published_on_note"]])

    source = same_source(url=url, source_path=source_path, project=project)
    if source is not None:
        # The link lock before the source's row (common.locks' order): the new capture recounts the claims its
        # voice touches under it, and a claim moved into the source, or restored in it, holds it while waiting for
        # the row.
        hold(LINKS)
        old_text = source_text(source.pk, to_change=True)  # no claim is anchored to it meanwhile (common.locks)
        if old_text is None:
            source = None  # deleted since it was looked up: saved, it would come back; the capture makes a new one
    anchors: list[dict] = []
    stated_title, notes = details["title"], []
    if stated.get("message"):  # such as a PDF whose text could not be read
        notes.append(stated["message"])
    twin = Capture.objects.in_project(project).filter(sha256=digest).exclude(source=source)
    twin = twin.select_related("source").first()
    if twin is not None:
        notes.append(
            f"the same bytes as source {twin.source.pk} ({twin.source.url or twin.file_name}): another source; if "
            "one republishes the other, a Reviewer records it under Republications"
        )
    if source is None:
        action = "created"
        source = create_source(
            text=cleaned.text,
            raw_text=raw_text,
            project=project,
            authors=[agent_named(name, project=project) for name in author_names],
            **details,
        )
    else:
        action = "updated"
        if title_set_by_a_person(source):
            if stated_title != source.title:
                notes.append(f"title kept: “{source.title}” was set by a person; this capture gives “{stated_title}”")
            del details["title"]
        # Only what the new version states replaces what is stored; nothing is blanked.
        # A PDF's own metadata fills only what nobody has set; what the person importing gives still wins.
        given = {"published_on", "published_on_precision"} if published_on else set()
        proposed = set(stated.get("proposed", ())) - given - ({"authors"} if authors else set())
        for name, value in details.items():
            if value and not (name in proposed and getattr(source, name)):
                setattr(source, name, value)
        source.page_starts = details["page_starts"]
        source.text, source.raw_text = cleaned.text, raw_text
        # Source.clean() refuses a new text under claims; a re-import is how the text changes.
        source.text_sha256, source.raw_sha256 = sha256_hex(source.text), sha256_hex(raw_text)
        source.clean_fields()
        source.validate_constraints()
        with one_history_record(source):
            source.save()
            if author_names and not ("authors" in proposed and source.authors.exists()):
                source.authors.set([agent_named(name, project=project) for name in author_names])
        # A new publisher, URL or authors may change whom the source speaks with.
        announce_voices_changed({source.pk})
        # The claims app follows its claims to the new text and answers with one report row per claim.
        answers = text_replaced.send(sender=Source, source=source, old_text=old_text)
        anchors = [row for _, rows in answers for row in rows]

    capture = Capture(
        source=source,
        file_name=file_name,
        source_path=source_path,
        size=len(data),
        sha256=digest,
        raw=data,
        encoding=decoded.encoding,
        encoding_confidence=decoded.confidence,
        retrieved_at=retrieved_at,
        method=method,
        software_version=software_version(),
        imported_by=imported_by,
        clean_text=cleaned.text,
        removals=[r.as_dict() for r in cleaned.removals],
        diff=cleaned.diff,
        anchor_report=anchors,
        stated_title=stated_title,
        **(capture_details or {}),
    )
    capture.full_clean()
    capture.save()
    return ImportResult(action, source, capture, anchors, notes)


def files_in(paths: list[Path]) -> tuple[list[Path], list[Path]]:
    """The files to import from files and folders named, and the folder entries skipped by extension."""
    files, skipped = [], []
    for path in paths:
        if path.is_dir():
            for entry in sorted(p for p in path.rglob("*") if p.is_file()):
                wanted = entry.suffix.lower() in (*METHODS, ".pdf") or entry.name.lower().endswith(ARCHIVE_SUFFIXES)
                (files if wanted else skipped).append(entry)
        else:
            files.append(path)
    return files, skipped
