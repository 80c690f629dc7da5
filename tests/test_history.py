from django.urls import reverse

from claims.models import Claim
from claims.services import delete_links, link_claims
from claims.tagging import refresh_tag_names
from tests.base import BaseTestCase
from tests.test_links import claim_form_data
from tests.test_sources import source_form_data


class HistoryTests(BaseTestCase):
    def test_an_admin_edit_of_a_claim_is_kept_with_who_made_it(self):
        self.client.force_login(self.alice)
        url = reverse("admin:claims_claim_change", args=[self.rejected.pk])
        self.client.post(url, claim_form_data(self.rejected) | {"statement": "Moscow said no to US bases."})
        latest = self.rejected.history.first()
        self.assertEqual(
            (latest.statement, latest.history_user, latest.history_type),
            ("Moscow said no to US bases.", self.alice, "~"),
        )
        self.assertEqual(self.rejected.history.count(), 2)

    def test_a_status_action_is_kept_in_the_history_of_each_claim(self):
        self.client.force_login(self.bob)
        self.client.post(
            reverse("admin:claims_claim_changelist"),
            {"action": "mark_reviewed", "_selected_action": [self.rejected.pk, self.unacceptable.pk]},
        )
        for claim in (self.rejected, self.unacceptable):
            self.assertEqual(claim.history.first().status, Claim.Status.REVIEWED)

    def test_a_source_edit_is_kept(self):
        self.client.force_login(self.bob)
        url = reverse("admin:sources_source_change", args=[self.harbour.pk])
        self.client.post(url, source_form_data(self.harbour, title="Renamed"))
        self.assertEqual([h.title for h in self.harbour.history.all()], ["Renamed", "Harbour on the Kurils"])
        self.assertEqual(self.harbour.history.first().history_user, self.bob)

    def test_a_link_and_its_removal_are_kept(self):
        link = link_claims(claim_a=self.unacceptable, claim_b=self.rejected, created_by=self.alice)
        link_id = link.pk
        delete_links(links=[link])
        self.assertEqual([h.history_type for h in link.history.model.objects.filter(id=link_id)], ["-", "+"])

    def test_the_history_page_of_a_claim_shows_the_changes(self):
        self.client.force_login(self.alice)
        url = reverse("admin:claims_claim_change", args=[self.rejected.pk])
        self.client.post(url, claim_form_data(self.rejected) | {"statement": "Moscow said no."})
        page = self.client.get(reverse("admin:claims_claim_history", args=[self.rejected.pk]))
        self.assertContains(page, "alice")
        self.assertContains(page, "Statement")


class HistoryOfTagsTests(BaseTestCase):
    def test_a_re_anchoring_entry_keeps_the_claims_tags(self):
        from claims.anchoring import reanchor_claims
        from claims.models import Tag
        from sources.models import Source

        self.unacceptable.tags.add(Tag.objects.create(name="Dec 2016 summit"))
        refresh_tag_names([self.unacceptable.pk])
        old_text = self.ledger.text
        Source.objects.filter(pk=self.ledger.pk).update(text="Preface. " + old_text)
        self.ledger.refresh_from_db()
        reanchor_claims(source=self.ledger, old_text=old_text)
        latest, before = self.unacceptable.history.all()[:2]
        self.assertEqual(
            latest.history_change_reason,
            f"Re-anchored after a new capture of “{self.ledger.title}” (source #{self.ledger.pk})",
        )
        self.assertEqual([t.tag.name for t in latest.tags.all()], ["Dec 2016 summit"])
        self.assertNotIn("tags", [change.field for change in latest.diff_against(before).changes])
