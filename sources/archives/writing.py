"""Writing a source's captures out as one WARC file that a web-archive player can replay."""

import datetime
import gzip
import io
from importlib.metadata import version

from warcio.warcwriter import WARCWriter

from sources.models import Capture, Source

MEDIA_TYPES = {
    Capture.Method.HTML: "text/html",
    Capture.Method.TEXT: "text/plain",
    Capture.Method.MARKDOWN: "text/markdown",
    Capture.Method.PDF: "application/pdf",
}


def media_type_of(capture: Capture) -> str:
    """The capture's media type, with the charset its text was decoded in (a PDF has none)."""
    if capture.method == Capture.Method.PDF:
        return MEDIA_TYPES[capture.method]
    return f"{MEDIA_TYPES[capture.method]}; charset={capture.encoding}"


def capture_uri(capture: Capture) -> str:
    """The URI a capture is archived under: its URL, or a name of its own when the file had none."""
    return capture.target_url or capture.source.url or f"urn:claimtrail:capture:{capture.sha256}"


def source_warc(source: Source) -> bytes:
    """The source's captures as a gzipped WARC 1.0, oldest first, after a warcinfo record.

    A capture that came from a web archive (or capture_url) is written as the very response record
    it came in, so its digests and record id are those of the original; a capture of a file is a
    resource record of its raw bytes. Re-importing the file gives captures with the same SHA-256s.
    """
    buffer = io.BytesIO()
    writer = WARCWriter(buffer, gzip=True)
    info = {
        "software": f"Claimtrail (warcio {version('warcio')})",
        "format": "WARC File Format 1.0",
        "description": f"Captures of the source {source.pk}: {source.title}",
    }
    if source.url:
        info["isPartOf"] = source.url
    writer.write_record(writer.create_warcinfo_record(f"source-{source.pk}.warc.gz", info))
    for capture in source.captures.select_related("source").order_by("imported_at", "pk"):
        record = bytes(capture.warc_record)
        if record:
            # Verbatim, one gzip member per record like every record warcio writes.
            buffer.write(gzip.compress(record + b"\r\n\r\n", mtime=0))
            continue
        raw = bytes(capture.raw)
        moment = (capture.retrieved_at or capture.imported_at).astimezone(datetime.UTC)
        resource = writer.create_warc_record(
            capture_uri(capture),
            "resource",
            payload=io.BytesIO(raw),
            length=len(raw),
            warc_content_type=media_type_of(capture),
            warc_headers_dict={"WARC-Date": moment.strftime("%Y-%m-%dT%H:%M:%SZ")},
        )
        writer.write_record(resource)
    return buffer.getvalue()
