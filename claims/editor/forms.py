"""Forms of the annotate page. The claim form is the admin's ClaimForm with the editor's widgets."""

from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import AutocompleteSelect
from django.db.models import Q

from claims.forms import ClaimForm
from claims.models import Claim, Link, Tag
from claims.rules import may_review
from sources.dates import Precision
from sources.forms import DateWithPrecisionField
from sources.models import Agent
from sources.services import agent_named


class EditorClaimForm(ClaimForm):
    """ClaimForm (same validation, same version check) with a new-speaker box and new tags."""

    new_speaker = forms.CharField(
        label="Or a new speaker",
        max_length=300,
        required=False,
        help_text="A person not in the list yet; they are added when the claim is saved.",
    )
    new_tags = forms.CharField(label="New tags", max_length=500, required=False, help_text="Comma-separated.")
    field_order = ["speaker", "new_speaker", "claimed_on", "kind", "status", "statement"]

    class Meta(ClaimForm.Meta):
        fields = [
            "quote",
            "start",
            "end",
            "speaker",
            "claimed_on",
            "kind",
            "status",
            "statement",
            "tags",
        ]
        widgets = {
            # Hidden, not a textarea: a textarea turns "\r\n" into "\n", and the quote must match the text exactly.
            "quote": forms.HiddenInput,
            "start": forms.HiddenInput,
            "end": forms.HiddenInput,
            "speaker": AutocompleteSelect(Claim._meta.get_field("speaker"), admin.site),
            "statement": forms.Textarea(attrs={"rows": 3}),
            "tags": forms.SelectMultiple(attrs={"size": 4}),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        source = self.instance.source  # the editor's claims always have theirs
        # The speakers and tags offered and accepted are the source's project's: another's are not even named.
        self.fields["speaker"].queryset = Agent.objects.in_project(source.project_id)
        self.fields["tags"].queryset = Tag.objects.in_project(source.project_id)
        may_write = user.has_perm("claims.change_claim" if self.instance.pk else "claims.add_claim", source)
        if not user.has_perm("sources.add_agent", source):
            del self.fields["new_speaker"]
        if not user.has_perm("claims.add_tag", source):
            del self.fields["new_tags"]
        for name, field in self.fields.items():
            # Only a reviewer sets the review status; a disabled field keeps the stored value.
            if not may_write or (name == "status" and not may_review(user, source)):
                field.disabled = True

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("speaker") and cleaned.get("new_speaker"):
            self.add_error("new_speaker", "Choose a speaker from the list or name a new one, not both.")
        if "kind" in cleaned and not cleaned["kind"] and cleaned.get("new_speaker"):
            # The new speaker is only saved with the claim; the kind follows them as it would a listed one.
            cleaned["kind"] = Claim.kind_for(has_speaker=True)
        return cleaned

    @property
    def duplicate_of(self) -> int | None:
        """The claim that already holds these words, when that is why the form was refused."""
        for error in self.errors.as_data().get("quote", []) if self.is_bound else []:
            if error.code == "duplicate_span":
                return error.params["claim"]
        return None

    def save(self, commit=True):
        new_speaker = self.cleaned_data.get("new_speaker", "").strip()
        project = self.instance.source.project_id
        if new_speaker:
            self.instance.speaker = agent_named(new_speaker, project=self.instance.source.project, user=self.user)
        names = {n.strip() for n in self.cleaned_data.get("new_tags", "").split(",") if n.strip()}
        if names:  # saved with the claim by save_claim, one history record
            chosen = list(self.cleaned_data.get("tags") or [])
            made = [Tag.objects.get_or_create(project_id=project, name=name)[0] for name in sorted(names)]
            self.cleaned_data["tags"] = chosen + made
        return super().save(commit=commit)


class LinkSearchForm(forms.Form):
    """Find claims in other sources by their words, their speaker or when they were made."""

    words = forms.CharField(required=False, max_length=200, help_text="Words of the quote or statement.")
    speaker = forms.CharField(required=False, max_length=300)
    date = DateWithPrecisionField(required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def results(self, claim: Claim, limit: int = 20) -> list[Claim]:
        """Claims in other sources of the claim's project matching every given criterion, not yet linked to it."""
        found = (
            Claim.objects.visible_to(self.user)
            .in_project(claim.source.project_id)
            .exclude(source_id=claim.source_id)
            .exclude(pk__in=Link.objects.filter(claim_a=claim).values("claim_b"))
            .exclude(pk__in=Link.objects.filter(claim_b=claim).values("claim_a"))
            .select_related("source", "speaker")
            .defer("source__text", "source__raw_text")
            .order_by("source__title", "start")
        )
        for word in self.cleaned_data["words"].split():
            found = found.filter(Q(quote__icontains=word) | Q(statement__icontains=word))
        if self.cleaned_data["speaker"]:
            found = found.filter(speaker__name__icontains=self.cleaned_data["speaker"].strip())
        day, precision = self.cleaned_data["date"]
        if day is not None:
            found = found.filter(claimed_on__year=day.year)
            if precision != Precision.YEAR:
                found = found.filter(claimed_on__month=day.month)
            if precision == Precision.DAY:
                found = found.filter(claimed_on__day=day.day)
        return list(found[:limit])


class LinkForm(forms.Form):
    """The claim in another source to link to, how they relate, and a note. Saved by link_claims."""

    # Rendered as radio buttons next to each search result (templates/claims/editor_link_results.html).
    other = forms.ModelChoiceField(queryset=Claim.objects.none(), label="Claim in another source")
    relation = forms.ChoiceField(choices=Link.Relation.choices, initial=Link.Relation.CORROBORATES)
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, user, claim: Claim, **kwargs):
        super().__init__(*args, **kwargs)
        # Only a claim of the same project can be chosen; another project's id is "not one of the choices".
        self.fields["other"].queryset = Claim.objects.visible_to(user).in_project(claim.source.project_id)
