"""Captures imported before each one kept the title it gave get it from the source's history (sources migration
0007): a title a Reviewer corrected since then is known as set by a person, and a new capture keeps it."""

import datetime

from sources.importing import title_set_by_a_person
from sources.models import Source
from tests.migrating import MigrationTestCase

BEFORE = [("sources", "0006_history_reasons_of_any_length")]
AFTER = [("sources", "0007_capture_same_bytes_per_source_stated_title")]
IMPORTED = datetime.datetime(2026, 1, 5, 9, 0, tzinfo=datetime.UTC)


class CaptureTitlesFromHistoryTests(MigrationTestCase):
    def test_an_old_capture_gets_the_title_its_import_gave_and_a_later_correction_counts_as_a_persons(self):
        old = self.migrate(BEFORE)
        text = {"text": "Fares rise.", "text_sha256": "0" * 64, "raw_sha256": "0" * 64}
        source = old.get_model("sources", "Source").objects.create(title="Island ferry fares up 20%", **text)
        history = old.get_model("sources", "HistoricalSource").objects
        moments = {"+": IMPORTED - datetime.timedelta(seconds=1), "~": IMPORTED + datetime.timedelta(days=3)}
        for kind, title in (("+", "Ferry fares to rise by a fifth"), ("~", "Island ferry fares up 20%")):
            history.create(
                id=source.pk, title=title, history_date=moments[kind], history_type=kind, created_at=IMPORTED,
                updated_at=IMPORTED, published_on_precision="day", **text,
            )  # fmt: skip
        captures = old.get_model("sources", "Capture").objects
        capture = captures.create(
            source=source, file_name="ferry.html", size=3, sha256="1" * 64, raw=b"abc", encoding="utf-8",
            method="html", software_version="old", imported_by="alice", clean_text="Fares rise.",
        )  # fmt: skip
        captures.filter(pk=capture.pk).update(imported_at=IMPORTED)

        new = self.migrate(AFTER)
        self.assertEqual(
            new.get_model("sources", "Capture").objects.get(pk=capture.pk).stated_title,
            "Ferry fares to rise by a fifth",
        )
        self.migrate()  # the models as they are now
        self.assertTrue(title_set_by_a_person(Source.objects.get(pk=source.pk)))
