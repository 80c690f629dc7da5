def pytest_configure(config):
    from django.conf import settings

    # The tests do not run collectstatic, so serve static files without the hashed manifest.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
