"""python manage.py verify_captures: re-hash every stored capture and re-check its WARC digests."""

from django.core.management.base import BaseCommand, CommandError

from sources.archives.verifying import verify_captures


class Command(BaseCommand):
    help = (
        "Re-hash every stored capture's raw bytes against its SHA-256 and re-check the digests of its WARC "
        "record, recording the result on the capture (the provenance page shows it). One line per capture "
        "that no longer matches; exit code 1 when any does."
    )

    def handle(self, *args, **options):
        checked = mismatched = 0
        for capture, problem in verify_captures():
            checked += 1
            if problem:
                mismatched += 1
                self.stdout.write(
                    f"MISMATCH capture {capture.pk} ({capture.file_name}) of source {capture.source_id} "
                    f"{capture.source.title}: {problem}"
                )
        if mismatched:
            raise CommandError(f"{mismatched} of {checked} captures no longer match their digests.", returncode=1)
        self.stdout.write(f"verified {checked} capture{'s' if checked != 1 else ''}: every one matches its digests")
