"""One history record per save, holding the final state (tags included), and every record names a person and a
reason: the admin, the editor and the API record who saved and where; code that says nothing records the
system user and says that no reason was given."""

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from claims.exchange.columns import csv_line
from claims.models import Claim, Tag
from claims.services import create_claim, delete_claims, link_claims
from claims.tagging import refresh_tag_names
from common.history import SYSTEM_USERNAME, recorded_as
from sources.models import Source
from sources.services import create_source
from tests.base import LEDGER_TEXT, BaseTestCase
from tests.test_editor_views import claim_data
from tests.test_links import claim_form_data
from tests.test_sources import source_form_data


def tag_names(record) -> list[str]:
    return sorted(link.tag.name for link in record.tags.select_related("tag"))


def inserts_into(queries, table: str) -> int:
    return sum(1 for q in queries if q["sql"].lstrip().upper().startswith("INSERT") and f'"{table}"' in q["sql"])


class OneRecordPerSaveTests(BaseTestCase):
    def setUp(self):
        self.summit = Tag.objects.create(name="Dec 2016 summit")
        self.islands = Tag.objects.create(name="islands")
        self.records_before = self.rejected.history.count()

    def new_records(self, claim):
        return list(claim.history.all()[: claim.history.count() - self.records_before])

    def test_an_admin_save_that_changes_fields_and_tags_is_one_record_with_the_final_state(self):
        self.client.force_login(self.alice)
        url = reverse("admin:claims_claim_change", args=[self.rejected.pk])
        data = claim_form_data(self.rejected) | {
            "statement": "Moscow said no.",
            "tags": [self.summit.pk, self.islands.pk],
        }
        with CaptureQueriesContext(connection) as queries:
            response = self.client.post(url, data)
        self.assertEqual(response.status_code, 302)
        [record] = self.new_records(self.rejected)
        self.assertEqual(
            (
                record.statement,
                tag_names(record),
                record.history_type,
                record.history_user,
                record.history_change_reason,
            ),
            ("Moscow said no.", ["Dec 2016 summit", "islands"], "~", self.alice, "Changed in the admin"),
        )
        # One INSERT of the claim's record and one of its tag snapshot (both tags in it).
        self.assertEqual(inserts_into(queries, "claims_historicalclaim"), 1)
        self.assertEqual(inserts_into(queries, "claims_historicalclaim_tags"), 1)

    def test_an_admin_save_that_removes_a_tag_is_one_record_without_it(self):
        self.rejected.tags.add(self.summit, self.islands)
        refresh_tag_names([self.rejected.pk])
        self.records_before = self.rejected.history.count()
        self.client.force_login(self.alice)
        url = reverse("admin:claims_claim_change", args=[self.rejected.pk])
        self.client.post(url, claim_form_data(self.rejected) | {"tags": [self.islands.pk]})
        [record] = self.new_records(self.rejected)
        self.assertEqual(tag_names(record), ["islands"])

    def test_a_claim_added_in_the_admin_with_tags_is_one_record(self):
        self.client.force_login(self.alice)
        data = claim_form_data(self.rejected) | {
            "source": str(self.ledger.pk),
            "quote": "Talks",
            "start": "",
            "end": "",
            "tags": [self.summit.pk],
        }
        response = self.client.post(reverse("admin:claims_claim_add"), data)
        self.assertEqual(response.status_code, 302)
        claim = Claim.objects.get(quote="Talks")
        [record] = claim.history.all()
        self.assertEqual(
            (record.history_type, tag_names(record), record.history_user, record.history_change_reason),
            ("+", ["Dec 2016 summit"], self.alice, "Added in the admin"),
        )

    def test_an_editor_save_with_tags_is_one_record_by_the_annotator(self):
        self.client.force_login(self.alice)
        claim = self.unacceptable
        before = claim.history.count()
        data = claim_data(
            claim.quote, claim.start, seen_version=claim.version, speaker=self.putin.pk, tags=[self.summit.pk]
        )
        data["statement"] = "No US bases."
        with CaptureQueriesContext(connection) as queries:
            response = self.client.post(
                reverse("annotate:claim", args=[claim.pk]), data, HTTP_ACCEPT="application/json"
            )
        self.assertEqual(response.status_code, 200, response.content)
        self.assertEqual(inserts_into(queries, "claims_historicalclaim"), 1)
        self.assertEqual(inserts_into(queries, "claims_historicalclaim_tags"), 1)
        self.assertEqual(claim.history.count(), before + 1)
        record = claim.history.first()
        self.assertEqual(
            (record.statement, tag_names(record), record.history_user, record.history_change_reason),
            ("No US bases.", ["Dec 2016 summit"], self.alice, "Changed in the editor"),
        )

    def test_a_claim_annotated_in_the_editor_with_new_tags_is_one_record(self):
        self.client.force_login(self.alice)
        data = claim_data("Talks", LEDGER_TEXT.index("Talks"), tags=[self.summit.pk], new_tags="diplomacy")
        url = reverse("annotate:add_claim", args=[self.ledger.pk])
        response = self.client.post(url, data, HTTP_ACCEPT="application/json")
        [record] = Claim.objects.get(pk=response.json()["claim"]).history.all()
        self.assertEqual(
            (tag_names(record), record.history_user, record.history_change_reason),
            (["Dec 2016 summit", "diplomacy"], self.alice, "Annotated in the editor"),
        )

    def test_an_api_update_with_tags_is_one_record_by_the_tokens_owner(self):
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=self.bob).key}")
        url = reverse("api:claim-detail", args=[self.rejected.pk])
        response = api.patch(
            url, {"statement": "No.", "tags": ["islands", "summit talks"], "version": 0}, format="json"
        )
        self.assertEqual(response.status_code, 200, response.content)
        [record] = self.new_records(self.rejected)
        self.assertEqual(
            (record.statement, tag_names(record), record.history_user, record.history_change_reason),
            ("No.", ["islands", "summit talks"], self.bob, "Changed through the API"),
        )

    def test_a_claim_created_by_the_service_with_tags_is_one_record(self):
        claim = create_claim(source=self.ledger, quote="Talks", tags=["islands"])
        [record] = claim.history.all()
        self.assertEqual((record.history_type, tag_names(record)), ("+", ["islands"]))

    def test_a_source_changed_in_the_admin_with_its_authors_is_one_record(self):
        self.client.force_login(self.bob)
        before = self.harbour.history.count()
        url = reverse("admin:sources_source_change", args=[self.harbour.pk])
        response = self.client.post(url, source_form_data(self.harbour, title="Renamed", authors=[self.putin.pk]))
        self.assertEqual(response.status_code, 302)
        self.assertEqual(self.harbour.history.count(), before + 1)
        record = self.harbour.history.first()
        self.assertEqual(
            (record.title, [a.agent_id for a in record.authors.all()], record.history_change_reason),
            ("Renamed", [self.putin.pk], "Changed in the admin"),
        )

    def test_a_link_saved_in_the_admin_is_one_record(self):
        link = link_claims(claim_a=self.unacceptable, claim_b=self.rejected)
        self.client.force_login(self.root)
        url = reverse("admin:claims_link_change", args=[link.pk])
        data = {"claim_a": link.claim_a_id, "claim_b": link.claim_b_id, "relation": "contradicts", "note": "No."}
        self.assertEqual(self.client.post(url, data).status_code, 302)
        latest, first = link.history.all()
        self.assertEqual(
            (latest.relation, latest.history_user, latest.history_change_reason),
            ("contradicts", self.root, "Changed in the admin"),
        )


