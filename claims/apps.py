from django.apps import AppConfig


class ClaimsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "claims"

    def ready(self):
        from claims.anchoring import reanchor_on_new_text
        from sources.signals import text_replaced

        # A new capture of a source moves, holds or breaks the claims anchored in its text.
        text_replaced.connect(reanchor_on_new_text, dispatch_uid="claims.reanchor_on_new_text")
