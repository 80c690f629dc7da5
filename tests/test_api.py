"""The web API: the same rules and messages as the admin, through tokens or the session."""

import json

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from claims.models import Claim, DismissedSuggestion, Link
from claims.services import create_claim, link_claims
from sources.models import Source
from sources.services import create_source
from tests.base import BaseTestCase

ANNO = 'application/ld+json; profile="http://www.w3.org/ns/anno.jsonld"'


class ApiTestCase(BaseTestCase):
    def setUp(self):
        self.api = APIClient()

    def as_user(self, user) -> APIClient:
        token, _ = Token.objects.get_or_create(user=user)
        self.api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return self.api

    def post(self, user, url, body):
        return self.as_user(user).post(url, body, format="json")

    def patch(self, user, url, body):
        return self.as_user(user).patch(url, body, format="json")


class TokenTests(ApiTestCase):
    def test_a_script_with_a_reviewers_token_reads_the_claims(self):
        response = self.as_user(self.bob).get(reverse("api:claim-list"))
        self.assertEqual(response.status_code, 200)
        self.assertEqual({row["id"] for row in response.json()["results"]}, {self.unacceptable.pk, self.rejected.pk})

    def test_without_a_token_the_api_refuses(self):
        self.assertIn(self.api.get(reverse("api:claim-list")).status_code, {401, 403})

    def test_a_token_of_an_account_that_is_not_staff_is_refused(self):
        self.alice.is_staff = False
        self.alice.save()
        self.assertEqual(self.as_user(self.alice).get(reverse("api:claim-list")).status_code, 403)

    def test_a_revoked_token_stops_working(self):
        client = self.as_user(self.bob)
        Token.objects.filter(user=self.bob).delete()
        self.assertEqual(client.get(reverse("api:claim-list")).status_code, 401)

    def test_the_browser_session_works_too(self):
        self.api.force_login(self.vera)
        self.assertEqual(self.api.get(reverse("api:claim-list")).status_code, 200)


