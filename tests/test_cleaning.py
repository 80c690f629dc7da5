"""Cleaning raw captures: each kind of page furniture goes, the article's own sentences stay."""

import re
from pathlib import Path
from unittest import skipUnless

from django.conf import settings
from django.test import SimpleTestCase

from sources.cleaning import clean_text, detect_authors, detect_publisher
from sources.importing import METHODS, clean_capture, decode

FIXTURES = Path(__file__).parent / "fixtures" / "articles"
SEEDS = Path(settings.BASE_DIR).parent / "shared" / "seeds"
NO_SEEDS = "the seed articles are not in ../shared/seeds (they live beside the repository, not in it)"


def squeezed(text: str) -> str:
    """Whitespace collapsed: copies of a caption differ only in their spacing."""
    return " ".join(text.split())


def cleaned_fixture(name: str):
    text = decode((FIXTURES / name).read_bytes()).text
    return clean_capture(text, METHODS[Path(name).suffix])


class FixtureFurnitureTests(SimpleTestCase):
    """Our own small articles, one kind of furniture or more in each."""

    def test_icon_strings_menus_and_skip_links_are_removed(self):
        cleaned, _ = cleaned_fixture("harbour_talks.txt")
        self.assertNotIn("IconIcon", cleaned.text)
        self.assertNotIn("Skip to main content", cleaned.text)
        self.assertNotIn("Home | Coast", cleaned.text)
        self.assertIn("navigation", cleaned.removed_kinds)

    def test_a_short_section_label_above_the_title_is_removed(self):
        cleaned, _ = cleaned_fixture("harbour_talks.txt")
        self.assertNotIn("Regional Affairs", cleaned.text)
        self.assertTrue(cleaned.text.startswith("Harbour talks stall over the northern fishing grounds\n"))

    def test_a_paywall_block_inside_the_article_is_removed_and_the_article_goes_on(self):
        cleaned, _ = cleaned_fixture("harbour_talks.txt")
        self.assertNotIn("Subscribe to keep reading", cleaned.text)
        self.assertNotIn("Already a subscriber", cleaned.text)
        self.assertIn("Westmere's harbour master, Piet Korda, answered", cleaned.text)
        self.assertIn("The vote is set for Friday.", cleaned.text)

    def test_template_placeholders_are_removed(self):
        cleaned, _ = cleaned_fixture("harbour_talks.txt")
        self.assertNotIn("{{", cleaned.text)
        self.assertIn("articlesRemaining", " ".join(r.text for r in cleaned.removals))

    def test_a_placeholder_inside_a_long_sentence_is_cut_out_and_the_sentence_kept(self):
        sentence = "The harbour board said that " + "the quota would hold for now, " * 9 + "and {{region}} agreed."
        cleaned = clean_text(f"A title of several words\n\n{sentence}\n")
        self.assertIn("The harbour board said that", cleaned.text)
        self.assertNotIn("{{region}}", cleaned.text)
        self.assertIn("template placeholder", cleaned.removed_kinds)

    def test_sponsored_content_and_the_closing_subscription_offer_are_removed(self):
        cleaned, _ = cleaned_fixture("harbour_talks.txt")
        for furniture in ["Sponsored Content", "Boatbuilders Guild", "Try 2 months", "Offer ends", "See all offers"]:
            self.assertNotIn(furniture, cleaned.text)
        self.assertTrue({"sponsored content", "paywall"} <= cleaned.removed_kinds)

    def test_a_caption_repeated_several_times_goes_with_every_copy(self):
        cleaned, _ = cleaned_fixture("lighthouse_keepers.txt")
        self.assertEqual(cleaned.text.count("A keeper polishes the lens"), 0)
        self.assertEqual([r.kind for r in cleaned.removals].count("repeated caption"), 2)
        self.assertEqual([r.kind for r in cleaned.removals].count("photo caption"), 1)

    def test_a_paragraph_the_scraper_duplicated_appears_once(self):
        cleaned, _ = cleaned_fixture("lighthouse_keepers.txt")
        self.assertEqual(cleaned.text.count("For more than a century a family has lived"), 1)
        self.assertIn("duplicated paragraph", cleaned.removed_kinds)

    def test_a_more_from_list_is_removed_with_its_teasers(self):
        cleaned, _ = cleaned_fixture("lighthouse_keepers.txt")
        self.assertNotIn("More from", cleaned.text)
        self.assertNotIn("price of cod", cleaned.text)
        self.assertNotIn("Kelby market", cleaned.text)

    def test_search_help_lines_are_removed(self):
        cleaned, _ = cleaned_fixture("lighthouse_keepers.txt")
        self.assertNotIn("refine your search", cleaned.text)
        self.assertNotIn("exact phrase", cleaned.text)
        self.assertIn("search help", cleaned.removed_kinds)

    def test_html_goes_through_trafilatura_and_keeps_only_the_article(self):
        cleaned, stated = cleaned_fixture("ferry_fares.html")
        self.assertIn("The island ferry company will raise its fares", cleaned.text)
        self.assertNotIn("<p>", cleaned.text)
        self.assertNotIn("Lighthouse goes automatic", cleaned.text)
        self.assertNotIn("Subscribe for unlimited access", cleaned.text)
        self.assertEqual(stated["title"], "Ferry fares to rise by a fifth")
        self.assertEqual(stated["authors"], ["Jonas Brekke"])
        self.assertEqual(stated["publisher"], "The Weekly Quay")

    def test_markdown_title_and_author_line_are_read(self):
        cleaned, stated = cleaned_fixture("island_school.md")
        self.assertEqual(stated["title"], "Island school to stay open for another three years")
        self.assertEqual(stated["authors"], ["Hanna Lind"])
        self.assertNotIn("ShareIcon", cleaned.text)

    def test_every_removal_names_a_raw_line_that_says_what_was_removed(self):
        raw = (FIXTURES / "lighthouse_keepers.txt").read_text()
        lines = raw.split("\n")
        cleaned = clean_text(raw)
        for removal in cleaned.removals:
            self.assertEqual(lines[removal.line - 1], removal.text)

    def test_the_diff_shows_removed_lines_and_adds_none(self):
        raw = (FIXTURES / "harbour_talks.txt").read_text()
        cleaned = clean_text(raw)
        added = [line for line in cleaned.diff.splitlines() if line.startswith("+") and not line.startswith("+++")]
        self.assertEqual([line for line in added if line.strip("+ ")], [])
        self.assertIn("-Subscribe to keep reading", cleaned.diff)


