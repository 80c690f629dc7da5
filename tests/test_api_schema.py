"""The OpenAPI schema against the API it describes.

schemathesis (`st run --checks all`, its command line, as a user would run it) against the live test server:
whatever a client sends that the schema allows, and much that it does not, the API never answers 5xx, answers
only statuses and bodies the schema documents, accepts what the schema calls valid (a write may still be refused
by a rule the schema cannot state: tests/schemathesis.toml) and refuses what it calls invalid. The budget is
fixed and small for `make test` (examples, fuzzing and stateful phases, a fixed seed); a longer run adds the
coverage phase (every boundary of every parameter, a few minutes):
    API_FUZZ_EXAMPLES=200 .venv/bin/pytest tests/test_api_schema.py
"""

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import User
from django.test import LiveServerTestCase, override_settings
from django.urls import reverse
from drf_spectacular.generators import SchemaGenerator
from rest_framework.authtoken.models import Token

from claims.services import create_claim, link_claims
from sources.services import create_source
from tests.test_api import ApiTestCase

EXAMPLES = int(os.environ.get("API_FUZZ_EXAMPLES", "5"))
SEED = os.environ.get("API_FUZZ_SEED", "23")
PHASES = "examples,fuzzing,stateful" + (",coverage" if EXAMPLES > 5 else "")
NO_THROTTLE = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_CLASSES": []}


def public_schema() -> dict:
    """The schema as a client downloads it (through JSON, as it travels)."""
    return json.loads(json.dumps(SchemaGenerator().get_schema(public=True)))


@override_settings(REST_FRAMEWORK=NO_THROTTLE)
class SchemathesisTests(LiveServerTestCase):
    def setUp(self):
        reviewer = User.objects.create_superuser("api-reviewer", password="pw")
        self.token = Token.objects.create(user=reviewer).key
        one = create_source(title="One", text="The minister called the summit a big step.", url="https://e.org/1")
        two = create_source(title="Two", text="Analysts saw no breakthrough at the summit.", url="https://e.org/2")
        link_claims(
            claim_a=create_claim(source=one, quote="a big step"),
            claim_b=create_claim(source=two, quote="no breakthrough"),
            relation="contradicts",
        )

    def test_every_check_passes_on_every_operation(self):
        with tempfile.TemporaryDirectory() as folder:
            schema = Path(folder) / "schema.json"
            schema.write_text(json.dumps(public_schema()))
            result = subprocess.run(
                [
                    str(Path(sys.executable).parent / "schemathesis"),
                    "--config-file",
                    str(settings.BASE_DIR / "tests" / "schemathesis.toml"),
                    "run",
                    str(schema),
                    "--url",
                    self.live_server_url,
                    "--header",
                    f"Authorization: Token {self.token}",
                    "--checks",
                    "all",
                    "--phases",
                    PHASES,
                    "--max-examples",
                    str(EXAMPLES),
                    "--seed",
                    SEED,
                    "--generation-database",
                    "none",
                    "--no-color",
                ],
                cwd=folder,
                capture_output=True,
                text=True,
                timeout=900,
            )
        report = result.stdout + result.stderr
        self.assertEqual(result.returncode, 0, report[-12000:])
        self.assertIn("Tested: 30", report)
        print(report[report.find("Test cases:") :].strip())


