"""The `--project SLUG` option every command that reads or writes one project's work shares."""

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError

from common.projects import project_or_sole
from sources.models import Project


def add_project_argument(parser) -> None:
    parser.add_argument(
        "--project",
        metavar="SLUG",
        help="the project to work in (needed when the server has several; the only one otherwise)",
    )


def project_named(slug: str | None) -> Project:
    """The project with this slug, else the server's only one; a CommandError listing the slugs to choose from when
    the slug is unknown or the server has several projects and none was named."""
    if slug:
        project = Project.objects.filter(slug=slug).first()
        if project is None:
            raise CommandError(f"There is no project “{slug}”. The projects are: {slugs()}.")
        return project
    try:
        return project_or_sole(None)
    except ValidationError as error:
        raise CommandError(f"This server has several projects; choose one with --project SLUG: {slugs()}.") from error


def slugs() -> str:
    return ", ".join(Project.objects.order_by("slug").values_list("slug", flat=True)) or "(none)"
