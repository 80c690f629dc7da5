"""Pages scoped by project: a member of only one project finds nothing of another's (a 404, never a 403), and what
the pages list and suggest comes from the object's own project only."""

from django.urls import reverse

from claims.corroboration.learning import Learned, fitted_weights, record_decision
from claims.corroboration.suggestions import ranked_for, suggestions_for
from claims.models import Link, RankerFit, Tag
from claims.services import create_claim
from common.projects import sole_project
from sources.duplicates import likely_duplicates
from sources.models import Agent, Project
from sources.services import create_source
from tests.base import BaseTestCase, make_member
from tests.migrating import MigrationTestCase

# Words that stand only in the second project's texts and names: a page showing one has leaked it.
MARKER = "Quillfeather"
TWIN_TEXT = "The harbour authority of Vostok confirmed the sale of three frigates to the coastguard on Monday."
BRAVO_TEXT = f"{TWIN_TEXT} {MARKER} said so."


class TwoProjectsTestCase(BaseTestCase):
    """The base story in Main (Alice, Bob and Vera are members of it only), and a second project, Bravo, with a
    source, a person, an organisation, a tag and a claim of its own. Bert is a Reviewer in both."""

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.main = sole_project()
        cls.bravo = Project.objects.create(slug="bravo", name="Bravo desk")
        cls.bert = cls.make_user("bert", "Reviewer", project=cls.main)
        make_member(cls.bert, "Reviewer", cls.bravo)
        cls.b_person = Agent.objects.create(name=f"Ada {MARKER}", project=cls.bravo)
        cls.b_press = Agent.objects.create(name=f"{MARKER} Courier", kind=Agent.Kind.ORGANISATION, project=cls.bravo)
        cls.b_tag = Tag.objects.create(name=f"{MARKER.lower()}-files", project=cls.bravo)
        cls.b_source = create_source(
            project=cls.bravo,
            title=f"The {MARKER} dossier",
            text=BRAVO_TEXT,
            url="https://bravo.example.com/dossier",
            publisher=cls.b_press,
        )
        cls.b_claim = create_claim(source=cls.b_source, quote=TWIN_TEXT, speaker=cls.b_person, tags=[cls.b_tag.name])
        # In Main, two sources saying the same as Bravo's, word for word: suggestions for one find the other.
        cls.a_first = create_source(project=cls.main, title="Port notes", text=TWIN_TEXT + " More follows.")
        cls.a_second = create_source(project=cls.main, title="Coast notes", text="Reported: " + TWIN_TEXT)
        cls.a_claim = create_claim(source=cls.a_first, quote=TWIN_TEXT)
        cls.a_twin = create_claim(source=cls.a_second, quote=TWIN_TEXT)


class PagesOfAnotherProjectTests(TwoProjectsTestCase):
    def get(self, user, url):
        self.client.force_login(user)
        return self.client.get(url)

    def assert_hidden_from_a_member_of_main_only(self, url):
        response = self.get(self.vera, url)
        self.assertEqual(response.status_code, 404)
        self.assertNotIn(MARKER, response.content.decode())

    def test_the_claim_page_of_another_project_is_not_found(self):
        url = reverse("claims:detail", args=[self.b_claim.pk])
        self.assert_hidden_from_a_member_of_main_only(url)
        self.assertContains(self.get(self.bert, url), MARKER)

    def test_the_provenance_page_of_another_project_is_not_found(self):
        url = reverse("sources:provenance", args=[self.b_source.pk])
        self.assert_hidden_from_a_member_of_main_only(url)
        self.assertContains(self.get(self.bert, url), MARKER)

    def test_the_evidence_of_another_project_is_not_found(self):
        url = reverse("claims:evidence", args=[self.b_source.pk])
        self.assert_hidden_from_a_member_of_main_only(url)
        response = self.get(self.bert, url)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response["Content-Type"], "application/zip")

    def test_the_annotate_page_of_another_project_is_not_found(self):
        url = reverse("annotate:source", args=[self.b_source.pk])
        self.assert_hidden_from_a_member_of_main_only(url)
        self.assertContains(self.get(self.bert, url), MARKER)

    def test_the_annotate_panels_of_another_projects_claim_are_not_found(self):
        for name in ("claim", "suggestions", "link_search"):
            with self.subTest(name):
                url = reverse(f"annotate:{name}", args=[self.b_claim.pk])
                self.assert_hidden_from_a_member_of_main_only(url)
                self.assertEqual(self.get(self.bert, url).status_code, 200)

    def test_the_json_ld_of_another_projects_claim_is_not_found(self):
        self.assert_hidden_from_a_member_of_main_only(reverse("admin:claims_claim_jsonld", args=[self.b_claim.pk]))

    def test_a_role_in_another_project_gives_no_button_here(self):
        # Vic only reads Main but annotates in Bravo: the page of a Main claim offers her no edit, Bravo's does.
        vic = self.make_user("vic", "Viewer", project=self.main)
        make_member(vic, "Annotator", self.bravo)
        for claim, offered in ((self.a_claim, False), (self.b_claim, True)):
            with self.subTest(claim.source.title):
                page = self.get(vic, reverse("claims:detail", args=[claim.pk])).content.decode()
                self.assertEqual(reverse("admin:claims_claim_change", args=[claim.pk]) in page, offered)
                panel = self.get(vic, reverse("annotate:claim", args=[claim.pk])).content.decode()
                self.assertEqual('value="Save changes"' in panel, offered)


