"""Importing a web archive's pages as captures, through the same path as a raw file."""

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction

from common.projects import project_or_sole
from sources.archives.records import Archive, PageRecord, read_archive
from sources.importing import ImportRefused, ImportResult, import_raw
from sources.models import Capture, Project


@dataclass
class ArchiveImport:
    results: list[ImportResult] = field(default_factory=list)
    skipped: Counter = field(default_factory=Counter)

    def skipped_line(self, name: str) -> str:
        """One line saying how many records of the archive were skipped, and what they were."""
        kinds = ", ".join(f"{count} {kind}" for kind, count in sorted(self.skipped.items()))
        total = sum(self.skipped.values())
        what = "record of {} that is not a page" if total == 1 else "records of {} that are not pages"
        return f"skipped {total} {what.format(name)}: {kinds}"


@transaction.atomic
def import_archive(
    *,
    path: Path,
    publisher: str = "",
    authors: list[str] | tuple[str, ...] = (),
    published_on: str = "",
    language: str = "",
    imported_by: str,
    origin: str = Capture.Origin.ARCHIVE,
    project: Project | None = None,
) -> ArchiveImport:
    """Import every page of a WARC or WACZ file as a capture of the project's source at its URL (`project`, the
    server's only one when not given), all or nothing.

    A second capture of a URL (in this archive or a later one) is a new version of its source.
    Records that are not pages, and pages with no article text, are skipped and counted.
    """
    project = project_or_sole(project)
    archive = read_archive(path)
    outcome = ArchiveImport(skipped=archive.skipped)
    for page in archive.pages:
        try:
            result = import_raw(
                data=page.payload,
                file_name=archive.name,
                method=page.method,
                url=page.url if page.url.startswith(("http://", "https://")) else "",
                publisher=publisher,
                authors=authors,
                published_on=published_on,
                retrieved_at=page.captured_at,
                language=language,
                imported_by=imported_by,
                charset=page.charset,
                capture_details=capture_details(page, archive, origin),
                project=project,
            )
        except ImportRefused as e:
            # Only this page's savepoint is rolled back: a menu frame with no text is not the article.
            outcome.skipped[f"page with no article in it ({e})"] += 1
            continue
        outcome.results.append(result)
    return outcome


def capture_details(page: PageRecord, archive: Archive, origin: str) -> dict:
    """The capture's fields that say which record of which archive its bytes came from."""
    return {
        "origin": origin,
        "archive_sha256": archive.sha256,
        "target_url": page.url if page.url.startswith(("http://", "https://")) else "",
        "warc_record_id": page.record_id,
        "http_status": page.status,
        "http_headers": page.headers,
        "content_type": page.content_type[:200],
        "payload_digest": page.payload_digest,
        "warc_record": page.record,
        "warc_record_sha256": hashlib.sha256(page.record).hexdigest(),
    }
