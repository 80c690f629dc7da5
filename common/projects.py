"""The one home of scoping by project: which rows a person may see, and which project an object belongs to.

Every model of a project's work says where its project is (`project_path`: "project" on a source, a person, a tag
and a claim, which keeps its source's; "source__project" on a capture, …). `visible_to(user)` keeps the rows of the
projects the user is a member of; `project_of(obj)` follows the same path on one object, for the permission
backend (sources.backends), which answers each permission from the role the user holds in that object's project.
Every list, page, API answer, export, import and command reads through `visible_to` (or takes a project it was
given); what another project holds is never found, so its pages answer 404.

A superuser sees every project. So does a person given a model's view permission directly (not through a role):
a direct permission is a grant across the server, made on purpose in the admin's users page. A command run
without a user (None) acts as the system and sees everything too.
"""

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import models

NO_PROJECT_MESSAGE = "Choose a project: this server has several (give --project SLUG to a command)."


def member_projects(user) -> list[int]:
    """The ids of the projects the user is a member of, read with their roles' permissions by the permission
    backend (sources.backends), once per user object. Given to the database as values, not a subquery: the
    planner then knows each project's share of the rows."""
    if not user.is_authenticated:
        return []
    if not hasattr(user, "_project_perm_cache"):
        user.get_all_permissions()  # the backend reads the roles held, and keeps them on the user object
    return sorted(getattr(user, "_project_perm_cache", {}))


def sees_everything(user, model) -> bool:
    if user is None or user.is_superuser:
        return True
    if not user.is_active:
        return False
    # A direct grant of the model's view permission (never a role's) reaches every project.
    codename = f"{model._meta.app_label}.view_{model._meta.model_name}"
    return codename in user.get_user_permissions()


class ProjectQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The rows of the projects this user is a member of (all of them for a superuser or the system)."""
        if sees_everything(user, self.model):
            return self
        if not user.is_active or user.is_anonymous:
            return self.none()
        return self.filter(**{f"{self.model.project_path}__in": member_projects(user)})

    def in_project(self, project):
        """The rows of one project (a Project or its id)."""
        return self.filter(**{self.model.project_path: project})


def only_project_seen_by(user, model) -> int | None:
    """The one project whose rows of `model` the user sees, when they see one only (a member of one project);
    None when they see several or all."""
    if sees_everything(user, model):
        return None
    projects = member_projects(user)
    return projects[0] if len(projects) == 1 else None


def project_of(obj) -> int | None:
    """The id of the project an object belongs to, following its model's `project_path`; None for an object of
    no project (a user, a group) or one not yet placed (a new claim with no source). Related objects already
    loaded are used as they are; the rest of the path is one small query (never a source's text)."""
    path = getattr(type(obj), "project_path", None)
    if path is None:
        return None
    if path == "pk":
        return obj.pk
    *steps, last = path.split("__")
    value = obj
    for n, step in enumerate(steps):
        field = type(value)._meta.get_field(step)
        if not field.is_cached(value):
            related_id = getattr(value, field.attname)
            if related_id is None:
                return None
            rest = "__".join([*steps[n + 1 :], last])
            return field.related_model._default_manager.filter(pk=related_id).values_list(rest, flat=True).first()
        value = getattr(value, step)
        if value is None:
            return None
    return getattr(value, f"{last}_id", None)


def sole_project():
    """The project of a server that has one (made, as "Main", on a server that has none), which is where a new
    source or person goes when none is named; None when there are several (the caller must name one)."""
    Project = apps.get_model("sources", "Project")
    projects = list(Project.objects.order_by("pk")[:2])
    if len(projects) == 1:
        return projects[0]
    if not projects:
        return Project.objects.get_or_create(slug="main", defaults={"name": "Main"})[0]
    return None


def project_or_sole(project):
    """The project given, else the server's only one; a ValidationError naming the choice when there are several."""
    if project is not None:
        return project
    project = sole_project()
    if project is None:
        raise ValidationError({"project": NO_PROJECT_MESSAGE}, code="no_project")
    return project


def place_in_sole_project(obj) -> None:
    """Give a new object with no project the server's only one; a clear error when there are several."""
    if obj.project_id is None:
        project = sole_project()
        if project is None:
            raise ValidationError({"project": NO_PROJECT_MESSAGE}, code="no_project")
        obj.project = project


def same_project(*objects, field: str = "project") -> None:
    """A ValidationError (on `field`) unless these objects, the Nones left out, are all of one project."""
    projects = {project_of(obj) for obj in objects if obj is not None}
    projects.discard(None)
    if len(projects) > 1:
        raise ValidationError(
            {field: "These belong to different projects; everything linked must be of one project."},
            code="other_project",
        )


def stays_in_its_project(obj) -> None:
    """A saved source or person stays in the project it was made in (its claims, links and names go with it)."""
    stored = getattr(obj, "_stored_project_id", None)
    if stored is not None and stored != obj.project_id:
        raise ValidationError(
            {"project": "A source or person stays in the project it was made in; make a new one in the other."},
            code="project_changed",
        )


class InAProject:
    """A model with its own project field (a source, a person, a tag): placed in the server's only project when
    saved with none, and remembers the project it was read with (stays_in_its_project)."""

    def save(self, *args, **kwargs):
        place_in_sole_project(self)
        super().save(*args, **kwargs)

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._stored_project_id = instance.__dict__.get("project_id")
        return instance


def stays_in_project(claim, stored_source_id: int) -> None:
    """A claim moved to another source stays in its project (its links and tags are the project's)."""
    Source = apps.get_model("sources", "Source")
    if Source.objects.filter(pk=stored_source_id).values_list("project_id", flat=True).first() != project_of(claim):
        raise ValidationError({"source": "A claim moves only to a source of its own project."}, code="other_project")
