import sys

from django.core.management.base import BaseCommand, CommandError

from claims.exchange import jsonld
from claims.exchange.columns import claims_csv
from claims.models import Claim
from common.progress import Progress
from config.routers import replica_reads
from sources.management.projects import add_project_argument, project_named
from sources.models import Project


def write_csv(out, *, project: Project | None, on_rows, bom: bool = False) -> None:
    for chunk in claims_csv(project=project, on_rows=on_rows, bom=bom):
        out.write(chunk)


def write_jsonld(out, *, project: Project | None, on_rows, bom: bool = False) -> None:
    """Each claim as a W3C Web Annotation, and reviewed claims as schema.org ClaimReview too (claims/jsonld.py)."""
    claims = jsonld.export_queryset(Claim.objects.all() if project is None else Claim.objects.in_project(project))
    for chunk in jsonld.stream(claims, on_rows=on_rows):
        out.write(chunk.encode("utf-8"))


# One writer per format; each takes a binary stream and a progress callback.
FORMATS = {"csv": write_csv, "jsonld": write_jsonld}


class Command(BaseCommand):
    help = (
        "Export every claim of a project (--project SLUG; the only one by default; --all-projects for the whole "
        "server), in constant memory (COPY on PostgreSQL). Writes to standard output unless -o is given; "
        "a progress line goes to stderr when it is a terminal."
    )

    # A data command run by scripts, often: it does not load every page and admin to check them (`manage.py
    # check` does), which was most of its start-up (issue 26).
    requires_system_checks = []

    def add_arguments(self, parser):
        add_project_argument(parser)
        parser.add_argument(
            "--all-projects",
            action="store_true",
            help="every project's claims, as a superuser's admin export gives them (a backup, a benchmark)",
        )
        parser.add_argument(
            "-o", "--output", metavar="FILE", help="write here instead of standard output (`-` is standard output)"
        )
        parser.add_argument("--format", choices=sorted(FORMATS), default="csv")
        parser.add_argument(
            "--bom", action="store_true", help="start the CSV with a UTF-8 byte order mark (Excel needs it for accents)"
        )

    def handle(self, *args, output=None, format="csv", bom=False, project=None, all_projects=False, **options):
        if all_projects and project:
            raise CommandError("Give --project SLUG or --all-projects, not both.")
        project = None if all_projects else project_named(project)
        claims = Claim.objects.all() if project is None else Claim.objects.in_project(project)
        total = claims.count() if sys.stderr.isatty() else None
        progress = Progress(total, label="Exported")
        with replica_reads():  # a heavy read: on the read replica when there is one
            if output and output != "-":  # `-o -` is standard output, as for most commands
                with open(output, "wb") as out:
                    FORMATS[format](out, project=project, on_rows=progress, bom=bom)
            else:
                FORMATS[format](sys.stdout.buffer, project=project, on_rows=progress, bom=bom)
                sys.stdout.buffer.flush()
        progress.finish()