class ClaimWriteTests(ApiTestCase):
    def test_a_claim_is_created_by_its_quote_and_located_in_the_text(self):
        response = self.post(
            self.alice, reverse("api:claim-list"), {"source": self.ledger.pk, "quote": "Talks on joint projects"}
        )
        self.assertEqual(response.status_code, 201, response.content)
        claim = Claim.objects.get(pk=response.json()["id"])
        self.assertEqual(self.ledger.text[claim.start : claim.end], "Talks on joint projects")
        self.assertEqual((claim.created_by, claim.status), (self.alice, Claim.Status.DRAFT))
        self.assertEqual(claim.history.count(), 1)

    def test_a_quote_not_in_the_text_is_a_400_with_the_admins_message(self):
        response = self.post(
            self.alice, reverse("api:claim-list"), {"source": self.ledger.pk, "quote": "no such words"}
        )
        self.assertEqual(response.status_code, 400)
        self.assertIn("quote", response.json())
        self.assertIn("not", response.json()["quote"][0])
        self.assertFalse(Claim.objects.filter(quote="no such words").exists())

    def test_a_second_claim_on_the_same_words_names_the_first(self):
        response = self.post(
            self.alice, reverse("api:claim-list"), {"source": self.ledger.pk, "quote": self.unacceptable.quote}
        )
        self.assertEqual(response.status_code, 400)
        self.assertIn(f"claim #{self.unacceptable.pk}", response.json()["quote"][0])

    def test_a_date_is_taken_at_its_precision(self):
        response = self.post(
            self.alice,
            reverse("api:claim-list"),
            {"source": self.ledger.pk, "quote": "Talks on joint projects", "claimed_on": "2017-06", "tags": []},
        )
        self.assertEqual(response.json()["claimed_on"], "2017-06")

    def test_an_update_from_an_old_version_is_a_409_naming_the_current_one(self):
        url = reverse("api:claim-detail", args=[self.unacceptable.pk])
        self.assertEqual(self.patch(self.alice, url, {"statement": "first", "version": 0}).status_code, 200)
        response = self.patch(self.alice, url, {"statement": "second", "version": 0})
        self.assertEqual(response.status_code, 409)
        self.assertEqual(response.json()["current_version"], 1)
        self.unacceptable.refresh_from_db()
        self.assertEqual(self.unacceptable.statement, "first")

    def test_an_update_without_the_version_read_is_refused(self):
        response = self.patch(self.alice, reverse("api:claim-detail", args=[self.unacceptable.pk]), {"statement": "x"})
        self.assertEqual(response.status_code, 400)
        self.assertIn("version", response.json())

    def test_only_a_reviewer_sets_the_status(self):
        url = reverse("api:claim-detail", args=[self.unacceptable.pk])
        self.assertEqual(self.patch(self.alice, url, {"status": "reviewed", "version": 0}).status_code, 403)
        self.unacceptable.refresh_from_db()
        self.assertEqual(self.unacceptable.status, Claim.Status.DRAFT)
        self.assertEqual(self.patch(self.bob, url, {"status": "reviewed", "version": 0}).status_code, 200)
        self.unacceptable.refresh_from_db()
        self.assertEqual(self.unacceptable.status, Claim.Status.REVIEWED)

    def test_only_a_reviewer_rates_a_claim(self):
        url = reverse("api:claim-detail", args=[self.unacceptable.pk])
        self.assertEqual(self.patch(self.alice, url, {"rating": 1, "version": 0}).status_code, 403)
        response = self.patch(self.bob, url, {"rating": 1, "version": 0})
        self.assertEqual((response.status_code, response.json()["rating"]), (200, 1))

    def test_an_annotator_rewording_a_reviewed_claim_sends_it_back_to_draft(self):
        url = reverse("api:claim-detail", args=[self.unacceptable.pk])
        self.assertEqual(self.patch(self.bob, url, {"status": "reviewed", "version": 0}).status_code, 200)
        response = self.patch(self.alice, url, {"statement": "reworded", "version": 1})
        self.assertEqual((response.status_code, response.json()["status"]), (200, "draft"))

    def test_a_viewer_cannot_write(self):
        response = self.post(self.vera, reverse("api:claim-list"), {"source": self.ledger.pk, "quote": "Talks"})
        self.assertEqual(response.status_code, 403)

    def test_new_tags_are_created_only_for_those_who_may_add_tags(self):
        url = reverse("api:claim-detail", args=[self.unacceptable.pk])
        response = self.patch(self.vera, url, {"tags": ["summit"], "version": 0})
        self.assertEqual(response.status_code, 403)
        response = self.patch(self.bob, url, {"tags": ["summit"], "version": 0})
        self.assertEqual(response.status_code, 200, response.content)
        self.assertEqual(response.json()["tags"], ["summit"])


class SourceAndAgentTests(ApiTestCase):
    def test_a_source_with_claims_keeps_its_text(self):
        response = self.patch(self.bob, reverse("api:source-detail", args=[self.ledger.pk]), {"text": "new text"})
        self.assertEqual(response.status_code, 400)
        self.assertIn("text", response.json())
        self.ledger.refresh_from_db()
        self.assertNotEqual(self.ledger.text, "new text")

    def test_a_source_with_claims_can_still_be_retitled(self):
        response = self.patch(self.bob, reverse("api:source-detail", args=[self.ledger.pk]), {"title": "Retitled"})
        self.assertEqual(response.status_code, 200, response.content)
        self.assertEqual(response.json()["title"], "Retitled")

    def test_one_source_shows_its_captures_and_hashes(self):
        response = self.as_user(self.vera).get(reverse("api:source-detail", args=[self.ledger.pk]))
        self.assertEqual(response.json()["text_sha256"], self.ledger.text_sha256)
        self.assertEqual(response.json()["captures"], [])

    def test_an_organisation_is_added_with_its_aliases(self):
        response = self.post(
            self.bob, reverse("api:agent-list"), {"name": "Nikkei", "kind": "organisation", "aliases": ["Nikkei Asia"]}
        )
        self.assertEqual(response.status_code, 201, response.content)
        self.assertEqual(response.json()["aliases"], ["Nikkei Asia"])


