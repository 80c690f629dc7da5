"""What django-axes locks after wrong passwords: the account at once, an address only at a much higher count."""

from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum


def lockout_parameters(request_or_attempt, credentials=None) -> list[str]:
    """AXES_LOCKOUT_PARAMETERS: lock by account after AXES_FAILURE_LIMIT wrong passwords, and by address only once
    that address has AXES_ADDRESS_FAILURE_LIMIT of them: a whole newsroom logs in from one office address, and one
    person's mistyped password must not lock everyone out."""
    address = getattr(request_or_attempt, "axes_ip_address", None) or getattr(request_or_attempt, "ip_address", None)
    if address:
        failures = AccessAttempt.objects.filter(ip_address=address).aggregate(n=Sum("failures_since_start"))["n"]
        if (failures or 0) >= settings.AXES_ADDRESS_FAILURE_LIMIT:
            return ["username", "ip_address"]
    return ["username"]
