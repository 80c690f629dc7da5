"""python manage.py capture_url URL [URL ...]: fetch pages, record them as WARC and import them as captures."""

import tempfile
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError

from common.history import RecordedCommand, recorded_as, recorded_person
from sources.archives.fetching import record_page
from sources.archives.imports import import_archive
from sources.importing import MAX_BYTES, ImportRefused
from sources.management.commands.import_sources import result_lines
from sources.management.projects import add_project_argument, project_named
from sources.models import Capture


class Command(RecordedCommand):
    help = (
        "Fetch each URL (following up to 5 redirects), record the HTTP exchanges as a WARC with warcio, and "
        "import the page as a capture of its source in the project (--project SLUG; the only one by default), as "
        "import_sources does with an archive. One line per "
        "page: created, unchanged or updated, the source id and title. Exit code 1 when any URL failed."
    )

    def add_arguments(self, parser):
        super().add_arguments(parser)
        add_project_argument(parser)
        parser.add_argument("urls", nargs="+", metavar="URL")
        parser.add_argument("--timeout", type=float, default=10.0, help="seconds to wait for the server (10)")
        parser.add_argument("--max-bytes", type=int, default=MAX_BYTES, help=f"largest page accepted ({MAX_BYTES})")
        parser.add_argument(
            "--warc-dir", type=Path, help="also keep each WARC file (requests and redirects included) in this folder"
        )

    def handle(self, *args, **options):
        options["project"] = project_named(options["project"])
        failed = 0
        for url in options["urls"]:
            try:
                self.capture(url, options)
            except (ImportRefused, ValidationError, OSError) as e:
                failed += 1
                reason = "; ".join(e.messages) if isinstance(e, ValidationError) else str(e)
                self.stderr.write(f"failed {url}: {reason}; nothing was stored")
        if failed:
            raise CommandError(
                f"{failed} of {len(options['urls'])} URLs failed; the others were captured.", returncode=1
            )

    def capture(self, url: str, options: dict) -> None:
        recording = record_page(url, timeout=options["timeout"], max_bytes=options["max_bytes"])
        for hop in recording.redirects:
            self.stdout.write(f"redirect {hop}")
        with tempfile.TemporaryDirectory() as scratch:
            folder = options["warc_dir"] or Path(scratch)
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / recording.file_name()
            path.write_bytes(recording.warc)
            with recorded_as(reason=f"Captured from {url} by capture_url"):
                person = recorded_person().get_username()
                outcome = import_archive(
                    path=path, imported_by=person, origin=Capture.Origin.FETCHED, project=options["project"]
                )
        if not outcome.results:
            raise ImportRefused(f"{recording.url} is not an article: {outcome.skipped_line(path.name)}")
        for result in outcome.results:
            for line in result_lines(result):
                self.stdout.write(line)
        if options["warc_dir"]:
            self.stdout.write(f"  WARC kept in {path}")
