from django.apps import AppConfig


class ClaimsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "claims"

    def ready(self):
        from django.db.backends.signals import connection_created

        from claims import rules  # noqa: F401  (registers the permissions made of others with django-rules)
        from claims.anchoring import reanchor_on_new_text
        from claims.corroboration.counting import on_voices_changed
        from claims.services import speakers_merging
        from common.formulas import register_sqlite_function
        from sources.signals import agents_merging, text_replaced, voices_changed

        # SQLite has no regexp_replace: the export's spreadsheet escape is given to each connection as it opens.
        connection_created.connect(register_sqlite_function, dispatch_uid="common.formulas.sqlite_function")

        # A new capture of a source moves, holds or breaks the claims anchored in its text.
        text_replaced.connect(reanchor_on_new_text, dispatch_uid="claims.reanchor_on_new_text")
        # A change to what independence compares (authors, publisher, URL, parent, a merge) moves stored counts.
        voices_changed.connect(on_voices_changed, dispatch_uid="claims.recount_on_voices_changed")
        # People merged into one: the claims they spoke move to that one through their version check and history.
        agents_merging.connect(speakers_merging, dispatch_uid="claims.move_speakers_on_merge")
