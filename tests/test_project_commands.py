"""The project commands (create_project, add_member), `--project SLUG` on the commands that read or write one
project's work, the export of one project, and the demo data in two projects."""

import io
import json
import tempfile
import zipfile
from pathlib import Path
from unittest import skipUnless

from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import TestCase

from claims.demo import SECOND_PROJECT
from claims.exchange.columns import claims_csv
from claims.models import Claim, Link, Tag
from claims.services import create_claim, link_claims
from common.projects import sole_project
from sources.models import Agent, Membership, Project, Source
from sources.services import agent_named, create_source
from tests.base import BaseTestCase

OTHER_TEXT = "The mayor of Quillby said the zebrafish ferry would run every hour. The ferry union disagreed."


def quiet(*args, **kwargs) -> str:
    """Run a command; what it wrote to standard output."""
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO(), **kwargs)
    return out.getvalue()


class TwoProjects(BaseTestCase):
    """The base story in the project Main, and in a second project, "Quillby", a source, a person, a tag, two claims
    and a link of its own, each holding the marker word "zebrafish" or a name found nowhere else."""

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.main = sole_project()
        cls.quillby = Project.objects.create(slug="quillby", name="Quillby")
        cls.mayor = agent_named("Mayor Quillby", project=cls.quillby)
        cls.ferry = create_source(
            project=cls.quillby,
            title="Zebrafish ferry",
            text=OTHER_TEXT,
            url="https://example.org/zebrafish-ferry",
            publisher=agent_named("Quillby Herald", project=cls.quillby),
            authors=[agent_named("Wren Zebrafish-Hale", project=cls.quillby)],
        )
        cls.ferry_echo = create_source(
            project=cls.quillby, title="Ferry echo", text=OTHER_TEXT, url="https://example.org/ferry-echo"
        )
        cls.hourly = create_claim(
            source=cls.ferry, quote="the zebrafish ferry would run every hour", speaker=cls.mayor, tags=["ferries"]
        )
        cls.hourly_echo = create_claim(source=cls.ferry_echo, quote="the zebrafish ferry would run every hour")
        link_claims(claim_a=cls.hourly, claim_b=cls.hourly_echo)


class CreateProjectTests(TestCase):
    def test_create_project_makes_a_project_with_its_name_and_description(self):
        said = quiet("create_project", "desk-b", "--name", "Desk B", "--description", "The second desk")
        project = Project.objects.get(slug="desk-b")
        self.assertEqual((project.name, project.description), ("Desk B", "The second desk"))
        self.assertIn("desk-b", said)

    def test_create_project_refuses_a_slug_already_taken(self):
        quiet("create_project", "desk-b", "--name", "Desk B")
        with self.assertRaisesMessage(CommandError, "slug"):
            quiet("create_project", "desk-b", "--name", "Another desk")
        self.assertEqual(Project.objects.filter(slug="desk-b").count(), 1)


class AddMemberTests(TestCase):
    def setUp(self):
        self.project = Project.objects.create(slug="desk-b", name="Desk B")
        self.carol = User.objects.create_user("carol", is_staff=True)

    def test_add_member_gives_the_person_the_role_in_the_project(self):
        quiet("add_member", "desk-b", "carol", "reviewer")
        membership = Membership.objects.get(project=self.project, user=self.carol)
        self.assertEqual(membership.role.name, "Reviewer")
        self.assertTrue(self.carol.has_perm("claims.change_claim", self.project))

    def test_adding_a_member_again_changes_their_role(self):
        quiet("add_member", "desk-b", "carol", "reviewer")
        said = quiet("add_member", "desk-b", "carol", "viewer")
        self.assertEqual(Membership.objects.get(project=self.project, user=self.carol).role.name, "Viewer")
        self.assertEqual(Membership.objects.filter(user=self.carol).count(), 1)
        self.assertIn("was Reviewer", said)

    def test_add_member_names_an_unknown_project_and_lists_the_projects(self):
        with self.assertRaisesMessage(CommandError, "There is no project “desk-z”. The projects are: desk-b"):
            quiet("add_member", "desk-z", "carol", "viewer")

    def test_add_member_names_an_unknown_user(self):
        with self.assertRaisesMessage(CommandError, "There is no user “dave”."):
            quiet("add_member", "desk-b", "dave", "viewer")

    def test_add_member_names_an_unknown_role_and_lists_the_roles(self):
        with self.assertRaisesMessage(CommandError, "There is no role “boss”; the roles are: viewer, annotator"):
            quiet("add_member", "desk-b", "carol", "boss")
        self.assertFalse(Membership.objects.filter(user=self.carol).exists())