class SchemaTests(ApiTestCase):
    """What the schema says, where schemathesis found it wrong."""

    def setUp(self):
        super().setUp()
        self.schema = public_schema()

    def operation(self, method: str, path: str) -> dict:
        return self.schema["paths"][path][method]

    def request_schema(self, method: str, path: str) -> dict:
        reference = self.operation(method, path)["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        return self.schema["components"]["schemas"][reference.rsplit("/", 1)[1]]

    def test_every_operation_documents_its_refusals(self):
        for path, operations in self.schema["paths"].items():
            for method, operation in operations.items():
                with self.subTest(operation=f"{method.upper()} {path}"):
                    documented = set(operation["responses"])
                    self.assertLessEqual({"401", "403"}, documented)
                    if "{id}" in path:
                        self.assertIn("404", documented)
                    if method in {"post", "put", "patch"}:
                        self.assertIn("400", documented)

    def test_a_stale_version_and_a_protected_delete_are_documented_conflicts(self):
        self.assertIn("StaleVersion", json.dumps(self.operation("patch", "/api/claims/{id}/")["responses"]["409"]))
        self.assertIn("current_version", json.dumps(self.schema["components"]["schemas"]["StaleVersion"]))
        for path in ("/api/sources/{id}/", "/api/agents/{id}/"):
            self.assertIn("409", self.operation("delete", path)["responses"])

    def test_required_fields_are_marked(self):
        self.assertEqual(self.request_schema("patch", "/api/claims/{id}/")["required"], ["version"])
        self.assertEqual(self.request_schema("put", "/api/claims/{id}/")["required"], ["version"])
        self.assertEqual(set(self.request_schema("post", "/api/claims/")["required"]), {"source", "quote"})
        self.assertEqual(set(self.request_schema("post", "/api/links/")["required"]), {"claim_a", "claim_b"})
        self.assertEqual(self.request_schema("post", "/api/agents/")["required"], ["name"])
        self.assertNotIn("required", self.request_schema("patch", "/api/agents/{id}/"))

    def test_an_id_filter_is_a_whole_number_and_a_fraction_is_refused(self):
        parameters = {p["name"]: p for p in self.operation("get", "/api/claims/")["parameters"]}
        self.assertEqual(parameters["source"]["schema"]["type"], "integer")
        response = self.as_user(self.vera).get(reverse("api:claim-list"), {"source": "0.333"})
        self.assertEqual(response.status_code, 400)
        self.assertIn("source", response.json())
        response = self.as_user(self.vera).get(reverse("api:claim-list"), {"source": "5.0"})
        self.assertEqual(response.status_code, 400, "not a whole number as the schema writes one")

    def test_a_page_size_that_is_not_a_whole_number_from_1_to_500_is_refused(self):
        parameters = {p["name"]: p for p in self.operation("get", "/api/claims/")["parameters"]}
        self.assertEqual(
            (parameters["page_size"]["schema"]["minimum"], parameters["page_size"]["schema"]["maximum"]), (1, 500)
        )
        client = self.as_user(self.vera)
        for size in ("null", "", "0", "-3", "2.5", "501", "١"):
            with self.subTest(page_size=size):
                response = client.get(reverse("api:claim-list"), {"page_size": size})
                self.assertEqual(response.status_code, 400, response.content)
                self.assertIn("page_size", response.json())
        self.assertEqual(len(client.get(reverse("api:claim-list"), {"page_size": "1"}).json()["results"]), 1)

    def test_a_url_under_the_api_that_names_nothing_answers_in_json(self):
        response = self.as_user(self.vera).get("/api/claims/abc/")
        self.assertEqual(response.status_code, 404)
        self.assertEqual(response.json(), {"detail": "Not found."})


CHROME_ACCEPT = (
    "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8,"
    "application/signed-exchange;v=b3;q=0.7"
)


class SchemaServedTests(ApiTestCase):
    def setUp(self):
        self.client.force_login(self.vera)

    def test_a_browser_is_given_the_schema_as_text_it_shows_not_a_file_to_download(self):
        response = self.client.get(reverse("api:schema"), HTTP_ACCEPT=CHROME_ACCEPT)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response["Content-Type"], "text/plain; charset=utf-8")
        self.assertTrue(response["Content-Disposition"].startswith("inline"))
        self.assertTrue(response.content.decode().startswith("openapi: 3"))

    def test_a_client_asking_for_a_schema_media_type_still_gets_it(self):
        for accept, expected in [
            ("application/vnd.oai.openapi", "application/vnd.oai.openapi"),
            ("application/json", "application/json"),
            ("*/*", "application/vnd.oai.openapi"),
        ]:
            with self.subTest(accept=accept):
                response = self.client.get(reverse("api:schema"), HTTP_ACCEPT=accept)
                self.assertEqual(response["Content-Type"].split(";")[0], expected)

    def test_format_json_wins_in_a_browser_too(self):
        response = self.client.get(reverse("api:schema"), {"format": "json"}, HTTP_ACCEPT=CHROME_ACCEPT)
        self.assertEqual(response.json()["info"]["title"], "Claimtrail API")
