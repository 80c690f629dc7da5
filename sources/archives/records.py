"""Reading a web archive (.warc, .warc.gz or .wacz) into the pages it holds, checking it as we go.

Each response record (or resource record) whose content is an HTML or text page becomes a
`PageRecord` with its URL, capture time, HTTP status and headers, record id, the payload digest the
archive states, the page's bytes and the record itself verbatim. Records that are not pages (images,
scripts, redirects, error answers, revisits) are counted by kind. A digest that does not match or a
record cut short refuses the whole archive.
"""

import codecs
import datetime
import hashlib
import io
import json
import zipfile
import zlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

from sources.importing import BOMS, MAX_BYTES, ImportRefused
from sources.pdf import is_pdf

MAX_ARCHIVE_BYTES = 200 * 1024 * 1024  # a browser capture of a few articles with their images
# What an archive may unpack to: compression of real pages is ~10:1, a zip or gzip bomb is ~1000:1.
MAX_UNPACKED_BYTES = 5 * MAX_ARCHIVE_BYTES
PAGE_TYPES = {
    "text/html": "html",
    "application/xhtml+xml": "html",
    "text/plain": "text",
    "text/markdown": "markdown",
    "application/pdf": "pdf",
}
# Types a server gives to any file: such a body is a page when its bytes are a PDF (sources.pdf.is_pdf).
SNIFFED_TYPES = {"application/octet-stream", "binary/octet-stream", "application/x-pdf", "application/download"}
CAPTURE_TYPES = ("response", "resource", "revisit")  # warcinfo, request and metadata records describe captures
WEB = ("http://", "https://", "urn:claimtrail:")  # what a captured page's WARC-Target-URI starts with


class ArchiveRefused(ImportRefused):
    """A web archive that cannot be imported: damaged, truncated, or a digest that does not match."""


@dataclass
class PageRecord:
    url: str
    captured_at: datetime.datetime
    record_id: str
    status: int | None
    headers: list[list[str]]
    content_type: str
    payload: bytes  # the page's bytes: transfer and content encodings removed
    payload_digest: str  # WARC-Payload-Digest as stated, e.g. "sha1:…"
    record: bytes  # the WARC record verbatim, uncompressed

    @property
    def method(self) -> str:
        return "pdf" if is_pdf(self.payload) else PAGE_TYPES[media_type(self.content_type)]

    @property
    def charset(self) -> str:
        """The charset the Content-Type declares, when it is a known codec that decodes the bytes."""
        if self.payload.startswith(tuple(bom for bom, _ in BOMS)):
            return ""  # a byte-order mark says more than a header
        for parameter in self.content_type.split(";")[1:]:
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "charset":
                charset = value.strip().strip("\"'").lower()
                try:
                    self.payload.decode(charset)
                except (LookupError, UnicodeDecodeError):
                    return ""
                return codecs.lookup(charset).name
        return ""


@dataclass
class Archive:
    name: str
    sha256: str
    pages: list[PageRecord] = field(default_factory=list)
    skipped: Counter = field(default_factory=Counter)
    unpacked: int = 0  # bytes of WARC records read so far, as their Content-Length states


def too_big_unpacked(size: int) -> str:
    return (
        f"the archive unpacks to more than {MAX_UNPACKED_BYTES // 1024 // 1024} MB "
        f"({size:,} bytes so far): too much to be pages, refused as a compression bomb"
    )


def media_type(content_type: str) -> str:
    return content_type.split(";")[0].strip().lower()


def is_archive(path: Path) -> bool:
    return path.name.lower().endswith((".warc", ".warc.gz", ".wacz"))


def read_archive(path: Path) -> Archive:
    """The pages in a .warc, .warc.gz or .wacz file, with what was skipped counted by kind."""
    size = path.stat().st_size
    if size == 0:
        raise ArchiveRefused("the file is empty")
    if size > MAX_ARCHIVE_BYTES:
        raise ArchiveRefused(
            f"the archive is {size / 1024 / 1024:.0f} MB, over the {MAX_ARCHIVE_BYTES // 1024 // 1024} MB limit"
        )
    data = path.read_bytes()
    archive = Archive(name=path.name, sha256=hashlib.sha256(data).hexdigest())
    warcs = wacz_members(data) if path.name.lower().endswith(".wacz") else [(path.name, data)]
    for name, blob in warcs:
        read_warc(blob, name, archive)
    archive.pages.sort(key=lambda page: page.captured_at)  # versions of a page in the order they were taken
    return archive


