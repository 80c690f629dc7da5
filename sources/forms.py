"""Form pieces shared by every form that edits a date known to a day, a month or a year."""

import datetime

from django import forms
from django.core.exceptions import ValidationError

from sources.dates import from_iso, to_iso


class DateWithPrecisionField(forms.CharField):
    """One text box for a date and its precision: 2017, 2017-06 or 2017-06-01.

    Cleans to (date, precision), with (None, "day") when left empty; parsed by sources.dates.from_iso,
    the parser the CSV import uses too."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 10)
        kwargs.setdefault("help_text", "YYYY, YYYY-MM or YYYY-MM-DD: a year, a month or a day.")
        super().__init__(**kwargs)
        self.widget.attrs.setdefault("placeholder", "YYYY-MM-DD")
        self.widget.attrs.setdefault("size", 10)

    def to_python(self, value) -> tuple[datetime.date | None, str]:
        if isinstance(value, tuple):
            return value
        try:
            return from_iso(super().to_python(value))
        except ValueError as e:
            raise ValidationError(str(e), code="bad_date") from e

    def validate(self, value) -> None:
        if self.required and value[0] is None:
            raise ValidationError(self.error_messages["required"], code="required")

    def run_validators(self, value) -> None:
        # The validators (max length) judge the text typed, not the date it became.
        super().run_validators(to_iso(*value))

    def prepare_value(self, value):
        return to_iso(*value) if isinstance(value, tuple) else value


class DatesWithPrecisionMixin:
    """For a ModelForm over a model that keeps a date in `NAME` and its precision in `NAME_precision`:
    each NAME listed in `dates_with_precision` is one DateWithPrecisionField, shown as the stored value at
    its precision and saved into both model fields. List NAME, not NAME_precision, in Meta.fields."""

    dates_with_precision: tuple[str, ...] = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in self.dates_with_precision:
            value = self.initial.get(name)
            if isinstance(value, datetime.date):
                self.initial[name] = to_iso(value, getattr(self.instance, f"{name}_precision"))

    def clean(self):
        cleaned = super().clean()
        for name in self.dates_with_precision:
            if isinstance(cleaned.get(name), tuple):
                cleaned[name], precision = cleaned[name]
                setattr(self.instance, f"{name}_precision", precision)
        return cleaned
