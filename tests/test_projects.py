"""Projects: roles held per project, the rows each person sees, and the rules that keep a project's work inside it."""

from django.contrib.auth.models import Group, User
from django.core.exceptions import PermissionDenied, ValidationError

from claims.models import Claim, Link, Tag
from claims.services import create_claim, dismiss_suggestion, link_claims, save_claim, set_status
from common.projects import NO_PROJECT_MESSAGE, only_project_seen_by, sole_project
from sources.models import Agent, Membership, Project, Source
from sources.services import create_source, delete_memberships, merge_agents, save_agent, save_membership
from tests.base import LEDGER_TEXT, BaseTestCase, make_member
from tests.migrating import MigrationTestCase


class TwoProjectsTestCase(BaseTestCase):
    """The base story is in Main; the Fisheries desk has its own source, person, tag and claim."""

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.main = sole_project()
        cls.desk = Project.objects.create(slug="fisheries", name="Fisheries desk")
        cls.mayor = save_agent(Agent(name="Harbour mayor", project=cls.desk), user=None)
        cls.quay = create_source(
            project=cls.desk, title="Quay report", text="The mayor said the quay would reopen in May."
        )
        cls.reopen = create_claim(
            source=cls.quay, quote="the quay would reopen in May", speaker=cls.mayor, tags=["harbour"]
        )
        # Vera only reads Main; in the desk she is a Reviewer.
        make_member(cls.vera, "Reviewer", cls.desk)


class RolesPerProjectTests(TwoProjectsTestCase):
    def test_a_role_is_held_in_its_project_only(self):
        self.assertFalse(self.vera.has_perm("claims.change_claim", self.unacceptable))
        self.assertTrue(self.vera.has_perm("claims.change_claim", self.reopen))
        self.assertTrue(self.vera.has_perm("claims.review_claim", self.reopen))
        self.assertFalse(self.vera.has_perm("claims.review_claim", self.unacceptable))

    def test_rules_made_of_permissions_ask_in_the_objects_project(self):
        self.assertFalse(self.vera.has_perm("claims.link_claim", self.unacceptable))
        self.assertTrue(self.vera.has_perm("claims.link_claim", self.reopen))

    def test_a_member_of_one_project_holds_nothing_in_another(self):
        self.assertFalse(self.alice.has_perm("claims.view_claim", self.reopen))
        self.assertTrue(self.alice.has_perm("claims.view_claim", self.unacceptable))

    def test_a_role_group_given_directly_grants_nothing(self):
        drifter = User.objects.create_user("drifter", password="pw", is_staff=True)
        drifter.groups.add(Group.objects.get(name="Reviewer"))
        self.assertFalse(drifter.has_perm("claims.view_claim"))
        self.assertFalse(drifter.has_perm("claims.change_claim", self.unacceptable))
        self.assertEqual(drifter.get_group_permissions(), set())

    def test_a_superuser_holds_every_permission_in_every_project(self):
        self.assertTrue(self.root.has_perm("claims.review_claim", self.reopen))


class MembershipDoorTests(TwoProjectsTestCase):
    def test_a_manager_gives_roles_in_their_project_only(self):
        manny = self.make_user("manny", "Manager", self.main)
        walter = User.objects.create_user("walter", password="pw", is_staff=True)
        viewer = Group.objects.get(name="Viewer")
        save_membership(Membership(project=self.main, user=walter, role=viewer), user=manny)
        with self.assertRaisesMessage(PermissionDenied, "You may not manage the members of this project."):
            save_membership(Membership(project=self.desk, user=walter, role=viewer), user=manny)
        self.assertEqual(list(walter.memberships.values_list("project__slug", flat=True)), ["main"])
        with self.assertRaises(PermissionDenied):
            delete_memberships(memberships=Membership.objects.filter(user=self.vera), user=manny)
        self.assertEqual(self.vera.memberships.count(), 2)


