"""A suggestion's reason names only words both claims have."""

from claims.corroboration.suggestions import suggestions_for
from claims.services import create_claim
from sources.services import create_source
from tests.base import BaseTestCase


class SuggestionReasonTests(BaseTestCase):
    def test_the_reason_does_not_name_a_person_only_one_claim_mentions(self):
        expert = create_source(
            title="Expert view", text="Valdai Club expert Japan Kistanov said the island talks stalled."
        )
        paper = create_source(
            title="Paper", text="Japan said the island talks stalled.", url="https://paper.example.org/"
        )
        claim = create_claim(source=expert, quote="Japan Kistanov said the island talks stalled")
        other = create_claim(source=paper, quote="Japan said the island talks stalled")
        (found,) = [s for s in suggestions_for(claim) if s.claim == other]
        self.assertNotIn("Kistanov", found.reason)
