from django.apps import AppConfig


class SourcesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "sources"

    def ready(self):
        from sources import rules  # noqa: F401  (registers the permissions made of others with django-rules)
