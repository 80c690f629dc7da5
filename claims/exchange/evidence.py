"""The evidence for a source in one zip: its captures as a WARC, and its claims as W3C Web Annotations.

- `source-ID.warc.gz`: every capture of the source (sources.archives.writing), replayable in a
  web-archive player such as ReplayWeb.page or pywb, and importable again with import_sources.
- `annotations.jsonld`: each claim as a Web Annotation (and a ClaimReview when reviewed), the
  target's TimeState naming when the text it is anchored in was captured and, for an archived
  capture, the WARC record that holds it (`cached`).
- `manifest.json`: the source, each capture's record id and digests, and the SHA-256 of both files.
"""

import hashlib
import io
import json
import zipfile

from claims.anchoring import anchoring_capture
from claims.exchange.jsonld import documents, export_queryset
from claims.models import Claim
from sources.archives.writing import capture_uri, source_warc
from sources.models import Capture, Source


def evidence_zip(source: Source) -> bytes:
    """The zip described above, for one source."""
    # With their clean text: the capture an annotation names is the one whose text holds its quote.
    captures = list(source.captures.select_related("source").defer("raw").order_by("-imported_at", "-pk"))
    warc_name = f"source-{source.pk}.warc.gz"
    warc = source_warc(source)
    annotations = json.dumps(
        [
            with_capture_state(document, anchoring_capture(claim, captures))
            for claim in export_queryset(Claim.objects.filter(source=source))
            for document in documents(claim)
        ],
        ensure_ascii=False,
        indent=2,
    ).encode()
    manifest = {
        "source": {"id": source.pk, "title": source.title, "url": source.url, "text_sha256": source.text_sha256},
        "captures": [capture_entry(capture) for capture in reversed(captures)],
        "files": {
            warc_name: {"sha256": hashlib.sha256(warc).hexdigest(), "bytes": len(warc)},
            "annotations.jsonld": {"sha256": hashlib.sha256(annotations).hexdigest(), "bytes": len(annotations)},
        },
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        bundle.writestr(warc_name, warc, compress_type=zipfile.ZIP_STORED)  # already gzipped
        bundle.writestr("annotations.jsonld", annotations)
        bundle.writestr("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2))
    return buffer.getvalue()


def with_capture_state(document: dict, capture: Capture | None) -> dict:
    """A Web Annotation whose target says which capture of its source the selectors refer to."""
    if document.get("type") != "Annotation" or capture is None:
        return document
    state = {"type": "TimeState"}
    if capture.retrieved_at or capture.imported_at:
        state["sourceDate"] = (capture.retrieved_at or capture.imported_at).isoformat()
    if capture.warc_record_id:
        state["cached"] = capture.warc_record_id.strip("<>")
    document["target"]["state"] = state
    return document


def capture_entry(capture: Capture) -> dict:
    return {
        "uri": capture_uri(capture),
        "captured_at": capture.retrieved_at.isoformat() if capture.retrieved_at else None,
        "came_in": capture.how_it_came_in,
        "sha256": capture.sha256,
        "warc_record_id": capture.warc_record_id or None,
        "payload_digest": capture.payload_digest or None,
        "http_status": capture.http_status,
    }
