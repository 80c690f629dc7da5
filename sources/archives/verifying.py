"""Re-checking stored captures: the raw bytes against their SHA-256, a WARC record against its digests."""

import hashlib
from collections.abc import Iterator

from django.utils import timezone

from sources.archives.records import Archive, ArchiveRefused, read_warc
from sources.models import Capture


def capture_problem(capture: Capture) -> str:
    """What no longer matches in the stored capture, in words; "" when everything does."""
    problems = []
    actual = hashlib.sha256(bytes(capture.raw)).hexdigest()
    if actual != capture.sha256:
        problems.append(f"the stored bytes hash to SHA-256 {actual}, not the {capture.sha256} recorded at import")
    record = bytes(capture.warc_record)
    if record:
        actual = hashlib.sha256(record).hexdigest()
        if actual != capture.warc_record_sha256:
            problems.append(f"the stored WARC record hashes to SHA-256 {actual}, not {capture.warc_record_sha256}")
        archive = Archive(name="the stored WARC record", sha256="")
        try:
            read_warc(record, archive.name, archive)
        except ArchiveRefused as e:
            problems.append(str(e))
        else:
            payloads = [page.payload for page in archive.pages]
            if payloads and hashlib.sha256(payloads[0]).hexdigest() != capture.sha256:
                problems.append("the WARC record's payload is not the bytes the capture was imported with")
    return "; ".join(problems)


def verify_captures(*, captures=None) -> Iterator[tuple[Capture, str]]:
    """Check each capture, record when and what was found on it, and yield it with its problem ("" for none)."""
    captures = Capture.objects.all() if captures is None else captures
    fields = ["source__title", "file_name", "raw", "sha256", "warc_record", "warc_record_sha256"]
    for capture in captures.select_related("source").only(*fields).order_by("pk").iterator(chunk_size=100):
        problem = capture_problem(capture)
        Capture.objects.filter(pk=capture.pk).update(verified_at=timezone.now(), verification_problem=problem)
        yield capture, problem