class LinkTests(ApiTestCase):
    def test_two_claims_in_different_sources_are_linked_and_listed_from_either(self):
        response = self.post(
            self.alice,
            reverse("api:link-list"),
            {"claim_a": self.unacceptable.pk, "claim_b": self.rejected.pk, "relation": "corroborates"},
        )
        self.assertEqual(response.status_code, 201, response.content)
        for claim in (self.unacceptable, self.rejected):
            listed = self.api.get(reverse("api:link-list"), {"claim": claim.pk}).json()["results"]
            self.assertEqual([row["id"] for row in listed], [response.json()["id"]])

    def test_a_link_within_one_source_is_refused_with_the_models_message(self):
        other = create_claim(source=self.ledger, quote="Talks")
        response = self.post(
            self.alice, reverse("api:link-list"), {"claim_a": self.unacceptable.pk, "claim_b": other.pk}
        )
        self.assertEqual(response.status_code, 400)
        self.assertIn("same source", json.dumps(response.json()))
        self.assertFalse(Link.objects.exists())

    def test_a_link_is_changed_and_deleted(self):
        link = link_claims(claim_a=self.unacceptable, claim_b=self.rejected)
        url = reverse("api:link-detail", args=[link.pk])
        self.assertEqual(self.patch(self.alice, url, {"relation": "contradicts"}).status_code, 200)
        link.refresh_from_db()
        self.assertEqual(link.relation, "contradicts")
        self.assertEqual(self.as_user(self.bob).delete(url).status_code, 204)
        self.assertFalse(Link.objects.exists())


