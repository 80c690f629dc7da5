"""Importing raw article files as sources, each with a capture that records where its text came from."""

import datetime
import hashlib
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path

import charset_normalizer
from django.db import transaction

from sources.cleaning import (
    Cleaned,
    Removal,
    clean_text,
    detect_authors,
    detect_publisher,
    diff_lines,
    extract_html,
)
from sources.dates import from_iso
from sources.models import Agent, Capture, Source, sha256_hex
from sources.services import agent_named, create_source
from sources.signals import announce_voices_changed, text_replaced

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


def software_version() -> str:
    return "; ".join(
        f"{name} {version(name)}" for name in ("Django", "trafilatura", "charset-normalizer", "django-simple-history")
    )


def read_raw(path: Path) -> bytes:
    """The file's bytes, refusing by size before reading anything."""
    if path.suffix.lower() not in METHODS:
        raise ImportRefused(f"not a .txt, .md, .html or .htm file ({path.suffix or 'no extension'})")
    size = path.stat().st_size
    if size == 0:
        raise ImportRefused("the file is empty")
    if size > MAX_BYTES:
        raise ImportRefused(
            f"the file is {size / 1024 / 1024:.1f} MB, over the {MAX_BYTES // 1024 // 1024} MB limit for one article"
        )
    return path.read_bytes()


def decode(data: bytes) -> tuple[str, str]:
    """The text of the raw bytes and the encoding it was read with: UTF-8, else a detected encoding."""
    for bom, encoding in BOMS:
        if data.startswith(bom):
            return data.decode(encoding), encoding
    if b"\x00" in data[:8192]:
        raise ImportRefused("the file is binary, not text (it contains NUL bytes)")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    best = charset_normalizer.from_bytes(data).best()
    # Random bytes "decode" as some CJK code page; no language recognised in the result means no encoding.
    if best is None or best.coherence == 0:
        raise ImportRefused("the file is not UTF-8 and its encoding could not be detected; convert it to UTF-8")
    return str(best), best.encoding


def clean_capture(text: str, method: str) -> tuple[Cleaned, dict]:
    """The clean text, and what the capture states about itself (title, authors, publisher, url, date)."""
    stated: dict = {}
    if method == Capture.Method.HTML:
        page = extract_html(text)
        cleaned = clean_text(page.text)
        cleaned.removals.insert(0, Removal("HTML markup and page boilerplate (trafilatura)", 0, ""))
        cleaned.diff = diff_lines(text, cleaned.text)
        stated = {"title": page.title, "authors": page.authors, "publisher": page.publisher, "url": page.url}
        stated["published_on"] = page.published_on
    else:
        cleaned = clean_text(text)
    stated["title"] = stated.get("title") or cleaned.title
    stated["authors"] = stated.get("authors") or cleaned.authors or detect_authors(cleaned.text)
    stated["publisher"] = stated.get("publisher") or detect_publisher(text)
    return cleaned, stated


def same_source(*, url: str, file_name: str) -> Source | None:
    """The source a file is a new version of: the same URL, or without a URL the same file name."""
    if url:
        return Source.objects.filter(url=url).first()
    capture = Capture.objects.filter(file_name=file_name).select_related("source").last()
    return capture.source if capture else None


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
    imported_by: str,
) -> ImportResult:
    """Import one file whole or not at all: a new source, an unchanged one, or a new version of one.

    Options given here win over what the text states. A new version of a source with claims
    re-anchors each claim (held, moved or broken) and records that in the capture.
    """
    return import_raw(
        data=read_raw(path),
        file_name=path.name,
        method=METHODS[path.suffix.lower()],
        url=url,
        publisher=publisher,
        authors=authors,
        published_on=published_on,
        retrieved_at=retrieved_at,
        language=language,
        imported_by=imported_by,
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
    capture_details: dict | None = None,
) -> ImportResult:
    """Import raw bytes as `import_file` does; a web archive's pages come in here too.

    `charset` is an encoding the bytes are known to be in (an HTTP header's), and `capture_details`
    more fields of the capture (where a web archive's record came from).
    """
    digest = hashlib.sha256(data).hexdigest()
    known = Capture.objects.filter(sha256=digest).select_related("source").first()
    if known is not None:
        return ImportResult("unchanged", known.source, known)
    raw_text, encoding = (data.decode(charset), charset) if charset else decode(data)
    cleaned, stated = clean_capture(raw_text, method)
    if not cleaned.text.strip():
        raise ImportRefused("no article text is left once the page furniture is removed")
    try:
        date, precision = from_iso(published_on) if published_on else (stated.get("published_on"), "day")
    except ValueError as e:
        raise ImportRefused(str(e)) from e
    url = url or stated.get("url", "")
    publisher_name = publisher or stated["publisher"]
    author_names = list(authors) or stated["authors"]
    details = {
        "title": (stated["title"] or Path(file_name).stem)[:500],
        "url": url,
        "publisher": agent_named(publisher_name, kind=Agent.Kind.ORGANISATION) if publisher_name else None,
        "language": language,
        "retrieved_at": retrieved_at,
        "notes": "\n".join(cleaned.notes),
    }
    if date is not None:
        details.update(published_on=date, published_on_precision=precision)

    source = same_source(url=url, file_name=file_name)
    anchors: list[dict] = []
    if source is None:
        action = "created"
        source = create_source(
            text=cleaned.text,
            raw_text=raw_text,
            authors=[agent_named(name) for name in author_names],
            **details,
        )
    else:
        action = "updated"
        old_text = source.text
        # Only what the new version states replaces what is stored; nothing is blanked.
        for name, value in details.items():
            if value:
                setattr(source, name, value)
        source.text, source.raw_text = cleaned.text, raw_text
        # Source.clean() refuses a new text under claims; a re-import is how the text changes.
        source.text_sha256, source.raw_sha256 = sha256_hex(source.text), sha256_hex(raw_text)
        source.clean_fields()
        source.validate_constraints()
        source.save()
        if author_names:
            source.authors.set([agent_named(name) for name in author_names])
        # A new publisher, URL or authors may change whom the source speaks with.
        announce_voices_changed({source.pk})
        # The claims app follows its claims to the new text and answers with one report row per claim.
        answers = text_replaced.send(sender=Source, source=source, old_text=old_text)
        anchors = [row for _, rows in answers for row in rows]

    capture = Capture(
        source=source,
        file_name=file_name,
        size=len(data),
        sha256=digest,
        raw=data,
        encoding=encoding,
        retrieved_at=retrieved_at,
        method=method,
        software_version=software_version(),
        imported_by=imported_by,
        clean_text=cleaned.text,
        removals=[r.as_dict() for r in cleaned.removals],
        diff=cleaned.diff,
        anchor_report=anchors,
        **(capture_details or {}),
    )
    capture.full_clean()
    capture.save()
    return ImportResult(action, source, capture, anchors)


def files_in(paths: list[Path]) -> tuple[list[Path], list[Path]]:
    """The files to import from files and folders named, and the folder entries skipped by extension."""
    files, skipped = [], []
    for path in paths:
        if path.is_dir():
            for entry in sorted(p for p in path.rglob("*") if p.is_file()):
                wanted = entry.suffix.lower() in METHODS or entry.name.lower().endswith(ARCHIVE_SUFFIXES)
                (files if wanted else skipped).append(entry)
        else:
            files.append(path)
    return files, skipped