class VisibleToTests(TwoProjectsTestCase):
    def test_each_member_sees_the_rows_of_their_projects(self):
        self.assertEqual(set(Claim.objects.visible_to(self.alice)), {self.unacceptable, self.rejected})
        self.assertEqual(set(Claim.objects.visible_to(self.vera)), {self.unacceptable, self.rejected, self.reopen})
        self.assertEqual(list(Source.objects.visible_to(self.alice).filter(pk=self.quay.pk)), [])
        self.assertEqual(list(Agent.objects.visible_to(self.alice).filter(name="Harbour mayor")), [])
        self.assertEqual(list(Tag.objects.visible_to(self.alice).filter(name="harbour")), [])

    def test_a_superuser_and_the_system_see_everything(self):
        self.assertEqual(Claim.objects.visible_to(self.root).count(), 3)
        self.assertEqual(Claim.objects.visible_to(None).count(), 3)

    def test_a_list_of_one_projects_claims_is_read_between_its_first_and_last_id(self):
        # The planner cannot know that a project's claims are bunched: without the bounds, a page of the project
        # whose claims were added last was read by walking every other project's claims first.
        later = create_claim(source=self.quay, quote="reopen in May")
        only_desk = User.objects.create_user("desk", password="pw", is_staff=True)
        make_member(only_desk, "Viewer", self.desk)
        self.assertEqual(only_project_seen_by(only_desk, Claim), self.desk.pk)
        self.assertIsNone(only_project_seen_by(self.vera, Claim))  # in two projects
        listed = Claim.objects.visible_to(only_desk).bunched_in(self.desk.pk)
        self.assertEqual(list(listed.order_by("-id")), [later, self.reopen])
        where = str(listed.query).split("WHERE", 1)[1]
        self.assertIn(f'"claims_claim"."id" >= {self.reopen.pk}', where)
        self.assertIn(f'"claims_claim"."id" <= {later.pk}', where)

    def test_staff_in_no_project_see_nothing(self):
        nobody = User.objects.create_user("nobody", password="pw", is_staff=True)
        self.assertEqual(Claim.objects.visible_to(nobody).count(), 0)


class KeptInsideItsProjectTests(TwoProjectsTestCase):
    def test_a_member_without_a_role_there_cannot_write_a_projects_claim(self):
        self.reopen.statement = "Reopening in May."
        with self.assertRaises(PermissionDenied):
            save_claim(self.reopen, user=self.alice, seen_version=self.reopen.version)

    def test_a_reviewer_of_one_project_cannot_set_status_in_another(self):
        with self.assertRaises(PermissionDenied):
            set_status([self.unacceptable, self.reopen], Claim.Status.REVIEWED, user=self.vera)
        self.assertEqual(Claim.objects.get(pk=self.reopen.pk).status, Claim.Status.DRAFT)
        self.assertEqual(set_status([self.reopen], Claim.Status.REVIEWED, user=self.vera), 1)

    def test_claims_of_two_projects_cannot_be_linked(self):
        with self.assertRaisesMessage(ValidationError, "links join claims of one project"):
            link_claims(claim_a=self.unacceptable, claim_b=self.reopen)
        self.assertFalse(Link.objects.filter(claim_b=self.reopen).exists())

    def test_a_suggestion_from_another_project_cannot_be_dismissed(self):
        with self.assertRaisesMessage(ValidationError, "links join claims of one project"):
            dismiss_suggestion(claim=self.unacceptable, suggested=self.reopen)

    def test_a_speaker_comes_from_the_claims_project(self):
        with self.assertRaises(ValidationError) as refused:
            create_claim(source=self.ledger, quote="absolutely unacceptable", speaker=self.mayor)
        self.assertIn("speaker", refused.exception.message_dict)

    def test_a_source_names_authors_of_its_own_project(self):
        with self.assertRaises(ValidationError) as refused:
            create_source(project=self.main, title="Mixed", text="Words.", authors=[self.mayor])
        self.assertIn("authors", refused.exception.message_dict)

    def test_people_of_two_projects_are_not_merged(self):
        with self.assertRaises(ValidationError):
            merge_agents(keep=self.putin, others=[self.mayor])
        self.assertTrue(Agent.objects.filter(pk=self.mayor.pk).exists())

    def test_a_source_stays_in_the_project_it_was_made_in(self):
        source = Source.objects.get(pk=self.quay.pk)
        source.project = self.main
        with self.assertRaises(ValidationError) as refused:
            source.full_clean()
        self.assertIn("project", refused.exception.message_dict)

    def test_each_project_has_its_own_tags_of_one_name(self):
        create_claim(source=self.ledger, quote="Talks on joint projects would go on.", tags=["harbour"])
        self.assertEqual(Tag.objects.filter(name="harbour").count(), 2)
        self.assertEqual(self.reopen.tags.get().project, self.desk)

    def test_one_article_may_be_a_source_in_two_projects_but_once_in_each(self):
        create_source(project=self.desk, title="Ledger, again", text=LEDGER_TEXT, url="https://example.net/ledger")
        with self.assertRaisesMessage(ValidationError, "Another source of this project has this URL"):
            create_source(project=self.desk, title="Ledger, thrice", text=LEDGER_TEXT, url="https://example.net/ledger")

    def test_with_several_projects_a_new_source_must_name_its_project(self):
        with self.assertRaisesMessage(ValidationError, NO_PROJECT_MESSAGE):
            create_source(title="Where?", text="Somewhere.")


