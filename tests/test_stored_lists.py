"""What each claim stores for the export (issue 26): its tags' names and its links' ids, kept by every write."""

import csv
import io
from unittest import mock

from django.urls import reverse

from claims.corroboration import counting
from claims.corroboration.counting import recount_all
from claims.exchange.columns import claims_csv
from claims.exchange.reading import ClaimReader, ImportReport
from claims.models import Claim, Tag
from claims.services import create_claim, link_claims
from claims.tagging import stale_tag_names
from sources.services import create_source
from tests.base import BaseTestCase


def exported(claim: Claim) -> dict[str, str]:
    rows = csv.DictReader(io.StringIO(b"".join(claims_csv(use_copy=False)).decode()))
    return next(row for row in rows if row["id"] == str(claim.pk))


class StoredListsTests(BaseTestCase):
    def test_a_claim_stores_its_tags_as_the_csv_writes_them(self):
        claim = create_claim(source=self.harbour, quote="Moscow", tags=["=sum", "bases; islands", "Kurils"])
        claim.refresh_from_db()
        self.assertEqual(claim.tag_names, "'=sum; Kurils; bases\\; islands")
        self.assertEqual(exported(claim)["tags"], claim.tag_names)

    def test_a_link_stores_each_claims_list_of_the_other(self):
        claim = create_claim(source=self.harbour, quote="Moscow")
        link_claims(claim_a=claim, claim_b=self.unacceptable)
        link_claims(claim_a=self.rejected, claim_b=self.unacceptable, relation="contradicts")
        self.unacceptable.refresh_from_db()
        self.assertEqual(self.unacceptable.corroborated_by_ids, str(claim.pk))
        self.assertEqual(self.unacceptable.contradicted_by_ids, str(self.rejected.pk))

    def test_a_tag_renamed_in_the_admin_is_renamed_on_its_claims(self):
        claim = create_claim(source=self.harbour, quote="Moscow", tags=["bases"])
        tag = Tag.objects.get(name="bases")
        self.client.force_login(self.root)
        response = self.client.post(reverse("admin:claims_tag_change", args=[tag.pk]), {"name": "missile bases"})
        self.assertEqual(response.status_code, 302)
        self.assertEqual(exported(claim)["tags"], "missile bases")
        self.assertEqual(stale_tag_names(), {})

    def test_a_tag_deleted_in_the_admin_leaves_its_claims(self):
        claim = create_claim(source=self.harbour, quote="Moscow", tags=["bases", "talks"])
        tag = Tag.objects.get(name="bases")
        self.client.force_login(self.root)
        response = self.client.post(reverse("admin:claims_tag_delete", args=[tag.pk]), {"post": "yes"})
        self.assertEqual(response.status_code, 302)
        self.assertEqual(exported(claim)["tags"], "talks")

    def test_the_recount_repairs_a_list_that_drifted(self):
        link_claims(claim_a=self.rejected, claim_b=self.unacceptable)
        Claim.objects.filter(pk=self.unacceptable.pk).update(corroborated_by_ids="")
        drift = recount_all()
        self.assertEqual(list(drift), [self.unacceptable.pk])
        self.assertEqual(Claim.objects.get(pk=self.unacceptable.pk).corroborated_by_ids, str(self.rejected.pk))

    def test_the_recount_taken_a_claim_at_a_time_finds_what_one_pass_finds(self):
        for quote in ["Moscow", "any American", "anti-missile"]:
            link_claims(claim_a=create_claim(source=self.harbour, quote=quote), claim_b=self.unacceptable)
        Claim.objects.update(independent_voices=7, corroborated_by_ids="1; 2")
        whole = recount_all(repair=False)
        with mock.patch.object(counting, "RECOUNTED_AT_ONCE", 1):
            one_at_a_time = recount_all(repair=False)
        self.assertEqual(one_at_a_time, whole)
        self.assertEqual(len(whole), Claim.objects.count())
        recount_all()


class ImportMemoryTests(BaseTestCase):
    def test_an_import_lets_go_of_a_batchs_sources_once_the_next_batch_is_looked_up(self):
        other = create_source(title="Other", text="Talks went on all week.")
        reader = ClaimReader(["source_id", "quote"], user=None, report=ImportReport())
        reader.look_up([(2, {"source_id": str(self.ledger.pk), "quote": "absolutely unacceptable"})])
        reader.look_up([(3, {"source_id": str(other.pk), "quote": "Talks went on"})])
        self.assertEqual(set(reader.sources_by_id), {other.pk})