class SpreadsheetImportRecordTests(BaseTestCase):
    def import_in_the_admin(self, model: str, text: str, name: str):
        self.client.force_login(self.bob)
        upload = SimpleUploadedFile(name, text.encode(), content_type="text/csv")
        response = self.client.post(
            reverse(f"admin:{model}_import"), {"format": "0", "resource": "0", "import_file": upload}
        )
        confirm = response.context["confirm_form"]
        return self.client.post(reverse(f"admin:{model}_process_import"), confirm.initial, follow=True)

    def test_claims_imported_in_the_admin_record_the_file_and_who_imported_it(self):
        text = csv_line(["source_id", "quote", "tags"]) + csv_line([str(self.harbour.pk), "Moscow rejected", "kurils"])
        self.import_in_the_admin("claims_claim", text, "harbour-claims.csv")
        [record] = Claim.objects.get(quote="Moscow rejected").history.all()
        self.assertEqual(
            (record.history_user, record.history_change_reason, tag_names(record)),
            (self.bob, "Imported from harbour-claims.csv in the admin", ["kurils"]),
        )

    def test_a_source_row_with_authors_imported_in_the_admin_is_one_record(self):
        before = self.harbour.history.count()
        text = csv_line(["id", "title", "authors"]) + csv_line(
            [str(self.harbour.pk), "Harbour, renamed", self.putin.name]
        )
        self.import_in_the_admin("sources_source", text, "sources.csv")
        self.assertEqual(self.harbour.history.count(), before + 1)
        record = self.harbour.history.first()
        self.assertEqual(
            (record.title, [a.agent_id for a in record.authors.all()], record.history_user),
            ("Harbour, renamed", [self.putin.pk], self.bob),
        )


