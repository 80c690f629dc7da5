"""The API scoped by project: lists, details, filters, the W3C container, suggestions and corroboration show only the
projects the caller is a member of; a write naming another project's source, person, tag or claim is refused as not
found, and nothing is written."""

from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from claims.models import Claim, Link, Tag
from claims.services import create_claim
from sources.models import Agent, Source
from sources.services import create_source
from tests.test_project_views import MARKER, TWIN_TEXT, TwoProjectsTestCase


class ProjectApiTestCase(TwoProjectsTestCase):
    def setUp(self):
        self.api = APIClient()

    def as_user(self, user) -> APIClient:
        token, _ = Token.objects.get_or_create(user=user)
        self.api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return self.api

    def get(self, user, url, params=None):
        return self.as_user(user).get(url, params or {})

    def post(self, user, url, body):
        return self.as_user(user).post(url, body, format="json")

    def ids(self, user, name, params=None) -> set[int]:
        response = self.get(user, reverse(name), params)
        self.assertEqual(response.status_code, 200)
        return {row["id"] for row in response.json()["results"]}


class ReadingTests(ProjectApiTestCase):
    def test_each_list_shows_only_the_callers_projects(self):
        lists = {
            "api:claim-list": self.b_claim.pk,
            "api:source-list": self.b_source.pk,
            "api:agent-list": self.b_person.pk,
        }
        for name, bravos in lists.items():
            with self.subTest(name):
                self.assertNotIn(bravos, self.ids(self.vera, name))
                self.assertIn(bravos, self.ids(self.bert, name))

    def test_the_links_list_shows_only_the_callers_projects(self):
        bravo_source = create_source(project=self.bravo, title="Bravo again", text="Reported: " + TWIN_TEXT)
        bravo_twin = create_claim(source=bravo_source, quote=TWIN_TEXT)
        body = {"claim_a": self.b_claim.pk, "claim_b": bravo_twin.pk}
        response = self.post(self.bert, reverse("api:link-list"), body)
        self.assertEqual(response.status_code, 201)
        link = Link.objects.get(pk=response.json()["id"])
        self.assertNotIn(link.pk, self.ids(self.vera, "api:link-list"))
        self.assertIn(link.pk, self.ids(self.bert, "api:link-list"))
        self.assertEqual(self.get(self.vera, reverse("api:link-detail", args=[link.pk])).status_code, 404)

    def test_another_projects_objects_are_not_found(self):
        urls = [
            reverse("api:claim-detail", args=[self.b_claim.pk]),
            reverse("api:claim-suggestions", args=[self.b_claim.pk]),
            reverse("api:claim-corroboration", args=[self.b_claim.pk]),
            reverse("api:source-detail", args=[self.b_source.pk]),
            reverse("api:agent-detail", args=[self.b_person.pk]),
            reverse("api:annotation", args=[self.b_claim.pk]),
        ]
        for url in urls:
            with self.subTest(url):
                response = self.get(self.vera, url)
                self.assertEqual(response.status_code, 404)
                self.assertNotIn(MARKER, response.content.decode())
                self.assertEqual(self.get(self.bert, url).status_code, 200)

    def test_filters_naming_another_projects_things_find_nothing(self):
        for params in (
            {"speaker": self.b_person.pk},
            {"speaker": self.b_person.name},
            {"tag": self.b_tag.name},
            {"source": self.b_source.pk},
            {"publisher": self.b_press.pk},
            {"q": MARKER},
        ):
            with self.subTest(params):
                self.assertEqual(self.ids(self.vera, "api:claim-list", params), set())
                self.assertEqual(self.ids(self.bert, "api:claim-list", params), {self.b_claim.pk})

    def test_the_annotation_container_lists_only_the_callers_projects(self):
        response = self.get(self.vera, reverse("api:annotations"))
        self.assertEqual(response.status_code, 200)
        self.assertNotIn(MARKER, response.content.decode())
        self.assertIn(MARKER, self.get(self.bert, reverse("api:annotations")).content.decode())

    def test_suggestions_through_the_api_stay_in_the_claims_project(self):
        response = self.get(self.bert, reverse("api:claim-suggestions", args=[self.a_claim.pk]))
        suggested = [row["claim"] for row in response.json()]
        self.assertIn(self.a_twin.pk, suggested)
        self.assertNotIn(self.b_claim.pk, suggested)


