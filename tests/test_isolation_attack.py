"""Project isolation attacked from inside: a member of Main only (Bob, a Reviewer there) tries every way into Bravo.

The pages, the API, the annotate page, the imports and the admin's forms, filters and autocompletes answer a
Bravo id as one nobody has (tests/test_project_leaks.py and the test_project_* modules). What is left here is what
they did not reach: what a role may do outside the project's own models.
"""

from axes.models import AccessAttempt
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from claims.services import save_claim
from sources.models import Project
from sources.services import save_project
from tests.base import make_member
from tests.test_project_views import TwoProjectsTestCase

LOGIN = reverse("admin:login")


class LoginLockoutsTests(TwoProjectsTestCase):
    """A Reviewer lifts the lock-outs of their project's people (README, "Configuration"); the lock-outs of a
    project they are not in name its people, the addresses they work from and when they tried."""

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.quinn = cls.make_user("quinn", "Reviewer", project=cls.bravo)

    def lock_out(self, username: str, address: str = "198.51.100.23") -> AccessAttempt:
        for _ in range(settings.AXES_FAILURE_LIMIT):
            self.client_class().post(LOGIN, {"username": username, "password": "guess"}, REMOTE_ADDR=address)
        return AccessAttempt.objects.get(username=username)

    def as_bob(self):
        client = self.client_class()
        client.force_login(self.bob)
        return client

    def test_a_reviewer_does_not_see_the_lockouts_of_another_projects_people(self):
        attempt = self.lock_out("quinn", address="198.51.100.23")
        self.lock_out("alice", address="192.0.2.44")
        listing = self.as_bob().get(reverse("admin:axes_accessattempt_changelist"))
        self.assertContains(listing, "alice")
        self.assertNotContains(listing, "quinn")
        self.assertNotContains(listing, "198.51.100.23")
        # Its page answers as for an attempt nobody made.
        page = self.as_bob().get(reverse("admin:axes_accessattempt_change", args=[attempt.pk]))
        nobodys = self.as_bob().get(reverse("admin:axes_accessattempt_change", args=[2_000_000_000]))
        self.assertEqual((page.status_code, page["Location"]), (nobodys.status_code, nobodys["Location"]))

    def test_a_reviewer_cannot_lift_the_lockout_of_another_projects_person(self):
        attempt = self.lock_out("quinn")
        self.as_bob().post(reverse("admin:axes_accessattempt_delete", args=[attempt.pk]), {"post": "yes"})
        changelist = reverse("admin:axes_accessattempt_changelist")
        self.as_bob().post(changelist, {"action": "delete_selected", "_selected_action": [attempt.pk], "post": "yes"})
        self.assertTrue(AccessAttempt.objects.filter(pk=attempt.pk).exists())

    def test_a_member_of_both_projects_sees_the_lockouts_of_both(self):
        self.lock_out("quinn")
        self.lock_out("alice")
        bert = self.client_class()
        bert.force_login(self.bert)
        listing = bert.get(reverse("admin:axes_accessattempt_changelist"))
        self.assertContains(listing, "quinn")
        self.assertContains(listing, "alice")

    def test_a_role_taken_away_takes_the_lockouts_of_that_project_with_it(self):
        self.lock_out("alice")
        bob = self.as_bob()
        self.assertContains(bob.get(reverse("admin:axes_accessattempt_changelist")), "alice")
        self.bob.memberships.all().delete()
        make_member(self.bob, "Reviewer", self.bravo)
        listing = bob.get(reverse("admin:axes_accessattempt_changelist"))
        self.assertNotContains(listing, "alice")


