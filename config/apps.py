from django.contrib.admin import autodiscover
from django.contrib.admin.apps import SimpleAdminConfig
from django.contrib.admin.checks import check_admin_app, check_dependencies
from django.core import checks


class ClaimtrailAdminConfig(SimpleAdminConfig):
    """The admin, served by config.admin.ClaimtrailAdminSite (admin.site is that site).

    The admin modules are found when the URLs load (config/urls.py calls autodiscover), not when Django starts:
    a command such as export_claims never imports them, nor the spreadsheet libraries they bring (issue 26). The
    system checks find them first, so that Django's checks of every ModelAdmin still run."""

    default_site = "config.admin.ClaimtrailAdminSite"

    def ready(self):
        checks.register(check_dependencies, checks.Tags.admin)
        checks.register(check_every_admin, checks.Tags.admin)


def check_every_admin(app_configs, **kwargs):
    """Django's check of each registered ModelAdmin, after the admin modules are found (the checks may run before
    anything has loaded the URLs)."""
    autodiscover()
    return check_admin_app(app_configs, **kwargs)
