from django import forms
from django.core.exceptions import ValidationError

from claims.models import Claim
from claims.rules import advance_version, check_version


class ClaimForm(forms.ModelForm):
    """The claim form, refusing a save made from a version someone else has since changed."""

    seen_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

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
            "claimed_on_precision",
            "kind",
            "status",
            "rating",
            "tags",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.fields["seen_version"].initial = self.instance.version

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk is not None and not self.errors:
            try:
                check_version(claim_id=self.instance.pk, seen_version=cleaned.get("seen_version"))
            except ValidationError as error:
                self.add_error(None, error)
        return cleaned

    def save(self, commit=True):
        if self.instance.pk is not None:
            # The conditional UPDATE that makes the check above hold until the save (see claims.rules).
            advance_version(self.instance, seen_version=self.cleaned_data.get("seen_version"))
        return super().save(commit=commit)
