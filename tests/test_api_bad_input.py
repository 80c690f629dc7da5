"""Bad input an attacker (or a careless script) sends, each refused with a 4xx and a message where it is read:
deep JSON, ids that are not numbers, lone surrogates, NUL characters, deletes of rows others refer to."""

import json

from django.urls import reverse

from claims.services import link_claims
from sources.models import Agent
from tests.test_api import ApiTestCase

DEEP = "[" * 3000 + "]" * 3000


class DeepJsonTests(ApiTestCase):
    def post_raw(self, user, url, body: str, method="post"):
        return getattr(self.as_user(user), method)(url, body, content_type="application/json")

    def test_deeply_nested_json_is_a_400_on_every_write_endpoint(self):
        writes = [
            ("post", reverse("api:claim-list")),
            ("patch", reverse("api:claim-detail", args=[self.unacceptable.pk])),
            ("put", reverse("api:claim-detail", args=[self.unacceptable.pk])),
            ("post", reverse("api:link-list")),
            ("post", reverse("api:source-list")),
            ("patch", reverse("api:source-detail", args=[self.ledger.pk])),
            ("post", reverse("api:agent-list")),
            ("patch", reverse("api:agent-detail", args=[self.putin.pk])),
            ("post", reverse("api:annotations")),
            ("post", reverse("api:claim-act-on-suggestion", args=[self.unacceptable.pk, self.rejected.pk])),
        ]
        for method, url in writes:
            for body in (DEEP, '{"quote": ' + DEEP + "}"):
                with self.subTest(method=method, url=url, body=body[:12]):
                    response = self.post_raw(self.root, url, body, method=method)
                    self.assertEqual(response.status_code, 400, response.content[:200])
                    self.assertIn("nested", response.json()["detail"])

    def test_json_nested_a_little_is_still_read(self):
        body = json.dumps({"name": "Ada Quill", "kind": "person", "aliases": ["A. Quill"]})
        response = self.post_raw(self.bob, reverse("api:agent-list"), body)
        self.assertEqual(response.status_code, 201, response.content)


class NonNumericIdTests(ApiTestCase):
    def test_a_claim_id_that_is_not_a_number_is_a_404_on_every_claim_url(self):
        client = self.as_user(self.root)
        for url in ("/api/claims/abc/", "/api/claims/abc/suggestions/", "/api/claims/abc/corroboration/"):
            with self.subTest(url=url):
                self.assertEqual(client.get(url).status_code, 404)
        for url in (f"/api/claims/abc/suggestions/{self.rejected.pk}/", "/api/claims/1/suggestions/abc/"):
            with self.subTest(url=url):
                self.assertEqual(client.post(url, {"action": "dismiss"}, format="json").status_code, 404)

    def test_an_id_that_is_not_a_number_is_a_404_on_the_other_resources(self):
        client = self.as_user(self.root)
        for url in ("/api/sources/abc/", "/api/links/abc/", "/api/agents/abc/", "/api/annotations/abc/"):
            with self.subTest(url=url):
                self.assertEqual(client.get(url).status_code, 404)

    def test_a_history_version_that_is_not_a_number_is_a_404(self):
        self.client.force_login(self.root)
        for url in (
            f"/admin/claims/claim/{self.unacceptable.pk}/history/abc/",
            "/admin/claims/claim/abc/history/1/",
            "/admin/claims/claim/abc/history/",
            f"/admin/sources/source/{self.ledger.pk}/history/abc/",
        ):
            with self.subTest(url=url):
                self.assertEqual(self.client.get(url).status_code, 404)


class LoneSurrogateTests(ApiTestCase):
    def test_an_annotation_whose_target_source_is_a_lone_surrogate_is_a_400_naming_the_target(self):
        body = '{"target": {"source": "\\ud800", "selector": {"type": "TextQuoteSelector", "exact": "Talks"}}}'
        response = self.as_user(self.alice).post(reverse("api:annotations"), body, content_type="application/json")
        self.assertEqual(response.status_code, 400, response.content)
        self.assertIn("target", response.json())

    def test_a_lone_surrogate_in_any_other_field_is_a_400_naming_it(self):
        body = '{"name": "\\ud800", "kind": "person"}'
        response = self.as_user(self.bob).post(reverse("api:agent-list"), body, content_type="application/json")
        self.assertEqual(response.status_code, 400, response.content)
        self.assertIn("name", response.json())


class ProtectedDeleteTests(ApiTestCase):
    def test_deleting_a_source_with_claims_is_a_409_naming_them(self):
        response = self.as_user(self.root).delete(reverse("api:source-detail", args=[self.ledger.pk]))
        self.assertEqual(response.status_code, 409, response.content)
        self.assertIn("claim", response.json()["detail"])

    def test_deleting_a_speaker_or_publisher_is_a_409_naming_what_refers_to_it(self):
        client = self.as_user(self.root)
        for agent, what in ((self.putin, "claim"), (self.ledger_press, "source")):
            with self.subTest(agent=agent.name):
                response = client.delete(reverse("api:agent-detail", args=[agent.pk]))
                self.assertEqual(response.status_code, 409, response.content)
                self.assertIn(what, response.json()["detail"])

    def test_an_agent_nothing_refers_to_is_deleted(self):
        nobody = Agent.objects.create(name="Nobody at all", kind=Agent.Kind.PERSON)
        response = self.as_user(self.root).delete(reverse("api:agent-detail", args=[nobody.pk]))
        self.assertEqual(response.status_code, 204)


class DuplicateLinkTests(ApiTestCase):
    def test_a_duplicate_link_is_refused_with_its_message_once(self):
        link_claims(claim_a=self.unacceptable, claim_b=self.rejected, relation="corroborates")
        body = {"claim_a": self.rejected.pk, "claim_b": self.unacceptable.pk, "relation": "corroborates"}
        response = self.post(self.alice, reverse("api:link-list"), body)
        self.assertEqual(response.status_code, 400, response.content)
        errors = [message for messages in response.json().values() for message in messages]
        self.assertEqual(len(errors), 1, errors)

    def test_a_link_between_claims_that_do_not_exist_is_a_400_naming_both_ends(self):
        # The pair's uniqueness was checked with both ends missing: PostgreSQL answered 500 (schemathesis found it).
        response = self.post(self.alice, reverse("api:link-list"), {"claim_a": 999999, "claim_b": 999999})
        self.assertEqual(response.status_code, 400, response.content)
        self.assertEqual(set(response.json()), {"claim_a", "claim_b"})
