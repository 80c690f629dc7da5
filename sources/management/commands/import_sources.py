"""python manage.py import_sources PATH [PATH ...]: import raw article files as sources."""

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from common.history import RecordedCommand, recorded_as, recorded_person
from sources.archives.imports import import_archive
from sources.archives.records import is_archive
from sources.importing import ImportRefused, files_in, import_file
from sources.management.projects import add_project_argument, project_named


def retrieved_at(value: str):
    moment = parse_datetime(value)
    if moment is None:
        raise CommandError(f"--retrieved-at: “{value}” is not a date and time such as 2017-06-02T09:30:00Z.")
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment, timezone.UTC)


class Command(RecordedCommand):
    help = (
        "Import into a project (--project SLUG; the only one by default) .txt, .md, .html, .htm and PDF files and "
        "web archives (.warc, .warc.gz, .wacz), or folders of them, "
        "as sources, keeping each raw file or archived response as a capture. One line per page: created, "
        "unchanged or updated, the source id and title. Exit code 1 when any file failed (the others are still "
        "imported), when a path does not exist (nothing is imported) or when there is nothing to import."
    )

    def add_arguments(self, parser):
        super().add_arguments(parser)
        add_project_argument(parser)
        parser.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="files or folders")
        parser.add_argument("--url", default="", help="the URL the files were captured from")
        parser.add_argument("--publisher", default="", help="the publisher's name")
        parser.add_argument("--author", action="append", default=[], help="an author's name (repeatable)")
        parser.add_argument("--published-on", default="", help="YYYY, YYYY-MM or YYYY-MM-DD")
        parser.add_argument("--retrieved-at", type=retrieved_at, help="when the page was fetched (ISO 8601)")
        parser.add_argument("--language", default="", help="BCP 47 code, such as en")
        parser.add_argument(
            "--encoding",
            default="",
            help="the files' encoding (cp1252, shift_jis, …) when it is not UTF-8 and detection is unsure",
        )

    def handle(self, *args, **options):
        options["project"] = project_named(options["project"])
        missing = [str(path) for path in options["paths"] if not path.exists()]
        if missing:
            raise CommandError(f"No such file or folder: {', '.join(missing)}. Nothing was imported.", returncode=1)
        files, skipped = files_in(options["paths"])
        if options["url"] and len(files) > 1:
            # Every file would be a new version of the one source at that URL.
            raise CommandError(f"--url names one page, but {len(files)} files were given; import them one by one.")
        archives = [path for path in files if is_archive(path)]
        if archives and (options["url"] or options["retrieved_at"]):
            raise CommandError(
                f"--url and --retrieved-at do not apply to web archives ({archives[0].name}): "
                "each record states its URL and when it was captured."
            )
        for path in skipped:
            self.stdout.write(f"skipped {path}: not a .txt, .md, .html, .htm, .pdf, .warc, .warc.gz or .wacz file")
        if not files:
            named = ", ".join(str(path) for path in options["paths"])
            raise CommandError(
                f"Nothing to import in {named}: no .txt, .md, .html, .htm, .pdf, .warc, .warc.gz or .wacz file.",
                returncode=1,
            )
        show_progress = self.stderr.isatty() and len(files) > 1
        failed = 0
        for done, path in enumerate(files, start=1):
            if is_archive(path):
                failed += not self.import_archive(path, options)
            else:
                failed += not self.import_file(path, options)
            if show_progress:
                self.stderr.write(f"{done} of {len(files)} files done", ending="\r" if done < len(files) else "\n")
        if failed:
            raise CommandError(f"{failed} of {len(files)} files failed; the others were imported.", returncode=1)

    def import_file(self, path: Path, options: dict) -> bool:
        try:
            with recorded_as(reason=f"Imported from {path.name} by import_sources"):
                result = import_file(
                    path=path,
                    url=options["url"],
                    publisher=options["publisher"],
                    authors=options["author"],
                    published_on=options["published_on"],
                    retrieved_at=options["retrieved_at"],
                    language=options["language"],
                    encoding=options["encoding"],
                    imported_by=recorded_person().get_username(),
                    project=options["project"],
                )
        except (ImportRefused, ValidationError, OSError) as e:
            return self.failed(path, e)
        self.write_result(result)
        return True

    def import_archive(self, path: Path, options: dict) -> bool:
        try:
            with recorded_as(reason=f"Imported from {path.name} by import_sources"):
                outcome = import_archive(
                    path=path,
                    publisher=options["publisher"],
                    authors=options["author"],
                    published_on=options["published_on"],
                    language=options["language"],
                    imported_by=recorded_person().get_username(),
                    project=options["project"],
                )
        except (ImportRefused, ValidationError, OSError) as e:
            return self.failed(path, e)
        for result in outcome.results:
            self.write_result(result)
        if outcome.skipped:
            self.stdout.write(outcome.skipped_line(path.name))
        if not outcome.results:
            self.stderr.write(f"failed {path}: the archive holds no HTML or text page to import")
            return False
        return True

    def failed(self, path: Path, error: Exception) -> bool:
        reason = "; ".join(error.messages) if isinstance(error, ValidationError) else str(error)
        self.stderr.write(f"failed {path}: {reason}")
        return False

    def write_result(self, result) -> None:
        for line in result_lines(result):
            self.stdout.write(line)


def result_lines(result) -> list[str]:
    """What importing one page did: created, unchanged or updated, the source id and title; then the notes (a title
    kept, the same bytes as another source) and each claim's anchor."""
    return [
        f"{result.action} {result.source.pk} {result.source.title}",
        *(f"  {note}" for note in result.notes),
        *(anchor_line(row) for row in result.anchors),
    ]


def anchor_line(row: dict) -> str:
    quote = f"claim {row['claim']} “{row['quote']}”"
    if row["state"] == "held":
        return f"  {quote}: anchor holds"
    if row["state"] == "moved":
        return f"  {quote}: moved from {row['from'][0]}–{row['from'][1]} to {row['to'][0]}–{row['to'][1]}"
    return f"  {quote}: BROKEN, flagged for review ({row['reason']})"
