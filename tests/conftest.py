import os

from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings


def pytest_configure(config):
    from django.conf import settings

    # The tests do not run collectstatic: static files are found in the apps, not in STATIC_ROOT.
    settings.STATIC_ROOT = None
    settings.WHITENOISE_USE_FINDERS = True
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    # Accounts made and logged in by the tests are hashed with a fast hasher, as Django's testing documentation
    # advises: the production hasher (PBKDF2, a million rounds) takes half a second a password, and almost every
    # test class makes four accounts. Servers the tests start as processes of their own (`make serve`) keep the
    # production settings, for the accounts they make themselves.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# Property-based tests (hypothesis): a fixed, repeatable budget in `make test`; a longer search with
# HYPOTHESIS_PROFILE=long .venv/bin/pytest tests/test_csv_properties.py

_slow_ok = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]
hypothesis_settings.register_profile(
    "default", max_examples=12, derandomize=True, deadline=None, suppress_health_check=_slow_ok
)
hypothesis_settings.register_profile("long", max_examples=2000, deadline=None, suppress_health_check=_slow_ok)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


def pytest_terminal_summary(terminalreporter):
    from tests.races import REPORTS

    if REPORTS:
        terminalreporter.section("races: trials and failures")
        for line in REPORTS:
            terminalreporter.write_line(line)
