"""What import_claims and import_links share: open the file, import it in one transaction, report."""

from django.core.management.base import CommandError
from django.template.defaultfilters import pluralize

from claims.exchange.importing import import_spreadsheet
from common.history import RecordedCommand
from common.progress import Progress
from common.tabular import FORMATS
from sources.management.projects import add_project_argument, project_named


class ImportCommand(RecordedCommand):
    what = ""  # "claims" or "links"
    # A data command run by scripts, often, and timed against a plain COPY (issue 26): like export_claims, it does
    # not load every page and admin to check them (`manage.py check` does): 0.7 of its 1.3 CPU-seconds of start-up.
    requires_system_checks = []

    def add_arguments(self, parser):
        super().add_arguments(parser)
        add_project_argument(parser)
        parser.add_argument("file", help=f"a file with a header row: {FORMATS}")
        parser.add_argument(
            "--dry-run", action="store_true", help="check every row, show what would change, write nothing"
        )
        parser.add_argument("--sheet", metavar="NAME", help="the sheet to read in an XLSX file (the first by default)")

    def import_options(self, options) -> dict:
        return {}

    def history_reason(self, options: dict) -> str:
        return f"Imported from {options['file']} by {self.command_name}"

    def handle(self, *args, file, dry_run=False, sheet=None, project=None, **options):
        project = project_named(project)
        progress = Progress(None, label="Checked" if dry_run else "Imported")
        try:
            stream = open(file, "rb")  # noqa: SIM115 (closed below, after the import has read it)
        except OSError as e:
            raise CommandError(f"Cannot read {file}: {e.strerror}.") from e
        with stream:
            report = import_spreadsheet(
                self.what,
                stream,
                name=file,
                sheet=sheet,
                project=project,
                dry_run=dry_run,
                on_rows=progress,
                **self.import_options(options),
            )
        progress.finish()
        for problem in report.problems:
            self.stderr.write(str(problem))
        if report.problems:
            raise CommandError(f"{len(report.problems)} bad row(s) in {file}; nothing was imported.")
        verb = "Would import" if dry_run else "Imported"
        self.stdout.write(
            f"{verb} {report.rows} row{pluralize(report.rows)}: {report.created} new, {report.updated} updated, "
            f"{report.unchanged} unchanged (read as {report.format})."
        )
        for change in report.changes:
            self.stdout.write(f"Would change {change}" if dry_run else f"Changed {change}")
        for name in report.new_speakers:
            self.stdout.write(f"New speaker: {name}")
