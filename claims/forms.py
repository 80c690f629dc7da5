from django import forms
from django.core.exceptions import ValidationError

from claims.models import Claim


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
        seen = cleaned.get("seen_version")
        if self.instance.pk is not None and seen is not None:
            # Lock the row so two saves cannot both pass this check.
            current = (
                Claim.objects.select_for_update().filter(pk=self.instance.pk).values_list("version", flat=True).first()
            )
            if current is not None and current != seen:
                raise ValidationError(
                    "Someone else saved this claim after you opened it. "
                    "Your changes were not saved: reload the page to see theirs, then make yours again.",
                    code="stale_version",
                )
        return cleaned

    def save(self, commit=True):
        if self.instance.pk is not None:
            self.instance.version += 1
        return super().save(commit=commit)