class WritingTests(ProjectApiTestCase):
    def claim_body(self, source, **extra) -> dict:
        return {"source": source.pk, "quote": "Vostok", **extra}

    def test_a_claim_in_another_projects_source_is_refused_and_not_written(self):
        response = self.post(self.bob, reverse("api:claim-list"), self.claim_body(self.b_source))
        self.assertEqual(response.status_code, 400)
        self.assertIn("source", response.json())
        self.assertEqual(Claim.objects.filter(source=self.b_source).count(), 1)

    def test_a_speaker_of_another_project_is_refused_and_not_written(self):
        before = Claim.objects.count()
        body = self.claim_body(self.a_first, speaker=self.b_person.pk)
        for user in (self.bob, self.bert):  # not visible to Bob; visible to Bert, but of another project
            with self.subTest(user.username):
                response = self.post(user, reverse("api:claim-list"), body)
                self.assertEqual(response.status_code, 400)
                self.assertIn("speaker", response.json())
        self.assertEqual(Claim.objects.count(), before)

    def test_a_tag_is_found_by_name_within_the_sources_project_only(self):
        body = self.claim_body(self.a_first, tags=[self.b_tag.name])
        response = self.post(self.bert, reverse("api:claim-list"), body)
        self.assertEqual(response.status_code, 201)
        (tag,) = Claim.objects.get(pk=response.json()["id"]).tags.all()
        self.assertEqual((tag.name, tag.project), (self.b_tag.name, self.main))
        self.assertEqual(Tag.objects.filter(name=self.b_tag.name).count(), 2)

    def test_a_link_to_another_projects_claim_is_refused_and_not_written(self):
        for user in (self.bob, self.bert):
            with self.subTest(user.username):
                body = {"claim_a": self.a_claim.pk, "claim_b": self.b_claim.pk}
                response = self.post(user, reverse("api:link-list"), body)
                self.assertEqual(response.status_code, 400)
        self.assertFalse(Link.objects.exists())

    def test_acting_on_a_suggestion_of_another_project_is_not_found(self):
        url = reverse("api:claim-act-on-suggestion", args=[self.a_claim.pk, self.b_claim.pk])
        self.assertEqual(self.post(self.bob, url, {"action": "corroborates"}).status_code, 404)
        self.assertFalse(Link.objects.exists())

    def test_changing_another_projects_claim_is_not_found(self):
        url = reverse("api:claim-detail", args=[self.b_claim.pk])
        response = self.as_user(self.bob).patch(url, {"statement": "changed", "version": self.b_claim.version})
        self.assertEqual(response.status_code, 404)
        self.b_claim.refresh_from_db()
        self.assertEqual(self.b_claim.statement, "")

    def test_an_annotation_targeting_another_projects_source_is_refused(self):
        body = {
            "type": "Annotation",
            "target": {
                "source": f"urn:claimtrail:source:{self.b_source.pk}",
                "selector": {"type": "TextQuoteSelector", "exact": "Vostok"},
            },
        }
        response = self.post(self.bob, reverse("api:annotations"), body)
        self.assertEqual(response.status_code, 400)
        self.assertEqual(Claim.objects.filter(source=self.b_source).count(), 1)

    def test_a_source_published_by_another_projects_organisation_is_refused(self):
        body = {"title": "New", "text": "Some text.", "publisher": self.b_press.pk, "authors": [self.b_person.pk]}
        for user in (self.bob, self.bert):
            with self.subTest(user.username):
                response = self.post(user, reverse("api:source-list"), {**body, "project": "main"})
                self.assertEqual(response.status_code, 400)
                self.assertIn("publisher", response.json())
        self.assertFalse(Source.objects.filter(title="New").exists())

    def test_a_person_under_another_projects_organisation_is_refused(self):
        response = self.post(self.bob, reverse("api:agent-list"), {"name": "Newcomer", "parent": self.b_press.pk})
        self.assertEqual(response.status_code, 400)
        self.assertIn("parent", response.json())
        self.assertFalse(Agent.objects.filter(name="Newcomer").exists())


class ProjectOfNewThingsTests(ProjectApiTestCase):
    def test_a_new_source_goes_to_the_only_project_where_the_caller_may_add(self):
        response = self.post(self.bob, reverse("api:source-list"), {"title": "Mine", "text": "Text."})
        self.assertEqual(response.status_code, 201)
        self.assertEqual(Source.objects.get(pk=response.json()["id"]).project, self.main)

    def test_a_member_of_several_projects_must_name_one(self):
        response = self.post(self.bert, reverse("api:source-list"), {"title": "Mine", "text": "Text."})
        self.assertEqual(response.status_code, 400)
        self.assertIn("project", response.json())
        for given in ("bravo", self.bravo.pk):
            with self.subTest(given):
                body = {"title": f"Mine {given}", "text": "Text.", "project": given}
                response = self.post(self.bert, reverse("api:source-list"), body)
                self.assertEqual(response.status_code, 201)
                self.assertEqual(Source.objects.get(pk=response.json()["id"]).project, self.bravo)

    def test_a_project_the_caller_is_not_in_is_refused(self):
        response = self.post(self.bob, reverse("api:source-list"), {"title": "X", "text": "T.", "project": "bravo"})
        self.assertEqual(response.status_code, 400)
        self.assertIn("project", response.json())
        self.assertFalse(Source.objects.filter(title="X").exists())

    def test_a_new_person_goes_to_the_project_named(self):
        response = self.post(self.bert, reverse("api:agent-list"), {"name": "Newcomer", "project": "bravo"})
        self.assertEqual(response.status_code, 201)
        self.assertEqual(Agent.objects.get(pk=response.json()["id"]).project, self.bravo)
