"""Deletes of sources, people and links while others write what refers to them, under parallel requests to a live
server (PostgreSQL): no request answers 5xx (a deadlock, or a foreign key failing at commit), nothing deleted comes
back, and the stored counts and kept cells are right afterwards."""

import unittest

from django.db import connection
from django.test import LiveServerTestCase

from claims.corroboration.counting import recount_all
from claims.exchange.stored_cells import stale_cells
from claims.models import Claim
from claims.services import create_claim
from sources.models import Source
from sources.services import agent_named, create_source
from tests.races import TRIALS, ApiRequestsAtOnce


def sentences(count: int, thing: str = "ferry") -> str:
    return " ".join(f"Sentence number {n} says the {thing} sails at dawn." for n in range(count))


@unittest.skipUnless(
    connection.vendor == "postgresql",
    "SQLite lets one writer in at a time, so parallel requests cannot race; this needs PostgreSQL (DATABASE_URL).",
)
class DeleteRaceTests(ApiRequestsAtOnce, LiveServerTestCase):
    def tearDown(self):
        self.assertEqual(recount_all(repair=False), {}, "stored counts wrong after the races")
        self.assertEqual(stale_cells(), {}, "kept cells stale after the races")

    def test_a_person_deleted_while_a_claim_of_a_source_they_wrote_is_linked_never_deadlocks(self):
        elsewhere = create_source(title="Elsewhere", text=sentences(TRIALS, "boat"), url="https://else.where/")
        statuses = []
        for n in range(TRIALS):
            author = agent_named(f"Author {n}")
            written = create_source(
                title=f"Written {n}", text=sentences(1), url=f"https://w.example/{n}", authors=[author]
            )
            claim = create_claim(source=written, quote="Sentence number 0 says")
            other = create_claim(source=elsewhere, quote=f"Sentence number {n} says")
            statuses += self.at_once(
                ("DELETE", f"/api/agents/{author.pk}/", None),
                ("POST", "/api/links/", {"claim_a": claim.pk, "claim_b": other.pk}),
                stagger=(n % 5) * 0.004,  # the link's lock before and after the delete touches the claim's cells
            )
        self.report("person deleted while linked", 0, sum(s >= 500 for s in statuses), statuses)

    def test_a_source_deleted_while_claims_are_made_in_it_answers_without_a_server_error(self):
        statuses, broken = [], 0
        for n in range(TRIALS):
            source = create_source(title=f"Doomed {n}", text=sentences(3), url=f"https://doomed.example/{n}")
            annotation = {
                "@context": "http://www.w3.org/ns/anno.jsonld",
                "type": "Annotation",
                "target": {
                    "source": f"{self.live_server_url}/api/sources/{source.pk}/",
                    "selector": {"type": "TextQuoteSelector", "exact": "Sentence number 1 says"},
                },
            }
            answers = self.at_once(
                ("DELETE", f"/api/sources/{source.pk}/", None),
                ("POST", "/api/annotations/", annotation),
                ("POST", "/api/claims/", {"source": source.pk, "quote": "Sentence number 2 says"}),
                stagger=(n % 5) * 0.003,  # the claims' anchoring before and after the delete's check
            )
            statuses += answers
            made = Claim.objects.filter(source=source.pk).count()
            # Deleted (204) with no claim made, or kept (409, still used) with the claims made.
            broken += answers[0] != (409 if made else 204) or Source.objects.filter(pk=source.pk).exists() != bool(made)
        self.report("source deleted while claims are made in it", broken, sum(s >= 500 for s in statuses), statuses)
