"""Dates known to a day, a month or a year ("June 2017" is not "1 June 2017")."""

import datetime

from django.db import models


class Precision(models.TextChoices):
    DAY = "day", "day"
    MONTH = "month", "month"
    YEAR = "year", "year"


def truncate(value: datetime.date, precision: str) -> datetime.date:
    """The first day of the period a date stands for at this precision."""
    if precision == Precision.YEAR:
        return value.replace(month=1, day=1)
    if precision == Precision.MONTH:
        return value.replace(day=1)
    return value


def to_iso(value: datetime.date | None, precision: str) -> str:
    """ISO 8601 with the precision kept: 2017-06-01, 2017-06 or 2017."""
    if value is None:
        return ""
    if precision == Precision.YEAR:
        return f"{value.year:04d}"
    if precision == Precision.MONTH:
        return f"{value.year:04d}-{value.month:02d}"
    return value.isoformat()


def from_iso(text: str) -> tuple[datetime.date | None, str]:
    """Parse YYYY, YYYY-MM or YYYY-MM-DD into (date, precision); empty text is no date.

    Raises ValueError saying which forms are accepted (2017-13 and 2017-02-30 are refused too)."""
    text = (text or "").strip()
    if not text:
        return None, Precision.DAY
    parts = text.split("-")
    try:
        if len(parts) == 1 and len(parts[0]) == 4 and text.isdigit():
            return datetime.date(int(parts[0]), 1, 1), Precision.YEAR
        if len(parts) == 2 and len(parts[0]) == 4 and len(parts[1]) == 2 and text.replace("-", "").isdigit():
            return datetime.date(int(parts[0]), int(parts[1]), 1), Precision.MONTH
        if len(parts) == 3 and len(parts[0]) == 4:
            return datetime.date.fromisoformat(text), Precision.DAY
    except ValueError:
        pass
    raise ValueError(f"“{text}” is not a date as YYYY, YYYY-MM or YYYY-MM-DD.")