class ExistingWorkMigrationTests(MigrationTestCase):
    BEFORE = [("claims", "0021_link_and_independent_voices"), ("sources", "0009_list_sort_indexes")]

    def test_existing_work_goes_into_main_and_each_role_becomes_a_role_there(self):
        apps = self.migrate(self.BEFORE)
        Group, User = apps.get_model("auth", "Group"), apps.get_model("auth", "User")
        Source, Agent = apps.get_model("sources", "Source"), apps.get_model("sources", "Agent")
        Tag = apps.get_model("claims", "Tag")
        reviewers, _ = Group.objects.get_or_create(name="Reviewer")
        viewers, _ = Group.objects.get_or_create(name="Viewer")
        # The roles as the roles migration made them (a live-server test before this one may have emptied them).
        Permission = apps.get_model("auth", "Permission")
        reviewers.permissions.add(Permission.objects.get(content_type__app_label="claims", codename="review_claim"))
        bob = User.objects.create(username="bob", is_staff=True)
        bob.groups.add(reviewers, viewers)  # the highest role is kept
        vera = User.objects.create(username="vera", is_staff=True)
        vera.groups.add(viewers)
        source = Source.objects.create(title="Old", text="Old words.")
        person = Agent.objects.create(name="Old speaker")
        tag = Tag.objects.create(name="old")

        apps = self.migrate()
        Membership = apps.get_model("sources", "Membership")
        roles = dict(Membership.objects.values_list("user__username", "role__name"))
        self.assertEqual(roles, {"bob": "Reviewer", "vera": "Viewer"})
        self.assertEqual(set(Membership.objects.values_list("project__slug", flat=True)), {"main"})
        self.assertEqual(apps.get_model("auth", "User").objects.get(username="bob").groups.count(), 0)
        self.assertEqual(apps.get_model("sources", "Source").objects.get(pk=source.pk).project.slug, "main")
        self.assertEqual(apps.get_model("sources", "Agent").objects.get(pk=person.pk).project.slug, "main")
        self.assertEqual(apps.get_model("claims", "Tag").objects.get(pk=tag.pk).project.slug, "main")
        manager = apps.get_model("auth", "Group").objects.get(name="Manager")
        self.assertTrue(manager.permissions.filter(codename="add_membership").exists())
        self.assertTrue(manager.permissions.filter(codename="review_claim").exists())
