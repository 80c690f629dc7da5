from django.contrib.admin.apps import SimpleAdminConfig


class ClaimtrailAdminConfig(SimpleAdminConfig):
    """The admin, served by config.admin.ClaimtrailAdminSite (admin.site is that site).

    The admin modules are found when the URLs load (config/urls.py calls autodiscover), not when Django starts:
    a command such as export_claims never imports them, nor the spreadsheet libraries they bring (issue 26)."""

    default_site = "config.admin.ClaimtrailAdminSite"
