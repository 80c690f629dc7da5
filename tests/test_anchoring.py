import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError

from claims.models import Claim
from claims.services import create_claim
from sources.services import create_source
from tests.base import BaseTestCase


class AnchoringTests(BaseTestCase):
    def test_quote_is_located_when_no_offsets_are_given(self):
        claim = create_claim(source=self.ledger, quote="Talks on joint projects")
        self.assertEqual(
            (claim.start, claim.end), (self.ledger.text.index("Talks"), self.ledger.text.index(" would go"))
        )
        self.assertEqual(self.ledger.text[claim.start : claim.end], claim.quote)

    def test_quote_must_match_the_source_text_at_its_offsets(self):
        with self.assertRaises(ValidationError) as caught:
            create_claim(source=self.ledger, quote="Talks on joint projects", start=0, end=23)
        message = caught.exception.message_dict["quote"][0]
        self.assertIn("at 0–23", message)
        self.assertIn("On 1 June 2017", message)

    def test_missing_quote_is_rejected(self):
        with self.assertRaisesMessage(ValidationError, "does not occur in the source text"):
            create_claim(source=self.ledger, quote="the islands were sold")

    def test_ambiguous_quote_is_rejected_with_its_offsets(self):
        with self.assertRaises(ValidationError) as caught:
            create_claim(source=self.ledger, quote="the")
        message = caught.exception.message_dict["quote"][0]
        first = self.ledger.text.index("the")
        second = self.ledger.text.index("the", first + 1)
        self.assertIn(f"occurs 2 times in the source text (at offsets {first}, {second})", message)
        self.assertIn("give start and end", message)

    def test_ambiguous_quote_is_accepted_with_offsets_that_choose_one(self):
        second = self.ledger.text.index("the", self.ledger.text.index("the") + 1)
        claim = create_claim(source=self.ledger, quote="the", start=second, end=second + 3)
        self.assertEqual(claim.start, second)

    def test_offsets_outside_the_text_are_rejected(self):
        with self.assertRaisesMessage(ValidationError, "outside the source text"):
            create_claim(
                source=self.ledger, quote="go on.", start=len(self.ledger.text) - 5, end=len(self.ledger.text) + 1
            )

    def test_offsets_count_code_points_in_accented_and_emoji_text(self):
        source = create_source(title="Mixed", text="Café 🏝️ — “Итуруп” is named\nin Japanese 択捉島.")
        claim = create_claim(source=source, quote="“Итуруп”")
        self.assertEqual(claim.start, 10)
        self.assertEqual(claim.end, 18)
        located = create_claim(source=source, quote="択捉島", start=40, end=43)
        self.assertEqual(source.text[located.start : located.end], "択捉島")

    def test_claim_spanning_a_line_break_is_anchored(self):
        claim = create_claim(source=self.ledger, quote="unacceptable”.\nTalks")
        self.assertEqual(self.ledger.text[claim.start : claim.end], "unacceptable”.\nTalks")

    def test_database_refuses_a_span_that_does_not_fit_the_quote(self):
        with self.assertRaises(IntegrityError):
            Claim.objects.create(source=self.ledger, quote="Talks", start=0, end=10, kind="paraphrase")

    def test_database_refuses_an_empty_span(self):
        with self.assertRaises(IntegrityError):
            Claim.objects.create(source=self.ledger, quote="", start=3, end=3, kind="paraphrase")

    def test_claimed_on_keeps_its_month_precision(self):
        claim = create_claim(
            source=self.ledger,
            quote="Talks on joint projects",
            claimed_on=datetime.date(2017, 6, 17),
            claimed_on_precision="month",
        )
        claim.refresh_from_db()
        self.assertEqual(claim.claimed_on, datetime.date(2017, 6, 1))
        self.assertEqual(claim.claimed_on_iso, "2017-06")


class OneClaimPerSpanTests(BaseTestCase):
    def test_a_second_claim_on_the_same_words_is_refused_with_the_first_ones_number(self):
        with self.assertRaisesMessage(ValidationError, f"already annotated as claim #{self.unacceptable.pk}"):
            create_claim(source=self.ledger, quote=self.unacceptable.quote)

    def test_the_database_refuses_a_second_claim_on_the_same_words(self):
        with self.assertRaises(IntegrityError):
            Claim.objects.create(
                source=self.ledger,
                quote=self.unacceptable.quote,
                start=self.unacceptable.start,
                end=self.unacceptable.end,
                kind=Claim.Kind.DIRECT_QUOTE,
            )
