"""API writes, each through the form the admin uses, so the rules and their messages are the same.

The request body (typed by a write serializer) is laid over the object's current values and given to the
form as if posted; a form error becomes a 400 naming the field, a stale version a 409, a role rule a 403.
"""

from collections.abc import Callable

from django import forms
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.forms.models import model_to_dict
from django.shortcuts import get_object_or_404
from rest_framework.exceptions import ErrorDetail, ValidationError

from claims.api.errors import VersionConflict
from claims.forms import ClaimForm
from claims.models import Claim, Link, Tag
from claims.rules import require
from claims.services import save_link
from common.projects import NO_PROJECT_MESSAGE, ProjectQuerySet
from sources.dates import from_iso
from sources.models import Agent, Project, Source
from sources.services import save_agent, save_source

# Django's own words for an id that is not among a field's choices: another project's id reads as no id at all.
NOT_A_CHOICE = forms.ModelChoiceField.default_error_messages["invalid_choice"]

SourceForm = forms.modelform_factory(
    Source,
    fields=[
        "title",
        "url",
        "publisher",
        "authors",
        "published_on",
        "published_on_precision",
        "language",
        "text",
        "notes",
    ],
)
AgentForm = forms.modelform_factory(Agent, fields=["name", "kind", "aliases", "wikidata_id", "parent"])
LinkModelForm = forms.modelform_factory(Link, fields=["claim_a", "claim_b", "relation", "note"])


def scoped(form: forms.ModelForm, user: AbstractBaseUser, project: Project | int | None = None) -> forms.ModelForm:
    """The form with each related field choosing among the rows the user may see (common.projects.visible_to),
    of `project` when given: an id of another project is refused as "not one of the available choices", never
    written, and says nothing of that project."""
    for field in form.fields.values():
        if isinstance(field, forms.ModelChoiceField):
            rows = field.queryset.visible_to(user)
            field.queryset = rows if project is None else rows.in_project(project)
    return form


def project_for_adding(user: AbstractBaseUser, given, permission: str) -> Project:
    """The project a new source or person goes in: the one named (its slug or id) among those where the user holds
    `permission`, else the only such project; a 400 naming the `project` field otherwise."""
    # Project's own manager is Django's plain one; the one home's queryset asks the same membership question.
    visible = ProjectQuerySet(Project).visible_to(user).order_by("pk")
    projects = [project for project in visible if user.has_perm(permission, project)]
    if given not in (None, ""):
        given = str(given).strip()
        for project in projects:
            if given in (project.slug, str(project.pk)):
                return project
        raise ValidationError({"project": [f"You may not add to a project “{given}”, or there is none."]})
    if len(projects) == 1:
        return projects[0]
    if not projects:
        raise ValidationError({"project": ["You may not add in any project."]})
    raise ValidationError({"project": [NO_PROJECT_MESSAGE.split(" (")[0] + ": give its slug or id in `project`."]})


def form_errors(form: forms.BaseForm) -> dict[str, list[ErrorDetail]]:
    """The form's errors keyed as DRF keys them (fields by name, the rest as non_field_errors), with their codes."""
    return {
        ("non_field_errors" if name == forms.forms.NON_FIELD_ERRORS else name): [
            ErrorDetail(message, code=error.code) for error in errors for message in error.messages
        ]
        for name, errors in form.errors.as_data().items()
    }


def split_iso_date(values: dict, name: str) -> None:
    """Replace an ISO date with its precision ("2017-06") by the date and precision fields the form takes."""
    if name not in values:
        return
    try:
        day, precision = from_iso(values.pop(name))
    except ValueError as e:
        raise ValidationError({name: [str(e)]}) from e
    values[name] = day.isoformat() if day else ""
    values[f"{name}_precision"] = precision


def posted(instance, fields: list[str], changes: dict) -> dict:
    """The form data a browser would post: the instance's current values with the request's changes on top."""
    data = model_to_dict(instance, fields=fields)
    data.update(changes)
    return {name: ("" if value is None else value) for name, value in data.items()}


def save_form(make_form: Callable[[], forms.ModelForm], save: Callable[[forms.ModelForm], object]):
    """Validate the form and `save` it through its object's service; when a concurrent request saved the same
    thing first (a unique index refuses the row), validate a fresh form again so the answer is the message a later
    request would get. A service's ValidationError is the form's, a 400 naming the field."""
    form = make_form()
    try:
        with transaction.atomic():
            if form.is_valid():
                try:
                    return save(form)
                except DjangoValidationError as error:
                    form.add_error(None, error)
    except IntegrityError:
        form = make_form()
        if form.is_valid():
            raise
    raise ValidationError(form_errors(form))