class FixtureSentencesKeptTests(SimpleTestCase):
    """Cleaning never drops a sentence of the article itself."""

    ARTICLE = {
        "harbour_talks.txt": [
            "Negotiators from Eastport and Westmere left the table on Tuesday",
            "her council would not sign any deal that cut the Eastport quota below last year's level.",
            "such as shared use of the Eastport repair yard.",
            "The vote is set for Friday.",
            "to publish a report on the state of the fish stocks in the contested waters.",
            "Mara Olsen is a senior correspondent covering fisheries",
        ],
        "lighthouse_keepers.txt": [
            "The beam on Outer Skerry will be switched to automatic control next spring",
            "but still felt like the end of something",
            "will save more lives than a keeper on a rock ever could.",
            "Local fishermen disagree.",
            '"A machine does not notice a boat in trouble," said one skipper',
        ],
        "island_school.md": [
            "The only primary school on Inner Skerry will stay open",
            "children would lose whole weeks of lessons.",
            "The council will review the decision once the new ferry timetable is known.",
        ],
        "ferry_fares.html": [
            "which it says was twice as expensive as planned.",
            'calling the rise "a tax on living where our families have always lived".',
            "but it gave no price for it.",
        ],
    }

    def test_every_article_sentence_of_our_fixtures_survives_cleaning(self):
        for name, sentences in self.ARTICLE.items():
            cleaned, _ = cleaned_fixture(name)
            for sentence in sentences:
                with self.subTest(name=name, sentence=sentence):
                    self.assertIn(sentence, cleaned.text)