def wacz_members(data: bytes) -> list[tuple[str, bytes]]:
    """The WARC files in a WACZ (a zip with a datapackage.json), each checked against the hash it lists."""
    try:
        package = zipfile.ZipFile(io.BytesIO(data))
        names = package.namelist()
        if "datapackage.json" not in names:
            raise ArchiveRefused("not a WACZ: it has no datapackage.json")
        if package.getinfo("datapackage.json").file_size > MAX_BYTES:
            raise ArchiveRefused("the WACZ's datapackage.json is over 5 MB: not a package description")
        listed = listed_hashes(package.read("datapackage.json"))
        warcs = [n for n in names if n.startswith("archive/") and n.lower().endswith((".warc", ".warc.gz"))]
        if not warcs:
            raise ArchiveRefused("the WACZ holds no WARC file under archive/")
        unpacked = sum(package.getinfo(name).file_size for name in ["datapackage.json", *warcs])
        if unpacked > MAX_UNPACKED_BYTES:
            raise ArchiveRefused(too_big_unpacked(unpacked))
        members = []
        for name in warcs:
            blob = package.read(name)
            algorithm, _, expected = listed.get(name, "").partition(":")
            if not expected:
                raise ArchiveRefused(f"the WACZ's datapackage.json lists no hash for {name}")
            actual = hashlib.new(algorithm, blob).hexdigest()
            if actual != expected.lower():
                raise ArchiveRefused(
                    f"{name} does not match its hash in datapackage.json "
                    f"(listed {algorithm}:{expected}, the bytes give {algorithm}:{actual})"
                )
            members.append((name, blob))
        return members
    except ArchiveRefused:
        raise
    except (zipfile.BadZipFile, KeyError, ValueError, TypeError) as e:
        raise ArchiveRefused(f"not a readable WACZ ({e})") from e


def listed_hashes(description: bytes) -> dict[str, str]:
    """The hash datapackage.json lists for each resource's path ("sha256:…"), refusing a description that is not
    JSON, nests too deep to read, or whose resources are not objects with a text path and hash."""
    try:
        package = json.loads(description)
    except RecursionError:
        raise ArchiveRefused("the WACZ's datapackage.json nests too deep to be a package description") from None
    except ValueError as e:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise ArchiveRefused(f"the WACZ's datapackage.json is not JSON ({e})") from None
    resources = package.get("resources") if isinstance(package, dict) else None
    if not isinstance(resources, list):
        raise ArchiveRefused("the WACZ's datapackage.json has no list of resources")
    listed = {}
    for number, resource in enumerate(resources, start=1):
        if not isinstance(resource, dict) or not isinstance(resource.get("path"), str):
            raise ArchiveRefused(f"resource {number} of the WACZ's datapackage.json has no path")
        digest = resource.get("hash", "")
        if not isinstance(digest, str):
            raise ArchiveRefused(
                f"the WACZ's datapackage.json lists a hash for {resource['path']} that is not text "
                f"({json.dumps(digest)[:40]}); it should read like sha256:…"
            )
        listed[resource["path"]] = digest
    return listed


