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
from rest_framework.exceptions import ErrorDetail, ValidationError

from claims.api.errors import VersionConflict
from claims.forms import ClaimForm
from claims.models import Claim, Link, Tag
from claims.rules import require
from claims.services import save_link
from sources.dates import from_iso
from sources.models import Agent, Source
from sources.services import save_agent, save_source

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
    status, rating = changes.get("status"), changes.get("rating", claim.rating)
    # Asked before the form, so that a role's refusal is a 403, not a form error (claims.rules).
    if status is not None and status != (Claim.Status.DRAFT if new else claim.status):
        require(user, "claims.review_claim")
    if rating != claim.rating:
        require(user, "claims.rate_claim")
    if not new:
        if "version" not in changes:
            raise ValidationError({"version": ["Give the version you read; an update needs it."]})
        changes["seen_version"] = changes.pop("version")
    else:
        changes.pop("version", None)
    if "tags" in changes:
        changes["tags"] = [tag.pk for tag in tags_given(changes["tags"], user=user)]
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
            return save_form(lambda: ClaimForm(data, instance=Claim(created_by=user), user=user), ClaimForm.save)
        return save_form(lambda: ClaimForm(data, instance=Claim.objects.get(pk=claim.pk), user=user), ClaimForm.save)
    except ValidationError as error:
        stale = error.detail.get("non_field_errors", []) if isinstance(error.detail, dict) else []
        if any(message.code == "stale_version" for message in stale):
            current = Claim.objects.filter(pk=claim.pk).values_list("version", flat=True).first()
            raise VersionConflict(" ".join(str(message) for message in stale), current) from error
        raise


def tags_given(names: list[str], *, user: AbstractBaseUser) -> list[Tag]:
    """The tags with these names; new ones are created for those who may add tags, refused for others."""
    names = list(dict.fromkeys(name.strip() for name in names if name.strip()))
    found = {tag.name: tag for tag in Tag.objects.filter(name__in=names)}
    missing = [name for name in names if name not in found]
    if missing and not user.has_perm("claims.add_tag"):
        raise ValidationError({"tags": [f"No tag is named “{name}”." for name in missing]})
    for name in missing:
        found[name] = Tag.objects.get_or_create(name=name)[0]
    return [found[name] for name in names]


def write_source(*, source: Source, changes: dict, user: AbstractBaseUser) -> Source:
    changes = dict(changes)
    split_iso_date(changes, "published_on")
    data = posted(source, list(SourceForm.base_fields), changes)
    return save_form(
        lambda: SourceForm(data, instance=source),
        lambda form: save_source(form.instance, user=user, authors=form.cleaned_data["authors"]),
    )


def write_agent(*, agent: Agent, changes: dict, user: AbstractBaseUser) -> Agent:
    changes = dict(changes)
    if "aliases" in changes:
        changes["aliases"] = "\n".join(changes["aliases"])
    data = posted(agent, list(AgentForm.base_fields), changes)
    return save_form(lambda: AgentForm(data, instance=agent), lambda form: save_agent(form.instance, user=user))


def write_link(*, link: Link, changes: dict, user: AbstractBaseUser) -> Link:
    data = posted(link, list(LinkModelForm.base_fields), changes)
    instance = Link() if link.pk is None else Link.objects.get(pk=link.pk)
    return save_form(
        lambda: LinkModelForm(data, instance=instance), lambda form: save_link(link=form.instance, user=user)
    )
