"""A plain-text or Markdown article's publication date is read where its head states it (a "Published" line, a
byline, a dateline), at the precision it states, never from a date its prose or a caption mentions; the source's
notes and the provenance page say where it was read.

The seed tests read /work/shared/seeds (../shared/seeds from the repository) and skip when it is absent."""

import datetime
import io
import shutil
import tempfile
from pathlib import Path
from unittest import skipUnless

from django.conf import settings
from django.core.management import call_command
from django.test import SimpleTestCase
from django.urls import reverse

from sources.dates import Precision
from sources.importing import clean_capture
from sources.models import Capture, Source
from sources.stated_dates import stated_publication_date
from tests.base import BaseTestCase

SEEDS = Path(settings.BASE_DIR).parent / "shared" / "seeds"
NO_SEEDS = "the seed articles are not in ../shared/seeds (they live beside the repository, not in it)"
BODY = (
    "The ferry to the outer islands ran two hours late again this week, and the harbour master said the new "
    "timetable would not be ready before the autumn."
)


def date_of(text: str) -> tuple[datetime.date | None, str] | None:
    stated = stated_publication_date(text)
    return None if stated is None else (stated.value, stated.precision)


class StatedDateTests(SimpleTestCase):
    def test_a_published_line_gives_the_day(self):
        text = f"Ferries run late again\n\nPublished: June 1, 2017\n\n{BODY}"
        self.assertEqual(date_of(text), (datetime.date(2017, 6, 1), Precision.DAY))

    def test_a_month_is_kept_as_a_month(self):
        self.assertEqual(
            date_of(f"Ferries run late again\nPublished June 2017\n{BODY}"),
            (datetime.date(2017, 6, 1), Precision.MONTH),
        )

    def test_a_year_after_a_label_is_kept_as_a_year(self):
        self.assertEqual(
            date_of(f"Ferries run late again\nFirst published 2016\n{BODY}"),
            (datetime.date(2016, 1, 1), Precision.YEAR),
        )

    def test_a_date_and_place_line_is_a_byline(self):
        self.assertEqual(
            date_of(f"Ferries run late again\n\nJune 1, 2017 | Tokyo\n\n{BODY}"),
            (datetime.date(2017, 6, 1), Precision.DAY),
        )

    def test_a_byline_with_a_name_and_a_date(self):
        self.assertEqual(
            date_of(f"Ferries run late again\nBy Ada Quill, 1 June 2017\n{BODY}"), (datetime.date(2017, 6, 1), "day")
        )
        self.assertEqual(
            date_of(f"Ferries run late again\nAda Quill · Sept. 5, 2016\n{BODY}"), (datetime.date(2016, 9, 5), "day")
        )

    def test_a_posted_on_line_with_a_date_that_reads_one_way(self):
        text = f"Ferries run late again\nPosted on 25/06/2017 by Ada Quill\n{BODY}"
        self.assertEqual(date_of(text), (datetime.date(2017, 6, 25), Precision.DAY))

    def test_a_numeric_date_that_reads_two_ways_is_not_guessed_and_the_note_says_why(self):
        stated = stated_publication_date(f"Ferries run late again\nPosted on 01/06/2017 by Ada Quill\n{BODY}")
        self.assertIsNone(stated.value)
        self.assertIn("reads two ways", stated.note)

    def test_a_dateline_opening_the_first_paragraph(self):
        text = f"Ferries run late again\n\nHARBOUR TOWN, Dec. 16, 2016 — {BODY}"
        self.assertEqual(date_of(text), (datetime.date(2016, 12, 16), Precision.DAY))

    def test_a_date_the_prose_mentions_is_not_the_publication_date(self):
        self.assertIsNone(date_of(f"Summit diplomacy\n\nIn December 2016 Putin visited Japan.\n\n{BODY}"))
        self.assertIsNone(date_of(f"Survey trip\n\nOn June 27, 2017 a team of officials left for the islands. {BODY}"))

    def test_a_date_in_a_photo_caption_is_not_the_publication_date(self):
        caption = "The harbour master, left, and the mayor inspect the new pier on July 16, 2013. (Ada Quill/Ledger)"
        self.assertIsNone(date_of(f"Ferries run late again\n{caption}\n{BODY}"))

    def test_a_date_line_below_the_head_is_not_read(self):
        paragraphs = "\n".join(f"Paragraph {n}. {BODY}" for n in range(10))
        self.assertIsNone(date_of(f"Ferries run late again\n{paragraphs}\nPublished: June 1, 2017"))

    def test_an_updated_line_is_not_the_publication_date(self):
        self.assertIsNone(date_of(f"Ferries run late again\nUpdated: June 3, 2017\n{BODY}"))

    def test_a_date_without_a_year_is_not_read(self):
        self.assertIsNone(date_of(f"Ferries run late again\nJune 1 | Tokyo\n{BODY}"))


class ImportedStatedDateTests(BaseTestCase):
    def setUp(self):
        self.folder = Path(tempfile.mkdtemp())
        self.addCleanup(shutil.rmtree, self.folder)

    def import_text(self, name: str, text: str, *options) -> Source:
        path = self.folder / name
        path.write_text(text, encoding="utf-8")
        call_command("import_sources", str(path), *options, stdout=io.StringIO(), stderr=io.StringIO())
        return Capture.objects.get(file_name=name).source

    def test_an_imported_text_gets_its_stated_date_at_its_precision_and_says_where_it_was_read(self):
        source = self.import_text("ferries.txt", f"Ferries run late again\n\nPublished: June 2017\n\n{BODY}\n")
        self.assertEqual(source.published_on_iso, "2017-06")
        self.assertIn("Publication date 2017-06 (to the month) read from a “Published” line on line 3", source.notes)

    def test_a_markdown_dateline_is_read(self):
        source = self.import_text("ferries.md", f"# Ferries run late again\n\nHARBOUR TOWN, June 1, 2017 — {BODY}\n")
        self.assertEqual((source.published_on, source.published_on_precision), (datetime.date(2017, 6, 1), "day"))

    def test_a_date_given_on_the_command_line_wins_and_no_note_claims_otherwise(self):
        source = self.import_text(
            "ferries.txt", f"Ferries run late again\n\nPublished: June 1, 2017\n\n{BODY}\n", "--published-on", "2017"
        )
        self.assertEqual(source.published_on_iso, "2017")
        self.assertNotIn("Publication date", source.notes)

    def test_the_provenance_page_says_where_the_date_was_read(self):
        source = self.import_text("ferries.txt", f"Ferries run late again\n\nJune 1, 2017 | Tokyo\n\n{BODY}\n")
        self.client.force_login(self.bob)
        page = self.client.get(reverse("sources:provenance", args=[source.pk]))
        self.assertContains(page, "read from a byline on line 3 of the clean text")


@skipUnless(SEEDS.is_dir(), NO_SEEDS)
class SeedStatedDateTests(SimpleTestCase):
    """Read by hand, none of the five seeds states its publication date in its head: their dates are mentions
    ("On June 27, Japan dispatched …", "visit in December 2016", a caption's "on July 16, 2013", an offer's
    "Sep. 30" at the end) and a dateline without a date ("TOKYO -- For decades …")."""

    def test_no_seed_gets_a_publication_date_from_a_date_it_only_mentions(self):
        for path in sorted(SEEDS.glob("*.txt")):
            with self.subTest(seed=path.name):
                _, stated = clean_capture(path.read_text(encoding="utf-8"), Capture.Method.TEXT)
                self.assertIsNone(stated.get("published_on"))
                self.assertNotIn("published_on_note", stated)
