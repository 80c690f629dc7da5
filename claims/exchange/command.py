"""What import_claims and import_links share: read the file, run the resource's import, report."""

from django.core.management.base import BaseCommand, CommandError

from claims.exchange.columns import read_csv
from common.progress import Progress


class ImportCommand(BaseCommand):
    resource_class = None

    def add_arguments(self, parser):
        parser.add_argument("file", help="a CSV file (UTF-8, with a header row)")
        parser.add_argument("--dry-run", action="store_true", help="check every row and write nothing")

    def handle(self, *args, file, dry_run=False, **options):
        with open(file, encoding="utf-8-sig", newline="") as stream:
            dataset = read_csv(stream)
        progress = Progress(len(dataset), label="Checked" if dry_run else "Imported")
        result = self.resource_class().import_data(dataset, dry_run=dry_run, on_rows=progress, with_rows=False)
        progress.finish()
        report = result.report
        for problem in report.problems:
            self.stderr.write(str(problem))
        if report.problems:
            raise CommandError(f"{len(report.problems)} bad row(s) in {file}; nothing was imported.")
        verb = "Would import" if dry_run else "Imported"
        self.stdout.write(
            f"{verb} {len(dataset)} rows: {report.created} new, {report.updated} updated, {report.unchanged} unchanged."
        )
        for name in report.new_speakers:
            self.stdout.write(f"New speaker: {name}")