class ClaimListTests(ApiTestCase):
    def more_claims(self, n: int) -> None:
        text = " ".join(f"Sentence number {i:03d}." for i in range(n))
        source = create_source(title="Many", text=text)
        for i in range(n):
            create_claim(source=source, quote=f"Sentence number {i:03d}.", tags=["many"])

    def test_a_page_takes_the_same_queries_for_5_claims_as_for_50(self):
        self.more_claims(60)
        client = self.as_user(self.vera)
        counts = []
        for size in (5, 50):
            with CaptureQueriesContext(connection) as queries:
                response = client.get(reverse("api:claim-list"), {"page_size": size})
            self.assertEqual(len(response.json()["results"]), size)
            counts.append(len(queries))
        self.assertEqual(counts[0], counts[1])
        with self.assertNumQueries(counts[0]):
            client.get(reverse("api:claim-list"), {"page_size": 20})

    def test_a_members_page_reads_the_bounds_of_their_project_once(self):
        with CaptureQueriesContext(connection) as queries:
            response = self.as_user(self.vera).get(reverse("api:claim-list"))
        self.assertEqual(response.status_code, 200)
        bounds = [query for query in queries if 'MIN("claims_claim"."id")' in query["sql"]]
        self.assertEqual(len(bounds), 1, [query["sql"] for query in bounds])

    def test_cursor_pages_walk_every_claim_once(self):
        self.more_claims(12)
        client, seen, url = self.as_user(self.vera), [], reverse("api:claim-list") + "?page_size=5"
        while url:
            page = client.get(url).json()
            self.assertNotIn("count", page)
            seen += [row["id"] for row in page["results"]]
            url = page["next"]
        self.assertEqual(seen, sorted(Claim.objects.values_list("pk", flat=True)))

    def test_claims_are_filtered_by_date_at_any_precision(self):
        client = self.as_user(self.vera)
        for value, expected in [("2017", [self.unacceptable.pk]), ("2017-06", [self.unacceptable.pk]), ("2016", [])]:
            rows = client.get(reverse("api:claim-list"), {"claimed_on": value}).json()["results"]
            self.assertEqual([row["id"] for row in rows], expected, value)
        for bad in ("June", "0%)Z:"):
            response = client.get(reverse("api:claim-list"), {"claimed_on": bad})
            self.assertEqual(response.status_code, 400)
            self.assertIn(bad, response.json()["claimed_on"][0])

    def test_claims_are_filtered_by_source_publisher_speaker_status_and_words(self):
        client = self.as_user(self.vera)
        cases = [
            ({"source": self.harbour.pk}, [self.rejected.pk]),
            ({"publisher": self.ledger_press.pk}, [self.unacceptable.pk]),
            ({"speaker": self.putin.pk}, [self.unacceptable.pk, self.rejected.pk]),
            ({"speaker": "vladimir PUTIN"}, [self.unacceptable.pk, self.rejected.pk]),
            ({"speaker": "Vladimir"}, []),
            ({"status": "reviewed"}, []),
            ({"q": "anti-missile Kurils"}, [self.rejected.pk]),
        ]
        for params, expected in cases:
            rows = client.get(reverse("api:claim-list"), params).json()["results"]
            self.assertEqual([row["id"] for row in rows], expected, params)

    def test_an_id_too_big_for_the_database_is_a_400(self):
        client = self.as_user(self.bob)
        self.assertEqual(client.get(reverse("api:link-list"), {"claim": "1.3e38"}).status_code, 400)
        self.assertEqual(client.get(reverse("api:claim-list"), {"source": str(2**64)}).status_code, 400)
        self.assertEqual(client.get(reverse("api:claim-list"), {"speaker": str(2**64)}).status_code, 400)
        response = client.post(
            reverse("api:source-list"), {"title": "T", "text": "x", "authors": [2**64]}, format="json"
        )
        self.assertEqual(response.status_code, 400)

    def test_claims_are_filtered_by_independent_voices(self):
        link_claims(claim_a=self.unacceptable, claim_b=self.rejected)
        rows = self.as_user(self.vera).get(reverse("api:claim-list"), {"min_independent_voices": 1}).json()["results"]
        self.assertEqual({row["id"] for row in rows}, {self.unacceptable.pk, self.rejected.pk})
        self.assertEqual(rows[0]["independent_voices"], 1)

    def test_the_filters_name_before_the_rename_still_filters_by_independent_voices(self):
        link_claims(claim_a=self.unacceptable, claim_b=self.rejected)
        client = self.as_user(self.vera)
        for name in ("min_independent_voices", "min_independent_sources"):
            with self.subTest(name=name):
                rows = client.get(reverse("api:claim-list"), {name: 2}).json()["results"]
                self.assertEqual(rows, [])


class SuggestionAndCorroborationTests(ApiTestCase):
    def test_a_viewer_lists_suggestions_but_cannot_act_on_them(self):
        client = self.as_user(self.vera)
        self.assertEqual(client.get(reverse("api:claim-suggestions", args=[self.unacceptable.pk])).status_code, 200)
        url = reverse("api:claim-act-on-suggestion", args=[self.unacceptable.pk, self.rejected.pk])
        self.assertEqual(client.post(url, {"action": "dismiss"}, format="json").status_code, 403)
        self.assertFalse(DismissedSuggestion.objects.exists())

    def test_an_annotator_links_or_dismisses_a_suggestion(self):
        url = reverse("api:claim-act-on-suggestion", args=[self.unacceptable.pk, self.rejected.pk])
        self.assertEqual(self.post(self.alice, url, {"action": "contradicts"}).status_code, 201)
        self.assertEqual(Link.objects.get().relation, "contradicts")
        again = self.post(self.alice, url, {"action": "corroborates"})
        self.assertEqual(again.status_code, 400)
        self.assertIn("already linked", json.dumps(again.json()))

    def test_the_corroboration_counts_explain_each_linked_source(self):
        link_claims(claim_a=self.unacceptable, claim_b=self.rejected)
        body = self.as_user(self.vera).get(reverse("api:claim-corroboration", args=[self.unacceptable.pk])).json()
        self.assertEqual((body["corroborating_sources"], body["independent_voices"]), (1, 1))
        self.assertEqual(body["links"][0]["source"], self.harbour.pk)
        self.assertTrue(body["links"][0]["independent"])
        self.assertEqual(body["voices"][0]["group"], "independent voice 1")

    def test_a_source_without_author_publisher_or_url_is_unverified_not_independent(self):
        bare = create_source(title="Bare", text="The president called the sites unacceptable.")
        link_claims(claim_a=self.unacceptable, claim_b=create_claim(source=bare, quote="called the sites unacceptable"))
        body = self.as_user(self.vera).get(reverse("api:claim-corroboration", args=[self.unacceptable.pk])).json()
        self.assertEqual((body["independent_voices"], body["unverified_sources"]), (0, 1))
        self.assertEqual(
            [(v["group"], v["why"]) for v in body["voices"]],
            [("unverified", ["no author, publisher or URL: never counted as independent"])],
        )
        self.assertFalse(body["links"][0]["independent"])

    def test_the_word_search_is_the_admins_and_finds_a_claim_by_its_id(self):
        rows = self.as_user(self.vera).get(reverse("api:claim-list"), {"q": f"#{self.rejected.pk}"}).json()["results"]
        self.assertEqual([row["id"] for row in rows], [self.rejected.pk])


