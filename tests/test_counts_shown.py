"""Every place that shows a claim's corroboration counts reads the numbers stored on the claim: its JSON-LD, the
CSV, the claim list, the claim page and its source's provenance page show the same ones."""

import csv
import io
import re

from django.urls import reverse

from claims.exchange.columns import claims_csv
from claims.models import COUNT_FIELDS, Claim, Link
from claims.services import create_claim, link_claims, set_status
from sources.models import Agent
from sources.services import create_source
from tests.base import BaseTestCase

REPORT = "The minister said the survey trip to the islands would start in June."


def number(pattern: str, html: str) -> int:
    found = re.search(pattern, html, re.S)
    assert found, f"not on the page: {pattern}"
    return int(found.group(1))


class StoredCountsTestCase(BaseTestCase):
    def stored(self, claim: Claim) -> dict[str, int]:
        return dict(zip(COUNT_FIELDS, Claim.objects.values_list(*COUNT_FIELDS).get(pk=claim.pk), strict=True))

    def in_json_ld(self, claim: Claim) -> list[dict[str, int]]:
        """The counts in the claim's annotation and in its ClaimReview's Claim, by propertyID."""
        self.client.force_login(self.vera)
        annotation, review = self.client.get(reverse("admin:claims_claim_jsonld", args=[claim.pk])).json()
        return [
            {p["schema:propertyID"]: p["schema:value"] for p in annotation["schema:additionalProperty"]},
            {p["propertyID"]: p["value"] for p in review["itemReviewed"]["additionalProperty"]},
        ]

    def in_csv(self, claim: Claim) -> dict[str, int]:
        rows = csv.DictReader(io.StringIO(b"".join(claims_csv(Claim.objects.filter(pk=claim.pk))).decode()))
        (row,) = rows
        return {name: int(row[name]) for name in ("independent_voices", "unverified_sources")}

    def in_claim_list(self, claim: Claim) -> dict[str, int]:
        self.client.force_login(self.vera)
        page = self.client.get(reverse("admin:claims_claim_changelist")).content.decode()
        change = reverse("admin:claims_claim_change", args=[claim.pk])
        row = re.search(rf'<tr>(?:(?!</tr>).)*href="{change}"(?:(?!</tr>).)*</tr>', page, re.S).group()
        columns = ("corroborating", "independent", "unverified", "contradicting")  # the list's, in COUNT_FIELDS' order
        return {
            field: number(rf'<td class="field-{column}">(\d+)</td>', row)
            for field, column in zip(COUNT_FIELDS, columns, strict=True)
        }

    def on_claim_page(self, claim: Claim) -> dict[str, int]:
        self.client.force_login(self.vera)
        page = self.client.get(reverse("claims:detail", args=[claim.pk])).content.decode()
        return {
            "corroborating_sources": number(r"<dt>Corroborating sources</dt><dd>(\d+)", page),
            "independent_voices": number(r"<dt>Independent voices</dt><dd>(\d+)", page),
            "unverified_sources": number(r"<dt>Unverified sources</dt><dd>(\d+)", page),
            "contradicting_sources": number(r"<dt>Contradicting sources</dt><dd>(\d+)", page),
        }

    def on_provenance_page(self, claim: Claim) -> dict[str, int]:
        self.client.force_login(self.vera)
        page = self.client.get(reverse("sources:provenance", args=[claim.source_id])).content.decode()
        row = re.search(rf'<tr id="claim-{claim.pk}".*?</tr>', page, re.S).group()
        return {
            "corroborating_sources": number(r'<td class="corroborations">(\d+)</td>', row),
            "independent_voices": number(r'<td class="independent-voices">(\d+)', row),
            "unverified_sources": number(r'<td class="independent-voices">\d+ \((\d+) unverified\)', row),
        }

    def assert_every_place_shows(self, claim: Claim, counts: dict[str, int]) -> None:
        annotation, review = self.in_json_ld(claim)
        self.assertEqual(annotation, counts, "JSON-LD annotation")
        self.assertEqual(review, counts, "JSON-LD ClaimReview")
        for place, shown in [
            ("CSV", self.in_csv(claim)),
            ("claim list", self.in_claim_list(claim)),
            ("claim page", self.on_claim_page(claim)),
            ("provenance page", self.on_provenance_page(claim)),
        ]:
            self.assertEqual(shown, {name: counts[name] for name in shown}, place)


class CountsShownTests(StoredCountsTestCase):
    def test_json_ld_csv_claim_list_claim_page_and_provenance_page_show_the_same_counts(self):
        writer = Agent.objects.create(name="J. Berkshire Miller")
        for title, metadata in [
            ("Diplomat", {"url": "https://thediplomat.com/a", "authors": [writer]}),
            ("Foreign Policy", {"url": "https://foreignpolicy.com/b", "authors": [writer]}),
            ("Kyodo", {"url": "https://kyodonews.net/c"}),
            ("Valdai", {}),  # unverified
        ]:
            claim = create_claim(source=create_source(title=title, text=REPORT, **metadata), quote=REPORT[:40])
            link_claims(claim_a=claim, claim_b=self.unacceptable)
        for title in ("Tass", "Interfax"):
            source = create_source(title=title, text=REPORT, url=f"https://{title.lower()}.ru/d")
            claim = create_claim(source=source, quote=REPORT[:40])
            link_claims(claim_a=claim, claim_b=self.unacceptable, relation=Link.Relation.CONTRADICTS)
        set_status(
            Claim.objects.filter(pk=self.unacceptable.pk), Claim.Status.REVIEWED, user=None
        )  # for the ClaimReview
        counts = self.stored(self.unacceptable)
        self.assertEqual(
            counts,
            {
                "corroborating_sources": 4,
                "independent_voices": 2,
                "unverified_sources": 1,
                "contradicting_sources": 2,
            },
        )
        self.assert_every_place_shows(self.unacceptable, counts)


class StoredNotRecomputedTests(StoredCountsTestCase):
    check_counts = False  # the counts are set by hand, away from what the links say

    def test_every_place_shows_the_stored_counts_not_a_recomputation(self):
        counts = {
            "corroborating_sources": 9,
            "independent_voices": 5,
            "unverified_sources": 3,
            "contradicting_sources": 7,
        }
        Claim.objects.filter(pk=self.unacceptable.pk).update(**counts)
        set_status(Claim.objects.filter(pk=self.unacceptable.pk), Claim.Status.REVIEWED, user=None)
        self.assert_every_place_shows(self.unacceptable, counts)

    def test_a_draft_claims_annotation_carries_its_counts_without_a_claim_review(self):
        Claim.objects.filter(pk=self.unacceptable.pk).update(independent_voices=4)
        self.client.force_login(self.vera)
        (annotation,) = self.client.get(reverse("admin:claims_claim_jsonld", args=[self.unacceptable.pk])).json()
        independent = next(
            p for p in annotation["schema:additionalProperty"] if p["schema:propertyID"] == "independent_voices"
        )
        self.assertEqual(
            independent,
            {
                "type": "schema:PropertyValue",
                "schema:propertyID": "independent_voices",
                "schema:name": "independent voices",
                "schema:value": 4,
            },
        )
        self.assertEqual(annotation["@context"], "http://www.w3.org/ns/anno.jsonld")
