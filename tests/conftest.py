def pytest_configure(config):
    from django.conf import settings

    # The tests do not run collectstatic: static files are found in the apps, not in STATIC_ROOT.
    settings.STATIC_ROOT = None
    settings.WHITENOISE_USE_FINDERS = True
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
