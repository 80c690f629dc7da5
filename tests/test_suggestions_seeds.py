"""Suggestion reasons on the five seed articles, every sentence a claim (issue 25, item 7).

The seeds are read from ../shared/seeds at test time; the tests skip when it is absent."""

import re
import unittest
from pathlib import Path

from django.conf import settings

from claims.corroboration.suggestions import suggestions_for, terms_of
from claims.models import Claim
from sources.services import create_source
from tests.base import BaseTestCase

SEEDS = Path(settings.BASE_DIR).parent / "shared" / "seeds"
NO_SEEDS = "the seed articles are not in ../shared/seeds (they live beside the repository, not in it)"
SENTENCE = re.compile(r"[^.!?\n]*[A-Za-z][^.!?\n]*[.!?]?")


@unittest.skipUnless(SEEDS.is_dir(), NO_SEEDS)
class SeedReasonTests(BaseTestCase):
    check_counts = False  # no links are made here

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        rows = []
        for path in sorted(SEEDS.glob("*.txt")):
            text = path.read_text(encoding="utf-8")
            source = create_source(title=path.name, text=text)
            for m in SENTENCE.finditer(text):
                quote = m.group(0).strip()
                if len(quote.split()) >= 5:
                    start = text.index(quote, m.start())
                    kind = Claim.kind_for(has_speaker=False)
                    rows.append(Claim(source=source, quote=quote, start=start, end=start + len(quote), kind=kind))
        Claim.objects.bulk_create(rows)
        cls.seed_claims = list(Claim.objects.filter(source__title__endswith=".txt").order_by("pk"))

    def seed_claim(self, words: str) -> Claim:
        return next(c for c in self.seed_claims if words in c.quote)

    def test_every_name_a_reason_gives_is_written_in_both_claims(self):
        for claim in self.seed_claims[::3]:
            for suggestion in suggestions_for(claim, limit=5):
                for reason in suggestion.reasons:
                    named = re.fullmatch(r"both mention (.+?)(?: and \d+ more)?", reason)
                    if not named:
                        continue
                    # A date written differently by each ("“last December” / “December 2016”") is quoted apart.
                    names = re.sub(r"“[^”]*” / “[^”]*”(, | and )?", "", named.group(1))
                    for name in filter(None, re.split(r", | and ", names)):
                        with self.subTest(claim=claim.pk, other=suggestion.claim.pk, name=name):
                            self.assertIn(name.lower(), claim.quote.lower())
                            self.assertIn(name.lower(), suggestion.claim.quote.lower())

    def test_no_reason_names_a_name_most_claims_on_the_subject_mention(self):
        # "both mention Russia" says nothing among articles on Russia: no name in more than a tenth of them.
        share = {}
        terms = [terms_of(c.quote) for c in self.seed_claims]
        for claim in self.seed_claims[::3]:
            for suggestion in suggestions_for(claim, limit=5):
                for reason in suggestion.reasons:
                    named = re.fullmatch(r"both mention (.+?)(?: and \d+ more)?", reason)
                    for name in re.split(r", | and ", named.group(1)) if named else []:
                        key = name.lower()
                        if key not in share and re.fullmatch(r"[\w-]+", key):
                            share[key] = sum(key in t for t in terms) / len(terms)
                        with self.subTest(name=name):
                            self.assertLessEqual(share.get(key, 0), 0.1)
                    self.assertNotRegex(reason, r"^claimed in \d{4}$")

    def test_kishida_big_step_is_flagged_against_kistanov_no_breakthrough(self):
        kishida = self.seed_claim("a big step towards resolving the territorial issue")
        kistanov = self.seed_claim("I don’t think that we can talk about a breakthrough")
        suggested = {s.claim: s for s in suggestions_for(kishida)}
        self.assertIn(kistanov, suggested)
        self.assertTrue(suggested[kistanov].possible_contradiction)
        self.assertIn(
            "“a big step” against “don’t think that we can talk about a breakthrough”", suggested[kistanov].reason
        )
