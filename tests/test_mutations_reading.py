"""Two promises of the README about what is read in: a changed quote given without offsets is located in the source
text again, whichever way it comes in (the admin form, the API, a CSV import); and a CSV cell of a whole-number
column holding a fraction (42.5) is refused, naming its row and column, never read as 42."""

import io

from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from claims.exchange.columns import csv_line
from claims.exchange.importing import import_spreadsheet
from claims.models import Claim
from tests.base import HARBOUR_TEXT, BaseTestCase
from tests.test_links import claim_form_data

NEW_QUOTE = "the president said on 1 June"
NEW_START = HARBOUR_TEXT.index(NEW_QUOTE)


class ChangedQuoteLocatedTests(BaseTestCase):
    """The Harbour claim's quote becomes other words of the same article, its offsets left out."""

    def assert_located(self):
        claim = Claim.objects.get(pk=self.rejected.pk)
        self.assertEqual((claim.quote, claim.start, claim.end), (NEW_QUOTE, NEW_START, NEW_START + len(NEW_QUOTE)))

    def api(self) -> APIClient:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=self.alice).key}")
        return client

    def test_the_admin_form_with_empty_offsets_locates_the_new_quote(self):
        self.client.force_login(self.alice)
        form = claim_form_data(self.rejected) | {"quote": NEW_QUOTE, "start": "", "end": ""}
        response = self.client.post(reverse("admin:claims_claim_change", args=[self.rejected.pk]), form)
        self.assertEqual(response.status_code, 302, response.content.decode()[:2000])
        self.assert_located()

    def test_an_api_patch_with_null_offsets_locates_the_new_quote(self):
        body = {"quote": NEW_QUOTE, "start": None, "end": None, "version": self.rejected.version}
        response = self.api().patch(reverse("api:claim-detail", args=[self.rejected.pk]), body, format="json")
        self.assertEqual(response.status_code, 200, response.content)
        self.assert_located()

    def test_an_api_patch_of_the_quote_alone_locates_the_new_quote(self):
        body = {"quote": NEW_QUOTE, "version": self.rejected.version}
        response = self.api().patch(reverse("api:claim-detail", args=[self.rejected.pk]), body, format="json")
        self.assertEqual(response.status_code, 200, response.content)
        self.assert_located()

    def import_rows(self, header: list[str], row: list[str]):
        data = (csv_line(header) + csv_line(row)).encode()
        report = import_spreadsheet("claims", io.BytesIO(data), name="claims.csv", user=self.bob)
        self.assertEqual([str(problem) for problem in report.problems], [])
        self.assertEqual(report.updated, 1)

    def test_a_csv_import_without_offset_columns_locates_the_new_quote(self):
        row = [str(self.rejected.pk), str(self.rejected.version), str(self.harbour.pk), NEW_QUOTE]
        self.import_rows(["id", "version", "source_id", "quote"], row)
        self.assert_located()

    def test_a_csv_import_with_empty_offsets_locates_the_new_quote(self):
        row = [str(self.rejected.pk), str(self.rejected.version), str(self.harbour.pk), NEW_QUOTE, "", ""]
        self.import_rows(["id", "version", "source_id", "quote", "start", "end"], row)
        self.assert_located()


class FractionsInWholeNumberColumnsTests(BaseTestCase):
    def problems(self, what: str, header: list[str], row: list[str]) -> list[str]:
        data = (csv_line(header) + csv_line(row)).encode()
        report = import_spreadsheet(what, io.BytesIO(data), name=f"{what}.csv", dry_run=True)
        self.assertEqual(report.created + report.updated, 0)
        return [str(problem) for problem in report.problems]

    def test_a_fraction_in_a_whole_number_column_of_a_claims_file_is_refused_naming_row_and_column(self):
        start = HARBOUR_TEXT.index(NEW_QUOTE)
        cells = {
            "id": "",
            "version": "",
            "source_id": str(self.harbour.pk),
            "quote": NEW_QUOTE,
            "start": str(start),
            "end": str(start + len(NEW_QUOTE)),
        }
        for column in ["source_id", "start", "end", "id"]:
            with self.subTest(column=column):
                given = cells | {column: f"{cells[column] or self.rejected.pk}.5"}
                if column == "id":
                    given["version"] = str(self.rejected.version)
                problems = self.problems("claims", list(given), list(given.values()))
                self.assertEqual(problems, [f"line 2: {column}: “{given[column]}” is not a whole number."])

    def test_a_fraction_in_a_whole_number_column_of_a_links_file_is_refused_naming_row_and_column(self):
        cells = {"claim_a": str(self.rejected.pk), "claim_b": str(self.unacceptable.pk)}
        for column in cells:
            with self.subTest(column=column):
                given = cells | {column: f"{cells[column]}.5"}
                problems = self.problems("links", list(given), list(given.values()))
                self.assertEqual(problems, [f"line 2: {column}: “{given[column]}” is not a whole number."])
