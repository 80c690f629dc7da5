"""A suggestion's reason names only words both claims have."""

from claims.corroboration.suggestions import suggestions_for
from claims.services import create_claim
from sources.services import create_source
from tests.base import BaseTestCase


class SuggestionReasonTests(BaseTestCase):
    def test_the_reason_names_the_person_both_claims_mention_and_not_one_only_one_mentions(self):
        expert = create_source(
            title="Expert view", text="Valdai Club expert Japan Kistanov said Lavrov stalled the island talks."
        )
        paper = create_source(
            title="Paper", text="Japan said Lavrov stalled the island talks.", url="https://paper.example.org/"
        )
        claim = create_claim(source=expert, quote="Japan Kistanov said Lavrov stalled the island talks")
        other = create_claim(source=paper, quote="Japan said Lavrov stalled the island talks")
        (found,) = [s for s in suggestions_for(claim) if s.claim == other]
        self.assertIn("both mention Lavrov", found.reason)
        self.assertNotIn("Kistanov", found.reason)