class WritesNamingAnotherProjectTests(TwoProjectsTestCase):
    def test_a_claim_cannot_be_added_to_another_projects_source(self):
        self.client.force_login(self.alice)
        data = {"quote": "Vostok", "start": TWIN_TEXT.index("Vostok"), "end": TWIN_TEXT.index("Vostok") + 6}
        response = self.client.post(reverse("annotate:add_claim", args=[self.b_source.pk]), data)
        self.assertEqual(response.status_code, 404)
        self.assertEqual(self.b_source.claims.count(), 1)

    def test_a_link_to_another_projects_claim_is_refused_as_no_choice(self):
        self.client.force_login(self.bob)
        data = {"other": self.b_claim.pk, "relation": "corroborates", "note": ""}
        response = self.client.post(reverse("annotate:add_link", args=[self.a_claim.pk]), data)
        self.assertEqual(response.status_code, 422)
        self.assertFalse(Link.objects.filter(claim_b=self.b_claim).exists())
        self.assertFalse(Link.objects.filter(claim_a=self.b_claim).exists())

    def test_a_suggestion_naming_another_projects_claim_is_not_found(self):
        self.client.force_login(self.bob)
        url = reverse("annotate:suggestion", args=[self.a_claim.pk, self.b_claim.pk, "corroborates"])
        self.assertEqual(self.client.post(url).status_code, 404)
        self.assertFalse(Link.objects.filter(claim_b=self.b_claim).exists())

    def test_the_editor_offers_and_accepts_only_the_projects_tags_and_speakers(self):
        self.client.force_login(self.bert)
        page = self.client.get(reverse("annotate:source", args=[self.a_first.pk]) + f"?claim={self.a_claim.pk}")
        self.assertNotIn(MARKER.lower(), page.content.decode().lower())
        data = {
            "quote": TWIN_TEXT,
            "start": 0,
            "end": len(TWIN_TEXT),
            "kind": "direct_quote",
            "status": "draft",
            "speaker": self.b_person.pk,
            "seen_version": self.a_claim.version,
        }
        response = self.client.post(reverse("annotate:claim", args=[self.a_claim.pk]), data)
        self.assertEqual(response.status_code, 422)
        self.a_claim.refresh_from_db()
        self.assertIsNone(self.a_claim.speaker_id)

    def test_a_new_tag_named_as_another_projects_is_the_projects_own(self):
        self.client.force_login(self.bert)
        data = {
            "quote": TWIN_TEXT,
            "start": 0,
            "end": len(TWIN_TEXT),
            "kind": "direct_quote",
            "status": "draft",
            "new_tags": self.b_tag.name,
            "seen_version": self.a_claim.version,
        }
        response = self.client.post(reverse("annotate:claim", args=[self.a_claim.pk]), data)
        self.assertEqual(response.status_code, 200)
        (tag,) = self.a_claim.tags.all()
        self.assertEqual((tag.name, tag.project), (self.b_tag.name, self.main))
        self.assertNotEqual(tag, self.b_tag)


