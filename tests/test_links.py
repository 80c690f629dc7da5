from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from claims.models import Claim, Link
from claims.services import create_claim, link_claims
from tests.base import BaseTestCase


class LinkRuleTests(BaseTestCase):
    def test_a_claim_cannot_be_linked_to_itself(self):
        with self.assertRaisesMessage(ValidationError, "cannot be linked to itself"):
            link_claims(claim_a=self.unacceptable, claim_b=self.unacceptable)

    def test_the_database_refuses_a_self_link(self):
        with self.assertRaises(IntegrityError):
            Link.objects.create(claim_a=self.unacceptable, claim_b=self.unacceptable)

    def test_a_reverse_direction_duplicate_is_rejected(self):
        link_claims(claim_a=self.unacceptable, claim_b=self.rejected)
        with self.assertRaisesMessage(ValidationError, "already linked"):
            link_claims(claim_a=self.rejected, claim_b=self.unacceptable, relation="contradicts")

    def test_the_database_refuses_a_reverse_direction_duplicate(self):
        link_claims(claim_a=self.unacceptable, claim_b=self.rejected)
        with self.assertRaises(IntegrityError), transaction.atomic():
            Link.objects.create(claim_a=self.rejected, claim_b=self.unacceptable)

    def test_a_link_to_a_claim_deleted_meanwhile_is_refused_by_the_link_rule(self):
        # A delete that held the link lock first commits before the link's check reads the claims' sources.
        link = Link(claim_a=self.unacceptable, claim_b=self.rejected)
        Claim.objects.filter(pk=self.rejected.pk).delete()
        with self.assertRaisesMessage(ValidationError, f"Claim #{self.rejected.pk} was deleted meanwhile"):
            link.clean()

    def test_claims_of_the_same_source_cannot_be_linked(self):
        sibling = create_claim(source=self.ledger, quote="Talks on joint projects")
        with self.assertRaisesMessage(ValidationError, "same source"):
            link_claims(claim_a=self.unacceptable, claim_b=sibling)


class LinkAdminTests(BaseTestCase):
    def test_the_claim_page_shows_links_in_both_directions(self):
        other = create_claim(source=self.harbour, quote="the president said on 1 June")
        link_claims(claim_a=self.unacceptable, claim_b=self.rejected, note="same remark")
        link_claims(claim_a=other, claim_b=self.unacceptable, relation="contradicts", note="dates differ")
        self.client.force_login(self.alice)
        page = self.client.get(reverse("admin:claims_claim_change", args=[self.unacceptable.pk]))
        self.assertContains(page, "same remark")
        self.assertContains(page, "dates differ")
        self.assertContains(page, "Links from this claim")
        self.assertContains(page, "Links to this claim")

    def test_an_annotator_adds_a_link_from_the_claim_page(self):
        self.client.force_login(self.alice)
        url = reverse("admin:claims_claim_change", args=[self.unacceptable.pk])
        form = claim_form_data(self.unacceptable)
        form.update(
            {
                "links_from-TOTAL_FORMS": "1",
                "links_from-INITIAL_FORMS": "0",
                "links_from-0-claim_b": str(self.rejected.pk),
                "links_from-0-relation": "corroborates",
                "links_from-0-note": "both on 1 June",
                "links_to-TOTAL_FORMS": "0",
                "links_to-INITIAL_FORMS": "0",
            }
        )
        response = self.client.post(url, form)
        self.assertEqual(response.status_code, 302, response.content.decode()[:2000])
        link = Link.objects.get()
        self.assertEqual((link.claim_a, link.claim_b, link.created_by), (self.unacceptable, self.rejected, self.alice))

    def test_a_duplicate_link_added_in_the_admin_is_shown_as_an_error(self):
        link_claims(claim_a=self.rejected, claim_b=self.unacceptable)
        self.client.force_login(self.alice)
        form = claim_form_data(self.unacceptable)
        form.update(
            {
                "links_from-TOTAL_FORMS": "1",
                "links_from-INITIAL_FORMS": "0",
                "links_from-0-claim_b": str(self.rejected.pk),
                "links_from-0-relation": "contradicts",
                "links_to-TOTAL_FORMS": "1",
                "links_to-INITIAL_FORMS": "1",
                "links_to-0-id": str(Link.objects.get().pk),
                "links_to-0-claim_a": str(self.rejected.pk),
                "links_to-0-claim_b": str(self.unacceptable.pk),
                "links_to-0-relation": "corroborates",
            }
        )
        response = self.client.post(reverse("admin:claims_claim_change", args=[self.unacceptable.pk]), form)
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "already linked")
        self.assertEqual(Link.objects.count(), 1)


class LinkInlineMoveTests(BaseTestCase):
    def moved_with_a_link(self, inline: str, other_end: str):
        sibling = create_claim(source=self.ledger, quote="Talks on joint projects")
        self.client.force_login(self.alice)
        form = claim_form_data(self.rejected)
        form.update({"source": str(self.ledger.pk), "quote": "the president said", "start": "", "end": ""})
        form.update({f"{inline}-TOTAL_FORMS": "1", f"{inline}-0-{other_end}": str(sibling.pk)})
        form[f"{inline}-0-relation"] = "corroborates"
        return self.client.post(reverse("admin:claims_claim_change", args=[self.rejected.pk]), form)

    def test_a_claim_moved_in_its_form_cannot_gain_a_link_from_it_into_its_new_source(self):
        response = self.moved_with_a_link("links_from", "claim_b")
        self.assertContains(response, "same source")
        self.assertFalse(Link.objects.exists())
        self.assertEqual(Claim.objects.get(pk=self.rejected.pk).source, self.harbour)

    def test_a_claim_moved_in_its_form_cannot_gain_a_link_to_it_from_its_new_source(self):
        response = self.moved_with_a_link("links_to", "claim_a")
        self.assertContains(response, "same source")
        self.assertFalse(Link.objects.exists())


def claim_form_data(claim) -> dict:
    """The claim admin form as the browser would post it, unchanged."""
    return {
        "source": str(claim.source_id),
        "quote": claim.quote,
        "start": str(claim.start),
        "end": str(claim.end),
        "statement": claim.statement,
        "speaker": str(claim.speaker_id or ""),
        "claimed_on": claim.claimed_on_iso,
        "kind": claim.kind,
        "status": claim.status,
        "seen_version": str(claim.version),
        "links_from-TOTAL_FORMS": "0",
        "links_from-INITIAL_FORMS": "0",
        "links_to-TOTAL_FORMS": "0",
        "links_to-INITIAL_FORMS": "0",
    }