class AnnotationProtocolTests(ApiTestCase):
    def test_the_container_answers_in_the_annotation_profile_with_a_first_page(self):
        response = self.as_user(self.vera).get(reverse("api:annotations"), HTTP_ACCEPT=ANNO)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response["Content-Type"], ANNO)
        self.assertIn('rel="type"', response["Link"])
        body = response.json()
        self.assertIn("AnnotationCollection", body["type"])
        items = body["first"]["items"]
        self.assertEqual(body["first"]["type"], "AnnotationPage")
        self.assertEqual(
            {item["canonical"] for item in items}, {f"urn:claimtrail:claim:{c.pk}" for c in Claim.objects.all()}
        )
        self.assertEqual(items[0]["target"]["selector"][0]["type"], "TextQuoteSelector")

    def test_one_annotation_is_served_at_its_id_with_an_etag(self):
        url = reverse("api:annotation", args=[self.unacceptable.pk])
        response = self.as_user(self.vera).get(url, HTTP_ACCEPT="application/ld+json")
        self.assertEqual(response.json()["id"], "http://testserver" + url)
        self.assertTrue(response["ETag"])

    def test_posting_an_annotation_with_a_quote_selector_creates_a_claim(self):
        source = create_source(title="Twice", text="He said yes. Later he said yes again.", url="https://example.org/t")
        annotation = {
            "@context": "http://www.w3.org/ns/anno.jsonld",
            "type": "Annotation",
            "body": {"type": "TextualBody", "value": "He agreed a second time."},
            "target": {
                "source": "https://example.org/t",
                "selector": {
                    "type": "TextQuoteSelector",
                    "exact": "said yes",
                    "prefix": "Later he ",
                    "suffix": " again",
                },
            },
        }
        response = self.post(self.alice, reverse("api:annotations"), annotation)
        self.assertEqual(response.status_code, 201, response.content)
        claim = Claim.objects.get(source=source)
        self.assertEqual(
            (claim.start, claim.statement), (source.text.index("said yes again"), "He agreed a second time.")
        )
        self.assertEqual(response["Location"], response.json()["id"])

    def test_posting_in_the_protocols_own_media_type_and_profile_creates_a_claim(self):
        source = create_source(title="Once", text="He said yes once.", url="https://example.org/once")
        annotation = {
            "@context": "http://www.w3.org/ns/anno.jsonld",
            "type": "Annotation",
            "target": {
                "source": "https://example.org/once",
                "selector": {"type": "TextQuoteSelector", "exact": "said yes"},
            },
        }
        response = self.as_user(self.alice).post(
            reverse("api:annotations"),
            json.dumps(annotation),
            content_type='application/ld+json; profile="http://www.w3.org/ns/anno.jsonld"',
            HTTP_ACCEPT=ANNO,
        )
        self.assertEqual(response.status_code, 201, response.content)
        self.assertEqual(Claim.objects.get(source=source).quote, "said yes")

    def test_the_schema_documents_the_protocols_request_media_type(self):
        response = self.as_user(self.vera).get(reverse("api:schema"), HTTP_ACCEPT="application/vnd.oai.openapi+json")
        content = json.loads(response.content)["paths"]["/api/annotations/"]["post"]["requestBody"]["content"]
        self.assertIn('application/ld+json; profile="http://www.w3.org/ns/anno.jsonld"', content)

    def test_an_ambiguous_quote_without_context_is_refused_as_in_the_admin(self):
        create_source(title="Twice", text="He said yes. Later he said yes again.", url="https://example.org/t")
        annotation = {
            "target": {
                "source": "https://example.org/t",
                "selector": {"type": "TextQuoteSelector", "exact": "said yes"},
            }
        }
        response = self.post(self.alice, reverse("api:annotations"), annotation)
        self.assertEqual(response.status_code, 400)
        self.assertIn("quote", response.json())
        self.assertEqual(Source.objects.get(title="Twice").claims.count(), 0)

    def test_a_viewer_cannot_post_an_annotation(self):
        annotation = {
            "target": {
                "source": "https://example.org/ledger",
                "selector": {"type": "TextQuoteSelector", "exact": "Talks"},
            }
        }
        self.assertEqual(self.post(self.vera, reverse("api:annotations"), annotation).status_code, 403)