class LinkSearchTests(TwoProjectsTestCase):
    def test_the_link_search_finds_claims_of_the_same_project_only(self):
        self.client.force_login(self.bert)
        url = reverse("annotate:link_search", args=[self.a_claim.pk])
        page = self.client.get(url, {"words": "frigates coastguard"}).content.decode()
        self.assertIn(f'value="{self.a_twin.pk}"', page)
        self.assertNotIn(f'value="{self.b_claim.pk}"', page)


class SuggestionsWithinAProjectTests(TwoProjectsTestCase):
    def test_suggestions_never_propose_another_projects_claim_of_the_same_words(self):
        suggested = [s.claim.pk for s in suggestions_for(self.a_claim)]
        self.assertIn(self.a_twin.pk, suggested)
        self.assertNotIn(self.b_claim.pk, suggested)

    def test_a_claim_alone_in_its_project_gets_no_suggestions_from_another(self):
        self.assertEqual(suggestions_for(self.b_claim), [])

    def test_learning_in_one_project_does_not_change_anothers(self):
        bravo_source = create_source(project=self.bravo, title="Bravo again", text="Reported: " + TWIN_TEXT)
        bravo_twin = create_claim(source=bravo_source, quote=TWIN_TEXT)
        before = [(s.claim.pk, s.score, s.reasons) for s in ranked_for(self.b_claim)]
        for _ in range(3):
            record_decision(
                claim=self.a_claim,
                suggested=self.a_twin,
                accepted=True,
                signals={"static": 1.0},
                words={"achiev"},
                other_words={"pass"},
            )
        RankerFit.objects.create(project=self.main, decisions=3, weights={"static": 1.0, "association": 1.0})
        self.assertEqual(Learned({"achiev"}, self.main).linked("achiev", "pass"), 3)
        self.assertEqual(Learned({"achiev"}, self.bravo).linked("achiev", "pass"), 0)
        self.assertIsNotNone(fitted_weights(self.main))
        self.assertIsNone(fitted_weights(self.bravo))
        self.assertEqual([(s.claim.pk, s.score, s.reasons) for s in ranked_for(self.b_claim)], before)
        self.assertIn(bravo_twin.pk, [pk for pk, _, _ in before])


class LikelyDuplicatesTests(TwoProjectsTestCase):
    def test_organisations_of_two_projects_are_never_proposed_as_one(self):
        Agent.objects.create(name=f"{MARKER} Courier Weekly", kind=Agent.Kind.ORGANISATION, project=self.main)
        pairs = [{p.first.pk, p.second.pk} for p in likely_duplicates()]
        self.assertFalse(any(self.b_press.pk in pair for pair in pairs))

    def test_two_organisations_of_one_project_are_still_proposed(self):
        weekly = Agent.objects.create(name=f"{MARKER} Courier Weekly", kind=Agent.Kind.ORGANISATION, project=self.bravo)
        pairs = [{p.first.pk, p.second.pk} for p in likely_duplicates()]
        self.assertIn({self.b_press.pk, weekly.pk}, pairs)

    def test_a_member_of_one_project_is_shown_only_its_organisations(self):
        Agent.objects.create(name=f"{MARKER} Courier Weekly", kind=Agent.Kind.ORGANISATION, project=self.bravo)
        self.assertEqual(likely_duplicates(user=self.vera), [])
        self.assertEqual(len(likely_duplicates(user=self.bert)), 1)


class LearningMigrationTests(MigrationTestCase):
    def test_what_was_learned_before_projects_goes_into_main(self):
        apps = self.migrate([("claims", "0023_tag_project_required"), ("sources", "0012_project_required")])
        apps.get_model("claims", "WordAssociation").objects.create(first="achiev", second="pass", links=3)
        apps.get_model("claims", "RankerFit").objects.create(decisions=25, weights={"static": 1.0})

        apps = self.migrate([("claims", "0024_learning_per_project")])
        main = apps.get_model("sources", "Project").objects.get(slug="main")
        association = apps.get_model("claims", "WordAssociation").objects.get()
        self.assertEqual((association.project_id, association.links), (main.pk, 3))
        self.assertEqual(apps.get_model("claims", "RankerFit").objects.get().project_id, main.pk)
