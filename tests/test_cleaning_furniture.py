"""Furniture the first cleaning left in the seed articles: photo captions, a disclaimer, an "Author:" line.

The seed tests read /work/shared/seeds (../shared/seeds from the repository) and skip when it is absent; they
name only short furniture patterns, never the articles' text.
"""

import re
from pathlib import Path
from unittest import skipUnless

from django.conf import settings
from django.test import SimpleTestCase

from sources.cleaning import clean_text

SEEDS = Path(settings.BASE_DIR).parent / "shared" / "seeds"
PROSE = "The council agreed to repair the harbour wall before the winter storms, the mayor told reporters. " * 3


class FurnitureRulesTests(SimpleTestCase):
    def test_a_caption_scraped_three_times_goes_with_every_copy(self):
        caption = "The mayor opens the new pier on the island of Rona."
        cleaned = clean_text(f"Pier opens\n\n{caption}\n{caption}\n{caption}\n\n{PROSE}")
        self.assertNotIn(caption, cleaned.text)
        self.assertEqual(sum(r.kind == "photo caption" for r in cleaned.removals), 1)
        self.assertEqual(sum(r.kind == "repeated caption" for r in cleaned.removals), 2)

    def test_a_line_ending_in_a_photo_credit_is_a_caption(self):
        cleaned = clean_text(f"The mayor at the pier on Monday. (JANE DOE/AFP/Getty Images)\n\n{PROSE}")
        self.assertEqual(cleaned.text, PROSE)
        self.assertEqual(cleaned.removals[0].kind, "photo caption")

    def test_a_short_line_that_places_people_in_a_picture_is_a_caption(self):
        cleaned = clean_text(f"The mayor, left, meets the harbour master in Rona on May 6.\n\n{PROSE}")
        self.assertEqual(cleaned.text, PROSE)

    def test_a_sentence_with_left_in_running_prose_stays(self):
        text = f"{PROSE}\n\nThe ferry left, as planned, at noon."
        self.assertEqual(clean_text(text).text, text)

    def test_a_views_expressed_disclaimer_is_removed(self):
        cleaned = clean_text(f"{PROSE}\n\nViews expressed are of individual contributors, rather than the Club's.")
        self.assertEqual(cleaned.text, PROSE)
        self.assertEqual(cleaned.removals[0].kind, "disclaimer")

    def test_an_author_line_is_read_as_the_authors_and_dropped(self):
        cleaned = clean_text(f"Harbour wall repairs begin soon\n\nAuthor: Ada Quill and Ben Rook\n\n{PROSE}")
        self.assertEqual(cleaned.authors, ["Ada Quill", "Ben Rook"])
        self.assertNotIn("Author:", cleaned.text)
        self.assertEqual([r.kind for r in cleaned.removals], ["byline"])

    def test_words_run_together_stay_as_captured_and_the_notes_say_so(self):
        text = f"{PROSE}\n\nThe ferry sails from Rona inJapan twice a day."
        cleaned = clean_text(text)
        self.assertEqual(cleaned.text, text)
        self.assertEqual(cleaned.notes, ["Words run together, probably by the scraper, left as captured: inJapan."])


@skipUnless(SEEDS.is_dir(), f"the seed articles are not at {SEEDS}")
class SeedArticlesTests(SimpleTestCase):
    def cleaned(self):
        return {path.name: clean_text(path.read_text(encoding="utf-8")) for path in sorted(SEEDS.glob("*.txt"))}

    def test_no_photo_caption_is_left_in_any_seed(self):
        for name, cleaned in self.cleaned().items():
            with self.subTest(seed=name):
                self.assertNotRegex(cleaned.text, r"Getty Images|AFP/|, (left|right), ")

    def test_the_valdai_disclaimer_is_gone(self):
        for name, cleaned in self.cleaned().items():
            with self.subTest(seed=name):
                self.assertNotIn("Views expressed are of", cleaned.text)

    def test_the_author_line_is_read_as_the_author_and_dropped(self):
        with_byline = {name: c for name, c in self.cleaned().items() if any(r.kind == "byline" for r in c.removals)}
        self.assertEqual(len(with_byline), 1)
        cleaned = next(iter(with_byline.values()))
        self.assertNotIn("Author:", cleaned.text)
        byline = next(r.text for r in cleaned.removals if r.kind == "byline")
        self.assertEqual(len(cleaned.authors), 1)
        self.assertIn(cleaned.authors[0], byline)

    def test_run_together_words_are_noted_and_left_in_the_text(self):
        noted = [c for c in self.cleaned().values() if c.notes]
        self.assertTrue(noted)
        for cleaned in noted:
            for word in re.findall(r"\w+", cleaned.notes[0].split(":", 1)[1]):
                self.assertIn(word, cleaned.text)
