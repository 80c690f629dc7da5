from django import forms
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ImproperlyConfigured, ValidationError

from claims.models import Claim
from claims.rules import (
    UNCHANGED,
    check_rating,
    check_version,
    may_review,
    status_after_edit,
    stored_for_review_rule,
)
from claims.services import save_claim
from common.projects import same_project
from sources.forms import DatesWithPrecisionMixin, DateWithPrecisionField
from sources.models import Agent, Source


class ClaimForm(DatesWithPrecisionMixin, forms.ModelForm):
    """The claim form, through the rules of claims.rules: the version check (a save made from a version someone
    else has since changed is refused) and the status rule (who may set it, and a reworded reviewed claim going
    back to draft). It needs the user who saves: `user=` or, for the admin's form classes, a `user` attribute.

    Saved through claims.services.save_claim: the claim and its tags, one history record.

    A new claim's date starts as its source's publication date, at the same precision, when the form knows
    the source; the kind left at its empty choice follows the speaker (Claim.normalise)."""

    seen_version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    user: AbstractBaseUser | None = None
    claimed_on = DateWithPrecisionField(label="Claimed on", required=False)
    dates_with_precision = ("claimed_on",)

    class Meta:
        model = Claim
        fields = [
            "source",
            "quote",
            "start",
            "end",
            "statement",
            "speaker",
            "claimed_on",
            "kind",
            "status",
            "rating",
            "tags",
        ]

    def __init__(self, *args, user: AbstractBaseUser | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user or self.user
        if self.user is None:
            raise ImproperlyConfigured("ClaimForm needs the user who saves the claim.")
        if not self.is_bound:
            self.fields["seen_version"].initial = self.instance.version
        if "kind" in self.fields:
            self.fields["kind"].choices = [("", Claim.KIND_FROM_SPEAKER), *Claim.Kind.choices]
        if self.instance.pk is None and not self.is_bound and not self.initial.get("claimed_on"):
            source = self.instance.source if self.instance.source_id else self.initial_source()
            if source is not None:
                self.initial["claimed_on"] = source.published_on_iso

    def initial_source(self) -> Source | None:
        """The source named by the admin's add page (?source=<id>), if any."""
        source_id = self.initial.get("source")
        if not str(source_id or "").isdigit():
            return None
        return Source.objects.only("published_on", "published_on_precision").filter(pk=source_id).first()

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        self.stored = stored_for_review_rule(self.instance.pk)
        # Asked again by save_claim; here to show it next to the field (a member of two projects is offered both's).
        source = cleaned.get("source") or (self.instance.source if self.instance.source_id else None)
        if cleaned.get("tags") and source is not None:
            try:
                same_project(source, *cleaned["tags"], field="tags")
            except ValidationError as error:
                self.add_error(None, error)
        if self.instance.pk is not None:
            try:
                source = cleaned.get("source")
                speaker = cleaned.get("speaker") if "speaker" in self.fields else UNCHANGED
                check_version(
                    claim_id=self.instance.pk,
                    seen_version=cleaned.get("seen_version"),
                    source_id=source.pk if source else None,
                    speaker_id=speaker.pk if isinstance(speaker, Agent) else speaker,
                )
            except ValidationError as error:
                self.add_error(None, error)
        # A status field left out of the form (read-only in the admin) keeps the stored status.
        status = cleaned.get("status", self.instance.status)
        try:
            proposed = {**(self.stored or {}), "status": status}
            status_after_edit(reviewer=may_review(self.user), stored=self.stored, proposed=proposed)
        except ValidationError as error:
            self.add_error("status" if "status" in self.fields else None, error.message_dict["status"])
        if "rating" in self.fields:
            try:
                check_rating(reviewer=may_review(self.user), stored=self.stored, rating=cleaned.get("rating"))
            except ValidationError as error:
                self.add_error("rating", error.message_dict["rating"])
        return cleaned

    def save(self, commit=True):
        """Saved through claims.services.save_claim, the claim's one door. Uncommitted (the admin's save_form), the
        instance is returned for the admin's save_model to hand to the service."""
        self.save_m2m = lambda: None  # the tags are saved by save_claim with the claim, as one history record
        if not commit:
            return self.instance
        tags = self.cleaned_data["tags"] if "tags" in self.fields else None
        return save_claim(self.instance, user=self.user, seen_version=self.cleaned_data.get("seen_version"), tags=tags)
