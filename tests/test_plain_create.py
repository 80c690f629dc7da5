"""A claim made with the plain manager call gets the kind and date clean() would give it."""

import datetime

from claims.models import Claim
from tests.base import LEDGER_TEXT, BaseTestCase


class PlainCreateTests(BaseTestCase):
    def create(self, **extra) -> Claim:
        start = LEDGER_TEXT.index("Talks")
        return Claim.objects.create(source=self.ledger, quote="Talks", start=start, end=start + 5, **extra)

    def test_a_claim_without_a_kind_or_speaker_is_the_authors_assertion(self):
        self.assertEqual(self.create().kind, Claim.Kind.AUTHOR_ASSERTION)

    def test_a_claim_without_a_kind_but_with_a_speaker_is_a_direct_quote(self):
        self.assertEqual(self.create(speaker=self.putin).kind, Claim.Kind.DIRECT_QUOTE)

    def test_a_month_is_stored_as_its_first_day(self):
        claim = self.create(claimed_on=datetime.date(2017, 6, 15), claimed_on_precision="month")
        claim.refresh_from_db()
        self.assertEqual(claim.claimed_on, datetime.date(2017, 6, 1))