@transaction.atomic
def write_claim(*, claim: Claim, changes: dict, user: AbstractBaseUser) -> Claim:
    """Create (claim without pk) or update a claim from an API body, through ClaimForm as the admin does."""
    changes = dict(changes)
    new = claim.pk is None
    # The source named (or the claim's own): a source the user may not see is no source at all (a 400).
    source = Source.objects.visible_to(user).filter(pk=changes.get("source", claim.source_id)).first()
    if source is None:
        raise ValidationError({"source": [NOT_A_CHOICE]})
    status, rating = changes.get("status"), changes.get("rating", claim.rating)
    # Asked before the form, so that a role's refusal is a 403, not a form error (claims.rules), in the project of
    # the claim's source.
    if status is not None and status != (Claim.Status.DRAFT if new else claim.status):
        require(user, "claims.review_claim", obj=source)
    if rating != claim.rating:
        require(user, "claims.rate_claim", obj=source)
    if not new:
        if "version" not in changes:
            raise ValidationError({"version": ["Give the version you read; an update needs it."]})
        changes["seen_version"] = changes.pop("version")
    else:
        changes.pop("version", None)
    if "tags" in changes:
        changes["tags"] = [tag.pk for tag in tags_given(changes["tags"], user=user, source=source)]
    if not new and changes.get("quote", claim.quote) != claim.quote and not {"start", "end"} & set(changes):
        # New words without offsets are located in the text (Claim.anchor), as on a new claim: not at the old ones.
        changes["start"] = changes["end"] = None
    fields = [name for name in ClaimForm.Meta.fields if name != "tags"]
    data = posted(claim, fields, changes)
    if "claimed_on" not in changes:
        # ClaimForm takes the date as the API gives it, at its precision ("2017-06"), not as a day.
        data["claimed_on"] = claim.claimed_on_iso
    if "tags" not in data:
        data["tags"] = [] if new else list(claim.tags.values_list("pk", flat=True))
    try:
        if new:
            return save_form(
                lambda: scoped(ClaimForm(data, instance=Claim(created_by=user), user=user), user), ClaimForm.save
            )
        return save_form(
            lambda: scoped(ClaimForm(data, instance=Claim.objects.get(pk=claim.pk), user=user), user), ClaimForm.save
        )
    except ValidationError as error:
        stale = error.detail.get("non_field_errors", []) if isinstance(error.detail, dict) else []
        if any(message.code == "stale_version" for message in stale):
            current = Claim.objects.filter(pk=claim.pk).values_list("version", flat=True).first()
            raise VersionConflict(" ".join(str(message) for message in stale), current) from error
        raise


def tags_given(names: list[str], *, user: AbstractBaseUser, source: Source) -> list[Tag]:
    """The tags of the source's project with these names; new ones are created there for those who may add tags
    in it, refused for others (a tag of the same name in another project is not theirs)."""
    names = list(dict.fromkeys(name.strip() for name in names if name.strip()))
    tags = Tag.objects.in_project(source.project_id)
    found = {tag.name: tag for tag in tags.filter(name__in=names)}
    missing = [name for name in names if name not in found]
    if missing and not user.has_perm("claims.add_tag", source):
        raise ValidationError({"tags": [f"No tag is named “{name}”." for name in missing]})
    for name in missing:
        found[name] = Tag.objects.get_or_create(project_id=source.project_id, name=name)[0]
    return [found[name] for name in names]


def write_source(*, source: Source, changes: dict, user: AbstractBaseUser) -> Source:
    """Create (with `project` among the changes, or the only project the user may add in) or update a source."""
    changes = dict(changes)
    given = changes.pop("project", None)
    if source.pk is None:
        source.project = project_for_adding(user, given, "sources.add_source")
    split_iso_date(changes, "published_on")
    data = posted(source, list(SourceForm.base_fields), changes)
    return save_form(
        lambda: scoped(SourceForm(data, instance=source), user, source.project_id),
        # The authors when the request changes them: re-set as read, they would undo a merge's made meanwhile.
        lambda form: save_source(
            form.instance, user=user, authors=form.cleaned_data["authors"] if "authors" in form.changed_data else None
        ),
    )


def write_agent(*, agent: Agent, changes: dict, user: AbstractBaseUser) -> Agent:
    """Create (with `project` among the changes, or the only project the user may add in) or update a person."""
    changes = dict(changes)
    given = changes.pop("project", None)
    if agent.pk is None:
        agent.project = project_for_adding(user, given, "sources.add_agent")
    if "aliases" in changes:
        changes["aliases"] = "\n".join(changes["aliases"])
    data = posted(agent, list(AgentForm.base_fields), changes)
    return save_form(
        lambda: scoped(AgentForm(data, instance=agent), user, agent.project_id),
        lambda form: save_agent(form.instance, user=user, fields=form.changed_data if agent.pk else None),
    )


def write_link(*, link: Link, changes: dict, user: AbstractBaseUser) -> Link:
    data = posted(link, list(LinkModelForm.base_fields), changes)
    instance = Link() if link.pk is None else get_object_or_404(Link, pk=link.pk)  # deleted since the view read it
    return save_form(
        lambda: scoped(LinkModelForm(data, instance=instance), user),
        lambda form: save_link(link=form.instance, user=user),
    )
