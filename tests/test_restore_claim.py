"""A deleted claim comes back from its history, with its id, tags and links, through the claim's own checks."""

from io import StringIO

from django.core.management import CommandError, call_command

from claims.models import Claim, Link, Tag
from claims.rules import advance_version
from claims.services import create_claim, delete_claims, delete_links, link_claims
from claims.tagging import refresh_tag_names
from sources.services import create_source
from tests.base import BaseTestCase


class RestoreDeletedClaimTests(BaseTestCase):
    def test_a_deleted_claim_comes_back_with_its_id_tags_and_links(self):
        self.unacceptable.tags.add(Tag.objects.create(name="missile defence"))
        refresh_tag_names([self.unacceptable.pk])
        self.unacceptable.save()  # a version in the history with its tags, as a save in the admin makes
        link = link_claims(claim_a=self.unacceptable, claim_b=self.rejected, note="same remark")
        pk, quote = self.unacceptable.pk, self.unacceptable.quote
        delete_claims(claims=[self.unacceptable])
        self.assertFalse(Link.objects.exists())

        out = StringIO()
        call_command("restore_claim", pk, stdout=out)

        claim = Claim.objects.get(pk=pk)
        self.assertEqual((claim.quote, claim.source, claim.speaker), (quote, self.ledger, self.putin))
        self.assertEqual(list(claim.tags.values_list("name", flat=True)), ["missile defence"])
        restored = Link.objects.get()
        self.assertEqual((restored.pk, restored.note), (link.pk, "same remark"))
        self.assertEqual(claim.history.first().history_change_reason, "Restored from its history")
        self.assertIn("1 link(s)", out.getvalue())
        claim.refresh_from_db()
        self.assertEqual(claim.corroborating_sources, 1)

    def test_a_claim_that_exists_is_not_restored(self):
        with self.assertRaisesMessage(CommandError, "only a deleted claim"):
            call_command("restore_claim", self.unacceptable.pk, stdout=StringIO())

    def test_a_claim_whose_words_left_the_text_does_not_come_back_at_the_wrong_place(self):
        pk = self.rejected.pk
        delete_claims(claims=[self.rejected])
        self.harbour.__class__.objects.filter(pk=self.harbour.pk).update(text="Entirely different words now.")
        with self.assertRaises(CommandError):
            call_command("restore_claim", pk, stdout=StringIO())
        self.assertFalse(Claim.objects.filter(pk=pk).exists())

    def third_claim(self) -> Claim:
        other = create_source(
            title="Third paper", text="The base plan was called unacceptable.", url="https://c.example/"
        )
        return create_claim(source=other, quote="The base plan was called unacceptable")

    def test_a_link_deleted_on_purpose_before_the_claim_stays_deleted(self):
        third = self.third_claim()
        kept = link_claims(claim_a=self.unacceptable, claim_b=self.rejected)
        unwanted = link_claims(claim_a=self.unacceptable, claim_b=third)
        delete_links(links=[unwanted])
        pk = self.unacceptable.pk
        delete_claims(claims=[self.unacceptable])

        out = StringIO()
        call_command("restore_claim", pk, stdout=out)

        self.assertEqual(list(Link.objects.values_list("pk", flat=True)), [kept.pk])
        self.assertIn("1 link(s)", out.getvalue())

    def test_a_pair_unlinked_and_linked_again_comes_back_once_with_its_newer_link(self):
        link_claims(claim_a=self.unacceptable, claim_b=self.rejected, note="first")
        delete_links(links=list(Link.objects.all()))
        again = link_claims(claim_a=self.unacceptable, claim_b=self.rejected, note="again")
        pk = self.unacceptable.pk
        delete_claims(claims=[self.unacceptable])

        call_command("restore_claim", pk, stdout=StringIO())

        self.assertTrue(Claim.objects.filter(pk=pk).exists())
        self.assertEqual(list(Link.objects.values_list("pk", "note")), [(again.pk, "again")])

    def test_the_restored_claim_takes_a_version_past_every_one_it_had(self):
        for n in range(3):  # three saves through the version check, as the admin, the editor and the API make
            self.unacceptable.statement = f"Edit {n}"
            advance_version(self.unacceptable, seen_version=self.unacceptable.version)
            self.unacceptable.save()
        self.assertEqual(self.unacceptable.version, 3)
        pk = self.unacceptable.pk
        delete_claims(claims=[self.unacceptable])

        call_command("restore_claim", pk, stdout=StringIO())

        self.assertGreater(Claim.objects.get(pk=pk).version, 3)
