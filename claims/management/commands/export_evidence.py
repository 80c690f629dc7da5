"""python manage.py export_evidence SOURCE_ID [-o FILE]: a source's captures as WARC with its claims' annotations."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.template.defaultfilters import pluralize

from claims.exchange.evidence import evidence_zip
from sources.management.projects import add_project_argument, project_named
from sources.models import Source


class Command(BaseCommand):
    help = (
        "Write a zip with the source's captures as a WARC (source-ID.warc.gz, replayable and re-importable), "
        "each claim as a W3C Web Annotation (annotations.jsonld), and a manifest.json with their SHA-256s."
    )

    def add_arguments(self, parser):
        add_project_argument(parser)
        parser.add_argument("source", type=int, metavar="SOURCE_ID")
        parser.add_argument("-o", "--output", type=Path, help="the zip to write (evidence-source-ID.zip)")

    def handle(self, *args, **options):
        project = project_named(options["project"])
        # Another project's source is not there, as one that never was: the same message.
        source = Source.objects.in_project(project).filter(pk=options["source"]).first()
        if source is None:
            raise CommandError(f"There is no source with id {options['source']}.")
        target = options["output"] or Path(f"evidence-source-{source.pk}.zip")
        target.write_bytes(evidence_zip(source))
        captures, claims = source.captures.count(), source.claims.count()
        self.stdout.write(f"wrote {target}: {captures} capture{pluralize(captures)}, {claims} claim{pluralize(claims)}")