class DetectionTests(SimpleTestCase):
    def test_a_byline_names_the_author(self):
        self.assertEqual(detect_authors("A title\n\nBy Ada Quill and Ben Rook\n\nText."), ["Ada Quill", "Ben Rook"])

    def test_a_closing_biography_names_the_author(self):
        text = "A title\n\nBody text.\n\nKai Ostrander is an associate professor of history at Kelby."
        self.assertEqual(detect_authors(text), ["Kai Ostrander"])

    def test_a_sentence_about_a_politician_is_not_a_biography(self):
        self.assertEqual(detect_authors("A title\n\nThe mayor is a careful negotiator, aides say."), [])

    def test_a_more_from_heading_names_the_publisher(self):
        self.assertEqual(detect_publisher("Body.\n\nMore from The Coastal Review\n\nTeaser"), "The Coastal Review")


@skipUnless(SEEDS.is_dir(), NO_SEEDS)
class SeedCleaningTests(SimpleTestCase):
    """The five seed captures. Their text stays out of the repository: tests find it by a few words."""

    def seeds(self):
        for path in sorted(SEEDS.glob("*.txt")):
            raw = path.read_text(encoding="utf-8")
            yield path.name, raw, clean_text(raw)

    def seed(self, words: str):
        for _, raw, cleaned in self.seeds():
            if words in raw:
                return raw, cleaned
        self.fail(f"no seed contains {words!r}")

    def test_no_listed_furniture_is_left_in_any_seed(self):
        furniture = [
            "Created with Sketch",
            "IconIcon",
            "{{",
            "Sponsored Content",
            "free article",
            "subscription",
            "See all offers",
            "More from",
            "refine your search",
            "exact matches",
        ]
        for name, _, cleaned in self.seeds():
            for text in furniture:
                with self.subTest(seed=name, furniture=text):
                    self.assertNotIn(text, cleaned.text)

    def test_every_long_paragraph_of_a_seed_appears_exactly_once(self):
        # Lines this long are article prose (furniture lines are short); duplicates must collapse to one.
        for name, raw, cleaned in self.seeds():
            clean = squeezed(cleaned.text)
            captions = {squeezed(r.text) for r in cleaned.removals if r.kind in ("photo caption", "repeated caption")}
            for line in {squeezed(line) for line in raw.splitlines() if len(line) >= 250} - captions:
                with self.subTest(seed=name, line=line[:40]):
                    self.assertEqual(clean.count(line), 1, "a long paragraph is missing or repeated")

    def test_every_sentence_of_each_seed_article_body_survives(self):
        # The body runs from the title to the last long paragraph; each of its sentences must stay.
        for name, raw, cleaned in self.seeds():
            clean = squeezed(cleaned.text)
            lines = raw.splitlines()
            long_lines = [i for i, line in enumerate(lines) if len(line) >= 250]
            # Photo captions are furniture even when long (tests/test_cleaning_furniture.py).
            captions = {r.line for r in cleaned.removals if r.kind in ("photo caption", "repeated caption")}
            body = [
                line
                for number, line in enumerate(lines[long_lines[0] : long_lines[-1] + 1], start=long_lines[0] + 1)
                if number not in captions
            ]
            for line in body:
                for sentence in re.split(r"(?<=[.?!])\s+", line.strip()):
                    if len(sentence) > 20:
                        with self.subTest(seed=name, sentence=sentence[:40]):
                            self.assertTrue(squeezed(sentence) in clean, "an article sentence was dropped")

    def test_a_short_paragraph_between_long_ones_is_kept(self):
        raw, cleaned = self.seed("apparently sees potential benefits")
        line = next(line for line in raw.splitlines() if "apparently sees potential benefits" in line)
        self.assertLess(len(line), 100)
        self.assertIn(line, cleaned.text)

    def test_the_photo_caption_repeated_three_times_goes_with_every_copy(self):
        raw, cleaned = self.seed("Shoigu inspect")
        self.assertGreaterEqual(raw.count("Shoigu inspect"), 3)
        self.assertEqual(cleaned.text.count("Shoigu inspect"), 0)

    def test_the_duplicated_paragraph_is_kept_once(self):
        raw, cleaned = self.seed("hosted a “2+2” ministerial meeting")
        self.assertEqual(raw.count("hosted a “2+2” ministerial meeting"), 2)
        self.assertEqual(cleaned.text.count("hosted a “2+2” ministerial meeting"), 1)

    def test_closing_biography_lines_stay_in_the_article(self):
        _, cleaned = self.seed("is an associate professor")
        self.assertIn("is an associate professor", cleaned.text)