class ProjectOptionTests(TwoProjects):
    def setUp(self):
        self.folder = Path(tempfile.mkdtemp())

    def test_with_two_projects_each_command_needs_project_and_lists_the_slugs(self):
        claims_file = self.folder / "claims.csv"
        claims_file.write_text("source_id,quote\n")
        page = self.folder / "page.txt"
        page.write_text("A page.")
        commands = [
            ("export_claims", "-o", str(self.folder / "out.csv")),
            ("export_evidence", str(self.ledger.pk)),
            ("import_claims", str(claims_file)),
            ("import_links", str(claims_file)),
            ("import_sources", str(page)),
            ("capture_url", "https://example.org/never-fetched"),
            ("suggest_corroborations", str(self.unacceptable.pk)),
            ("seed_synthetic", "--sources", "1", "--claims", "1"),
        ]
        for command in commands:
            with self.subTest(command=command[0]):
                with self.assertRaisesMessage(CommandError, "choose one with --project SLUG: main, quillby"):
                    quiet(*command)
        self.assertEqual(Source.objects.count(), 4, "nothing was imported")

    def test_load_demo_needs_project_on_a_server_with_two(self):
        with self.assertRaisesMessage(CommandError, "choose one with --project SLUG: main, quillby"):
            quiet("load_demo")

    def test_an_unknown_project_is_named_with_the_projects_to_choose_from(self):
        with self.assertRaisesMessage(CommandError, "There is no project “nowhere”. The projects are: main, quillby"):
            quiet("export_claims", "--project", "nowhere")

    def test_export_claims_of_one_project_holds_none_of_the_other_projects_rows(self):
        main_csv = quiet_bytes("export_claims", "--project", "main")
        quillby_csv = quiet_bytes("export_claims", "--project", "quillby")
        self.assertNotIn(b"zebrafish", main_csv)
        self.assertNotIn(b"Mayor Quillby", main_csv)
        self.assertNotIn(b"ferries", main_csv)
        self.assertEqual(len(main_csv.splitlines()), 1 + Claim.objects.in_project(self.main).count())
        self.assertIn(b"zebrafish", quillby_csv)
        self.assertNotIn(b"Moscow rejected", quillby_csv)
        self.assertEqual(len(quillby_csv.splitlines()), 1 + 2)

    def test_export_claims_of_all_projects_is_asked_for_by_name_and_holds_both(self):
        everything = quiet_bytes("export_claims", "--all-projects")
        self.assertEqual(everything, b"".join(claims_csv()))
        self.assertIn(b"zebrafish", everything)
        with self.assertRaisesMessage(CommandError, "not both"):
            quiet("export_claims", "--all-projects", "--project", "main")

    def test_export_claims_as_jsonld_of_one_project_holds_none_of_the_other_projects_rows(self):
        main = json.loads(quiet_bytes("export_claims", "--project", "main", "--format", "jsonld"))
        self.assertNotIn("zebrafish", json.dumps(main))
        self.assertIn("Moscow rejected", json.dumps(main))

    def test_export_evidence_of_another_projects_source_is_a_source_that_is_not_there(self):
        with self.assertRaisesMessage(CommandError, f"There is no source with id {self.ferry.pk}."):
            quiet("export_evidence", str(self.ferry.pk), "--project", "main")
        target = self.folder / "evidence.zip"
        quiet("export_evidence", str(self.ferry.pk), "--project", "quillby", "-o", str(target))
        with zipfile.ZipFile(target) as bundle:
            self.assertIn("zebrafish", bundle.read("annotations.jsonld").decode())

    def test_suggestions_for_another_projects_claim_are_for_a_claim_that_is_not_there(self):
        with self.assertRaisesMessage(CommandError, f"There is no claim {self.hourly.pk}."):
            quiet("suggest_corroborations", str(self.hourly.pk), "--project", "main")

    def test_seed_synthetic_puts_everything_it_makes_in_the_project_named(self):
        before = {model: model.objects.in_project(self.main).count() for model in (Source, Agent, Tag)}
        quiet(
            "seed_synthetic", "--sources", "2", "--claims", "4", "--links", "1", "--project", "quillby", "--seed", "7"
        )
        self.assertEqual({model: model.objects.in_project(self.main).count() for model in before}, before)
        self.assertEqual(Source.objects.in_project(self.quillby).count(), 2 + 2)
        self.assertEqual(Claim.objects.in_project(self.quillby).count(), 2 + 4)


