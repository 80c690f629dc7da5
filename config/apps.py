from django.contrib.admin.apps import AdminConfig


class ClaimtrailAdminConfig(AdminConfig):
    """The admin, served by config.admin.ClaimtrailAdminSite (admin.site is that site)."""

    default_site = "config.admin.ClaimtrailAdminSite"
