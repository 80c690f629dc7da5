"""A deleted claim comes back from its history, with its id, tags and links, through the claim's own checks."""

from io import StringIO

from django.core.management import CommandError, call_command

from claims.models import Claim, Corroboration, Tag
from claims.services import delete_claims, link_claims
from tests.base import BaseTestCase


class RestoreDeletedClaimTests(BaseTestCase):
    def test_a_deleted_claim_comes_back_with_its_id_tags_and_links(self):
        self.unacceptable.tags.add(Tag.objects.create(name="missile defence"))
        self.unacceptable.save()  # a version in the history with its tags, as a save in the admin makes
        link = link_claims(claim_a=self.unacceptable, claim_b=self.rejected, note="same remark")
        pk, quote = self.unacceptable.pk, self.unacceptable.quote
        delete_claims(claims=[self.unacceptable])
        self.assertFalse(Corroboration.objects.exists())

        out = StringIO()
        call_command("restore_claim", pk, stdout=out)

        claim = Claim.objects.get(pk=pk)
        self.assertEqual((claim.quote, claim.source, claim.speaker), (quote, self.ledger, self.putin))
        self.assertEqual(list(claim.tags.values_list("name", flat=True)), ["missile defence"])
        restored = Corroboration.objects.get()
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