def quiet_bytes(*args) -> bytes:
    """Run an export command writing to a file; the file's bytes."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "out"
        call_command(*args, "-o", str(path), stderr=io.StringIO())
        return path.read_bytes()


class ProjectCopyTests(TwoProjects):
    @skipUnless(connection.vendor == "postgresql", "COPY … TO STDOUT needs PostgreSQL")
    def test_the_copy_of_one_project_gives_the_bytes_of_its_rows_read_one_by_one(self):
        for project in (self.main, self.quillby):
            with self.subTest(project=project.slug):
                copied = b"".join(claims_csv(project=project, use_copy=True))
                self.assertEqual(copied, b"".join(claims_csv(project=project, use_copy=False)))
        self.assertIn(b"Wren Zebrafish-Hale", b"".join(claims_csv(project=self.quillby, use_copy=True)))


class OneProjectTests(BaseTestCase):
    def test_with_one_project_export_claims_needs_no_project_and_writes_the_same_bytes(self):
        self.assertEqual(quiet_bytes("export_claims"), b"".join(claims_csv()))
        self.assertEqual(quiet_bytes("export_claims", "--project", "main"), b"".join(claims_csv()))


class DemoTests(TestCase):
    def test_load_demo_makes_two_projects_each_with_its_own_sources_people_and_tags(self):
        quiet("load_demo")
        main, second = sole_project_of("main"), sole_project_of(SECOND_PROJECT["slug"])
        self.assertEqual(Project.objects.count(), 2)
        self.assertEqual(Source.objects.in_project(main).count(), 3)
        self.assertEqual(Source.objects.in_project(second).count(), 2)
        self.assertTrue(Agent.objects.in_project(main).filter(name="Vladimir Putin").exists())
        self.assertFalse(Agent.objects.in_project(second).filter(name="Vladimir Putin").exists())
        self.assertTrue(Agent.objects.in_project(second).filter(name="Tomas Brenner (demo)").exists())
        self.assertTrue(Tag.objects.in_project(second).filter(name="budget").exists())
        self.assertFalse(Tag.objects.in_project(main).filter(name="budget").exists())
        self.assertTrue(Link.objects.in_project(second).filter(relation=Link.Relation.CONTRADICTS).exists())
        for claim in Claim.objects.select_related("source"):
            self.assertEqual(claim.source.text[claim.start : claim.end], claim.quote)

    def test_load_demo_again_on_its_two_projects_changes_nothing_and_asks_nothing(self):
        quiet("load_demo")
        self.assertIn("already loaded", quiet("load_demo"))
        self.assertEqual(Source.objects.count(), 5)

    def test_load_demo_puts_the_kuril_story_in_the_project_named(self):
        Project.objects.create(slug="desk-b", name="Desk B")
        quiet("load_demo", "--project", "desk-b")
        self.assertEqual(Source.objects.in_project(sole_project_of("desk-b")).count(), 3)
        self.assertFalse(Source.objects.in_project(sole_project_of("main")).exists())


def sole_project_of(slug: str) -> Project:
    return Project.objects.get(slug=slug)
