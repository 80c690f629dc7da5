"""The web API against bodies and queries an attacker (or a careless script) sends: each is a 4xx, never a 500."""

import base64

from django.contrib.auth.models import User
from django.urls import reverse

from tests.test_api import ApiTestCase


def cursor(raw: str) -> str:
    """A cursor as DRF encodes one: base64 of its query string (p is the position, r reverses)."""
    return base64.b64encode(raw.encode()).decode()


class CursorTests(ApiTestCase):
    def test_a_cursor_whose_position_is_not_a_number_is_an_invalid_cursor(self):
        client = self.as_user(self.vera)
        for raw in ("p=abc", "p=%00", "p=1.5", "r=1&p=abc", "p=%ED%A0%80"):
            with self.subTest(cursor=raw):
                response = client.get(reverse("api:claim-list"), {"cursor": cursor(raw)})
                self.assertEqual(response.status_code, 404, response.content)
                self.assertEqual(response.json()["detail"], "Invalid cursor")

    def test_a_cursor_whose_position_is_beyond_any_id_is_an_invalid_cursor(self):
        response = self.as_user(self.vera).get(reverse("api:claim-list"), {"cursor": cursor("p=" + "9" * 30)})
        self.assertEqual(response.status_code, 404, response.content)

    def test_the_annotation_container_refuses_a_bad_cursor_the_same_way(self):
        response = self.as_user(self.vera).get(reverse("api:annotations"), {"cursor": cursor("p=abc")})
        self.assertEqual(response.status_code, 404, response.content)

    def test_a_good_cursor_still_pages(self):
        client = self.as_user(self.vera)
        first = client.get(reverse("api:claim-list"), {"page_size": 1}).json()
        second = client.get(first["next"]).json()
        self.assertEqual([row["id"] for row in second["results"]], [self.rejected.pk])


class AnnotationBodyTests(ApiTestCase):
    def annotation(self, source, selector):
        return {"target": {"source": source, "selector": selector}}

    def test_a_target_source_with_a_nul_character_is_a_400(self):
        body = self.annotation("https://example.org/\x00ledger", {"type": "TextQuoteSelector", "exact": "Talks"})
        response = self.post(self.alice, reverse("api:annotations"), body)
        self.assertEqual(response.status_code, 400, response.content)
        self.assertIn("target", response.json())

    def test_a_selector_whose_type_is_not_a_string_is_a_400(self):
        body = self.annotation("https://example.org/ledger", {"type": ["TextQuoteSelector"], "exact": "Talks"})
        response = self.post(self.alice, reverse("api:annotations"), body)
        self.assertEqual(response.status_code, 400, response.content)
        self.assertIn("target", response.json())


class SchemaAccessTests(ApiTestCase):
    def test_an_account_that_may_not_use_claimtrail_cannot_read_the_schema_or_its_docs(self):
        outsider = User.objects.create_user("outsider", password="pw")  # not staff: no admin, no API
        no_role = User.objects.create_user("norole", password="pw", is_staff=True)  # staff, but no role
        for user in (outsider, no_role):
            for name in ("api:schema", "api:docs"):
                with self.subTest(user=user.username, page=name):
                    self.assertEqual(self.as_user(user).get(reverse(name)).status_code, 403)

    def test_a_viewer_reads_the_schema_and_its_docs(self):
        for name in ("api:schema", "api:docs"):
            with self.subTest(page=name):
                self.assertEqual(self.as_user(self.vera).get(reverse(name)).status_code, 200)