class NoPhantomTagChangeTests(BaseTestCase):
    def test_marking_claims_reviewed_keeps_their_tags_in_the_history(self):
        self.rejected.tags.add(Tag.objects.create(name="Dec 2016 summit"))
        refresh_tag_names([self.rejected.pk])
        self.client.force_login(self.bob)
        self.client.post(
            reverse("admin:claims_claim_changelist"),
            {"action": "mark_reviewed", "_selected_action": [self.rejected.pk]},
        )
        latest, before = self.rejected.history.all()[:2]
        self.assertEqual(tag_names(latest), ["Dec 2016 summit"])
        self.assertEqual([change.field for change in latest.diff_against(before).changes], ["status"])
        self.assertEqual(
            (latest.history_user, latest.history_change_reason), (self.bob, "Marked reviewed in the admin")
        )


class PersonAndReasonTests(BaseTestCase):
    def test_a_deletion_in_the_admin_names_who_deleted_it(self):
        self.client.force_login(self.root)
        pk = self.rejected.pk
        self.client.post(reverse("admin:claims_claim_delete", args=[pk]), {"post": "yes"})
        deletion = Claim.history.filter(id=pk).first()
        self.assertEqual(
            (deletion.history_type, deletion.history_user, deletion.history_change_reason),
            ("-", self.root, "Deleted in the admin"),
        )

    def test_code_that_names_nobody_records_the_system_user_and_says_no_reason_was_given(self):
        pk = self.rejected.pk
        delete_claims(claims=[self.rejected])
        deletion = Claim.history.filter(id=pk).first()
        self.assertEqual(deletion.history_user.username, SYSTEM_USERNAME)
        self.assertEqual(deletion.history_change_reason, "Deleted by code that gave no reason")

    def test_a_person_and_reason_named_by_the_caller_are_recorded(self):
        with recorded_as(user=self.bob, reason="Checked against the wire copy"):
            source = create_source(title="Wire", text="Wire copy.", authors=[self.putin])
        [record] = source.history.all()
        self.assertEqual(
            (record.history_user, record.history_change_reason), (self.bob, "Checked against the wire copy")
        )

    def test_no_record_of_the_test_story_lacks_a_person_or_a_reason(self):
        self.client.force_login(self.alice)
        url = reverse("admin:claims_claim_change", args=[self.rejected.pk])
        self.client.post(url, claim_form_data(self.rejected) | {"statement": "Said no."})
        for model in (Claim, Source):
            self.assertFalse(model.history.filter(history_user__isnull=True).exists(), model)
            self.assertFalse(model.history.filter(history_change_reason__isnull=True).exists(), model)

    def test_the_history_page_says_by_whom_and_why(self):
        self.client.force_login(self.alice)
        url = reverse("admin:claims_claim_change", args=[self.rejected.pk])
        self.client.post(url, claim_form_data(self.rejected) | {"statement": "Moscow said no."})
        page = self.client.get(reverse("admin:claims_claim_history", args=[self.rejected.pk]))
        self.assertContains(page, "by alice: Changed in the admin")
        self.assertContains(page, f"by {SYSTEM_USERNAME}: Added by code that gave no reason")
        self.assertNotContains(page, "None")