def read_warc(blob: bytes, name: str, archive: Archive) -> None:
    """Add the pages of one WARC file to the archive, refusing it if any record is damaged."""
    records = ArchiveIterator(io.BytesIO(blob), check_digests=True)
    seen = end = 0
    try:
        for record in records:
            seen += 1
            kind = record.rec_type
            # warcio reads a record's block up to its Content-Length: counting those bounds what a gzip bomb
            # can unpack, and a page is read no further than one byte past the limit for one page.
            archive.unpacked += int(record.rec_headers.get_header("Content-Length") or 0)
            if archive.unpacked > MAX_UNPACKED_BYTES:
                raise ArchiveRefused(f"{name}: {too_big_unpacked(archive.unpacked)}")
            payload = record.content_stream().read(MAX_BYTES + 1) if kind in CAPTURE_TYPES else b""
            records.read_to_end()
            offset, length = records.get_record_offset(), records.get_record_length()
            verbatim = whole_record(blob[offset : offset + length], record, name, offset)
            end = offset + length
            if record.digest_checker.passed is False:
                raise ArchiveRefused(digest_message(name, record))
            if kind not in CAPTURE_TYPES or not record.rec_headers.get_header("WARC-Target-URI", "").startswith(WEB):
                continue  # warcinfo, requests, a crawler's own log: not captures of a page
            reason = not_a_page(record, payload)
            if reason:
                archive.skipped[reason] += 1
                continue
            archive.pages.append(page_record(record, payload, verbatim, name))
    except ArchiveRefused:
        raise
    except (ArchiveLoadFailed, EOFError, OSError, zlib.error, ValueError) as e:
        raise ArchiveRefused(f"{name} is not a readable WARC (after {seen} records): {e}".strip()) from e
    if seen == 0:
        raise ArchiveRefused(f"{name} holds no WARC records")
    if blob[end:].strip(b"\r\n"):
        # warcio stops quietly at a record whose header is cut off; what is left over says so.
        raise ArchiveRefused(
            f"{name} is truncated: {len(blob) - end} bytes after byte {end} do not make a whole record"
        )


def whole_record(member: bytes, record, name: str, offset: int) -> bytes:
    """The record's bytes (header and block) as they stand in the file, refusing one cut short."""
    length = int(record.rec_headers.get_header("Content-Length") or 0)
    if member[:2] == b"\x1f\x8b":
        # One gzip member per record: unpack no more than the record (its headers are far under 1 MB).
        member = zlib.decompressobj(wbits=31).decompress(member, length + 1024 * 1024)
    head, sep, block = member.partition(b"\r\n\r\n")
    if not sep or len(block) < length:
        record_id = record.rec_headers.get_header("WARC-Record-ID")
        raise ArchiveRefused(
            f"{name} is truncated: record {record_id} at byte {offset} has {len(block)} of its {length} bytes"
        )
    return head + sep + block[:length]


def digest_message(name: str, record) -> str:
    headers = record.rec_headers
    problems = "; ".join(record.digest_checker.problems)
    return (
        f"{name}: record {headers.get_header('WARC-Record-ID')} ({headers.get_header('WARC-Target-URI')}) "
        f"does not match its digest ({problems}); the archive was changed or damaged after it was written"
    )


def not_a_page(record, payload: bytes) -> str:
    """Why a capture record is not a page to import, or "" when it is one."""
    if record.rec_type == "revisit":
        return "revisit (a repeat of an earlier capture)"
    status = int(record.http_headers.get_statuscode()) if record.http_headers else None
    if status is not None and 300 <= status < 400:
        return f"redirect (HTTP {status})"
    if status is not None and status != 200:
        return f"HTTP {status}"
    kind = media_type(content_type(record))
    if kind not in PAGE_TYPES and not (kind in SNIFFED_TYPES and is_pdf(payload)):
        return kind or "no content type"
    if not payload:
        return "empty page"
    if len(payload) > MAX_BYTES:
        return f"page over the {MAX_BYTES // 1024 // 1024} MB limit for one article"
    return ""


def content_type(record) -> str:
    if record.http_headers:
        return record.http_headers.get_header("Content-Type") or ""
    return record.rec_headers.get_header("Content-Type") or ""


def page_record(record, payload: bytes, verbatim: bytes, name: str) -> PageRecord:
    headers = record.rec_headers
    stamp = headers.get_header("WARC-Date") or ""
    try:
        captured_at = datetime.datetime.fromisoformat(stamp)
    except ValueError as e:
        raise ArchiveRefused(f"{name}: record {headers.get_header('WARC-Record-ID')} has no valid WARC-Date") from e
    return PageRecord(
        url=headers.get_header("WARC-Target-URI") or "",
        captured_at=captured_at,
        record_id=headers.get_header("WARC-Record-ID") or "",
        status=int(record.http_headers.get_statuscode()) if record.http_headers else None,
        headers=[[k, v] for k, v in record.http_headers.headers] if record.http_headers else [],
        content_type=content_type(record),
        payload=payload,
        payload_digest=headers.get_header("WARC-Payload-Digest") or "",
        record=verbatim,
    )
