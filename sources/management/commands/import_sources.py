"""python manage.py import_sources PATH [PATH ...]: import raw article files as sources."""

import getpass
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from sources.importing import ImportRefused, files_in, import_file


def retrieved_at(value: str):
    moment = parse_datetime(value)
    if moment is None:
        raise CommandError(f"--retrieved-at: “{value}” is not a date and time such as 2017-06-02T09:30:00Z.")
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment, timezone.UTC)


class Command(BaseCommand):
    help = (
        "Import .txt, .md, .html and .htm files (or folders of them) as sources, keeping each raw file as a "
        "capture. One line per file: created, unchanged or updated, the source id and title. Exit code 1 when "
        "any file failed; the other files are still imported."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="files or folders")
        parser.add_argument("--url", default="", help="the URL the files were captured from")
        parser.add_argument("--publisher", default="", help="the publisher's name")
        parser.add_argument("--author", action="append", default=[], help="an author's name (repeatable)")
        parser.add_argument("--published-on", default="", help="YYYY, YYYY-MM or YYYY-MM-DD")
        parser.add_argument("--retrieved-at", type=retrieved_at, help="when the page was fetched (ISO 8601)")
        parser.add_argument("--language", default="", help="BCP 47 code, such as en")

    def handle(self, *args, **options):
        files, skipped = files_in(options["paths"])
        if options["url"] and len(files) > 1:
            # Every file would be a new version of the one source at that URL.
            raise CommandError(f"--url names one page, but {len(files)} files were given; import them one by one.")
        for path in skipped:
            self.stdout.write(f"skipped {path}: not a .txt, .md, .html or .htm file")
        show_progress = self.stderr.isatty() and len(files) > 1
        failed = 0
        for done, path in enumerate(files, start=1):
            try:
                result = import_file(
                    path=path,
                    url=options["url"],
                    publisher=options["publisher"],
                    authors=options["author"],
                    published_on=options["published_on"],
                    retrieved_at=options["retrieved_at"],
                    language=options["language"],
                    imported_by=getpass.getuser(),
                )
            except (ImportRefused, ValidationError, OSError) as e:
                failed += 1
                reason = "; ".join(e.messages) if isinstance(e, ValidationError) else str(e)
                self.stderr.write(f"failed {path}: {reason}")
            else:
                self.stdout.write(f"{result.action} {result.source.pk} {result.source.title}")
                for row in result.anchors:
                    self.stdout.write(self.anchor_line(row))
            if show_progress:
                self.stderr.write(f"{done} of {len(files)} files done", ending="\r" if done < len(files) else "\n")
        if failed:
            raise CommandError(f"{failed} of {len(files)} files failed; the others were imported.", returncode=1)

    @staticmethod
    def anchor_line(row: dict) -> str:
        quote = f"claim {row['claim']} “{row['quote']}”"
        if row["state"] == "held":
            return f"  {quote}: anchor holds"
        if row["state"] == "moved":
            return f"  {quote}: moved from {row['from'][0]}–{row['from'][1]} to {row['to'][0]}–{row['to'][1]}"
        return f"  {quote}: BROKEN, flagged for review ({row['reason']})"