class DocumentationTests(ApiTestCase):
    def test_the_openapi_schema_and_its_docs_are_served_without_any_other_site(self):
        client = self.as_user(self.vera)
        schema = client.get(reverse("api:schema"), HTTP_ACCEPT="application/vnd.oai.openapi+json")
        self.assertEqual(schema.status_code, 200)
        self.assertIn("/api/claims/", json.loads(schema.content)["paths"])
        self.client.force_login(self.vera)
        docs = self.client.get(reverse("api:docs"))
        self.assertEqual(docs.status_code, 200)
        self.assertNotIn(b"cdn.", docs.content)
        self.assertNotIn(b"<script>", docs.content)


class TokenAdminTests(ApiTestCase):
    def test_a_person_creates_their_own_token_in_the_admin_and_sees_only_theirs(self):
        Token.objects.create(user=self.bob)
        self.client.force_login(self.alice)
        response = self.client.post(reverse("admin:authtoken_tokenproxy_add"), {})
        self.assertEqual(response.status_code, 302)
        self.assertTrue(Token.objects.filter(user=self.alice).exists())
        listed = self.client.get(reverse("admin:authtoken_tokenproxy_changelist"))
        self.assertContains(listed, Token.objects.get(user=self.alice).key)
        self.assertNotContains(listed, Token.objects.get(user=self.bob).key)

    def test_a_new_token_replaces_the_old_one(self):
        old = Token.objects.create(user=self.alice).key
        self.client.force_login(self.alice)
        self.client.post(reverse("admin:authtoken_tokenproxy_add"), {})
        self.assertNotEqual(Token.objects.get(user=self.alice).key, old)

    def test_a_person_cannot_revoke_someone_elses_token(self):
        token = Token.objects.create(user=self.bob)
        self.client.force_login(self.alice)
        response = self.client.post(reverse("admin:authtoken_tokenproxy_delete", args=[token.pk]), {"post": "yes"})
        self.assertIn(response.status_code, {403, 302})
        self.assertTrue(Token.objects.filter(pk=token.pk).exists())

    def test_a_person_cannot_open_someone_elses_token(self):
        token = Token.objects.create(user=self.bob)
        self.client.force_login(self.alice)
        response = self.client.get(reverse("admin:authtoken_tokenproxy_change", args=[token.pk]))
        # As for a key that is no one's: Django's "perhaps it was deleted", the page naming nothing of the token.
        self.assertRedirects(response, reverse("admin:index"))
        self.assertNotContains(self.client.get(response["Location"]), "bob")