class TagsOfAnotherProjectTests(TwoProjectsTestCase):
    """A claim's tags are its project's, as its source, speaker and links are: a tag of Bravo's put on a claim of Main
    would show Bravo's tag name to everyone who reads Main (and a rename in Bravo would change Main's claim)."""

    def change_form(self, claim, **changes) -> dict:
        return {
            "source": claim.source_id,
            "quote": claim.quote,
            "start": claim.start,
            "end": claim.end,
            "statement": claim.statement,
            "kind": claim.kind,
            "status": claim.status,
            "seen_version": claim.version,
            "links_from-TOTAL_FORMS": 0,
            "links_from-INITIAL_FORMS": 0,
            "links_to-TOTAL_FORMS": 0,
            "links_to-INITIAL_FORMS": 0,
            **changes,
        }

    def test_a_member_of_both_projects_cannot_tag_a_claim_with_the_other_projects_tag_in_the_admin(self):
        self.client.force_login(self.bert)
        url = reverse("admin:claims_claim_change", args=[self.a_claim.pk])
        response = self.client.post(url, self.change_form(self.a_claim, tags=[self.b_tag.pk]))
        self.assertEqual(response.status_code, 200)
        self.assertIn("tags", response.context["adminform"].form.errors)
        self.assertEqual(list(self.a_claim.tags.all()), [])

    def test_so_a_member_of_one_project_never_reads_the_other_projects_tag_on_its_claim(self):
        self.client.force_login(self.bert)
        self.client.post(
            reverse("admin:claims_claim_change", args=[self.a_claim.pk]),
            self.change_form(self.a_claim, tags=[self.b_tag.pk]),
        )
        self.client.force_login(self.bob)
        answer = self.client.get(reverse("api:claim-detail", args=[self.a_claim.pk]))
        self.assertEqual(answer.status_code, 200)
        self.assertEqual(answer.json()["tags"], [])

    def test_the_claims_door_refuses_another_projects_tag(self):
        with self.assertRaises(ValidationError) as refused:
            save_claim(self.a_claim, user=self.bert, seen_version=self.a_claim.version, tags=[self.b_tag])
        self.assertIn("tags", refused.exception.message_dict)
        self.assertEqual(list(self.a_claim.tags.all()), [])


class ProjectNamesTests(TwoProjectsTestCase):
    """Project names and slugs are unique across the server: a Manager renaming their project to another's name was
    told "Project with this Name already exists.", and to a name nobody has, nothing; guessing told them every
    other project's name and slug."""

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.manny = cls.make_user("manny", "Manager", project=cls.main)

    def rename(self, user, **fields):
        self.client.force_login(user)
        data = {"name": self.main.name, "slug": self.main.slug, "description": "", **fields}
        return self.client.post(reverse("admin:sources_project_change", args=[self.main.pk]), data)

    def test_a_managers_try_at_another_projects_name_answers_as_one_nobody_has(self):
        taken = self.rename(self.manny, name=self.bravo.name, slug=self.bravo.slug)
        free = self.rename(self.manny, name="Nobody's desk", slug="nobodys-desk")
        self.assertEqual((taken.status_code, taken.get("Location")), (free.status_code, free.get("Location")))
        self.assertNotContains(taken, "already exists", status_code=taken.status_code)
        self.main.refresh_from_db()
        self.assertEqual((self.main.name, self.main.slug), ("Main", "main"))

    def test_a_manager_still_changes_their_projects_description(self):
        self.rename(self.manny, description="The Kuril islands desk.")
        self.main.refresh_from_db()
        self.assertEqual(self.main.description, "The Kuril islands desk.")

    def test_the_projects_door_refuses_a_rename_by_someone_who_does_not_see_every_project(self):
        project = Project.objects.get(pk=self.main.pk)
        project.name = "Nobody's desk"
        with self.assertRaises(PermissionDenied):
            save_project(project, user=self.manny)
        project.name = self.bravo.name
        with self.assertRaises(PermissionDenied):  # not "already exists"
            save_project(project, user=self.manny)

    def test_a_superuser_renames_a_project_and_is_told_when_the_name_is_taken(self):
        self.assertContains(self.rename(self.root, name=self.bravo.name), "already exists")
        self.rename(self.root, name="Kuril desk")
        self.main.refresh_from_db()
        self.assertEqual(self.main.name, "Kuril desk")
