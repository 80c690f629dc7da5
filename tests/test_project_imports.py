"""Imports into one project: every id, URL and name a row gives is looked up in that project only. Another
project's source, claim, link or person is unknown, with the message of one that does not exist (its existence is
not revealed), and the file writes nothing; new people and tags are the project's; a person imports only into a
project where their role holds the import permission."""

import io
import tempfile
from pathlib import Path

import tablib
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from claims.exchange.columns import csv_line
from claims.exchange.importing import import_spreadsheet
from claims.models import Claim, Link, Tag
from sources.models import Agent, Source
from sources.resources import AgentResource, SourceResource
from tests.base import make_member
from tests.test_project_commands import TwoProjects

MISSING = 999_999


def import_rows(what: str, header: list[str], rows: list[list], **kwargs):
    text = csv_line(header) + "".join(csv_line([str(cell) for cell in row]) for row in rows)
    return import_spreadsheet(what, io.BytesIO(text.encode()), **kwargs)


class ClaimsImportTests(TwoProjects):
    def test_a_row_naming_another_projects_source_is_refused_as_a_source_that_does_not_exist(self):
        before = Claim.objects.count()
        rows = [[self.ledger.pk, "Talks on joint"], [self.ferry.pk, "The ferry union"], [MISSING, "The ferry union"]]
        report = import_rows("claims", ["source_id", "quote"], rows, project=self.main)
        self.assertEqual(
            [str(problem) for problem in report.problems],
            [
                f"line 3: source_id: No source has id {self.ferry.pk}.",
                f"line 4: source_id: No source has id {MISSING}.",
            ],
        )
        self.assertEqual(Claim.objects.count(), before, "a bad row and nothing is written, the good row neither")

    def test_a_row_naming_another_projects_source_by_its_url_is_refused_as_unknown(self):
        report = import_rows(
            "claims", ["source_url", "quote"], [[self.ferry.url, "The ferry union"]], project=self.main
        )
        self.assertEqual(str(report.problems[0]), f"line 2: source_url: No source has the URL {self.ferry.url}.")
        self.assertFalse(Claim.objects.filter(quote="The ferry union").exists())

    def test_a_row_updating_another_projects_claim_is_refused_and_the_claim_is_left_as_it_was(self):
        header = ["id", "version", "source_id", "quote"]
        rows = [[self.hourly.pk, self.hourly.version, self.ledger.pk, "Talks on joint"]]
        report = import_rows("claims", header, rows, project=self.main)
        self.assertEqual(str(report.problems[0]), f"line 2: id: No claim has id {self.hourly.pk}.")
        self.hourly.refresh_from_db()
        self.assertEqual(
            (self.hourly.source, self.hourly.quote), (self.ferry, "the zebrafish ferry would run every hour")
        )

    def test_a_speaker_and_a_tag_named_only_in_another_project_are_made_anew_in_this_one(self):
        header = ["source_id", "quote", "speaker", "tags"]
        report = import_rows(
            "claims", header, [[self.ledger.pk, "Talks on joint", "Mayor Quillby", "ferries"]], project=self.main
        )
        self.assertTrue(report.ok, report.problems)
        self.assertEqual(report.new_speakers, ["Mayor Quillby"])
        claim = Claim.objects.get(quote="Talks on joint")
        self.assertEqual(claim.speaker.project, self.main)
        self.assertNotEqual(claim.speaker, self.mayor)
        self.assertEqual([tag.project for tag in claim.tags.all()], [self.main])
        self.assertEqual(Tag.objects.filter(name="ferries").count(), 2)

    def test_rows_into_the_other_project_name_its_own_sources(self):
        report = import_rows(
            "claims", ["source_id", "quote"], [[self.ferry.pk, "The ferry union"]], project=self.quillby
        )
        self.assertTrue(report.ok, report.problems)
        self.assertEqual(Claim.objects.get(quote="The ferry union").source, self.ferry)

    def test_a_person_imports_only_into_a_project_where_their_role_may_import(self):
        rows = [[self.ferry.pk, "The ferry union"]]
        with self.assertRaises(PermissionDenied):
            import_rows("claims", ["source_id", "quote"], rows, user=self.bob, project=self.quillby)
        self.assertFalse(Claim.objects.filter(quote="The ferry union").exists())
        make_member(self.bob, "Reviewer", self.quillby)
        bob = User.objects.get(pk=self.bob.pk)  # (a user object remembers the roles it read)
        report = import_rows("claims", ["source_id", "quote"], rows, user=bob, project=self.quillby)
        self.assertTrue(report.ok, report.problems)


class LinksImportTests(TwoProjects):
    def test_a_link_to_another_projects_claim_is_refused_as_a_claim_that_does_not_exist(self):
        rows = [[self.unacceptable.pk, self.rejected.pk], [self.unacceptable.pk, self.hourly.pk]]
        report = import_rows("links", ["claim_a", "claim_b"], rows, project=self.main)
        self.assertEqual(
            [str(problem) for problem in report.problems], [f"line 3: claim_b: No claim has id {self.hourly.pk}."]
        )
        self.assertFalse(Link.objects.in_project(self.main).exists(), "the good row is not written either")

    def test_a_row_naming_another_projects_link_is_refused_as_unknown(self):
        link = Link.objects.get(claim_a__in=[self.hourly, self.hourly_echo])
        rows = [[link.pk, self.unacceptable.pk, self.rejected.pk, "contradicts"]]
        report = import_rows("links", ["id", "claim_a", "claim_b", "relation"], rows, project=self.main)
        self.assertIn(f"id: No link has id {link.pk}", str(report.problems[0]))
        link.refresh_from_db()
        self.assertEqual(link.relation, Link.Relation.CORROBORATES)


class ImportCommandTests(TwoProjects):
    def test_import_claims_into_one_project_refuses_the_row_naming_anothers_source_and_writes_nothing(self):
        path = Path(tempfile.mkdtemp()) / "claims.csv"
        path.write_text(csv_line(["source_id", "quote"]) + csv_line([str(self.ferry.pk), "The ferry union"]))
        err = io.StringIO()
        with self.assertRaisesMessage(CommandError, "1 bad row(s)"):
            call_command("import_claims", str(path), "--project", "main", stdout=io.StringIO(), stderr=err)
        self.assertIn(f"line 2: source_id: No source has id {self.ferry.pk}.", err.getvalue())
        self.assertFalse(Claim.objects.filter(quote="The ferry union").exists())
        call_command("import_claims", str(path), "--project", "quillby", stdout=io.StringIO())
        self.assertEqual(Claim.objects.get(quote="The ferry union").source, self.ferry)

    def test_import_sources_into_a_project_takes_its_people_and_publishers_from_that_project_only(self):
        folder = Path(tempfile.mkdtemp())
        page = folder / "page.txt"
        page.write_text("Ferry timetable\n\nThe zebrafish ferry now runs every two hours, the council said.\n")
        # The ledger's publisher in Main publishes example.net: not a publisher of the other project's pages.
        call_command(
            "import_sources",
            str(page),
            "--project",
            "quillby",
            "--url",
            "https://example.net/ferry-timetable",
            "--author",
            "Vladimir Putin",
            stdout=io.StringIO(),
        )
        source = Source.objects.get(url="https://example.net/ferry-timetable")
        self.assertEqual(source.project, self.quillby)
        self.assertNotEqual(source.publisher, self.ledger_press)
        self.assertEqual([(a.name, a.project) for a in source.authors.all()], [("Vladimir Putin", self.quillby)])
        self.assertEqual(Agent.objects.filter(name="Vladimir Putin").count(), 2)


class AdminClaimsImportTests(TwoProjects):
    def post_import(self, text: str, **data):
        upload = SimpleUploadedFile("claims.csv", text.encode(), content_type="text/csv")
        return self.client.post(reverse("admin:claims_claim_import"), {"import_file": upload, **data})

    def test_the_import_page_offers_only_the_projects_the_person_may_import_into(self):
        self.client.force_login(self.bob)
        form = self.client.get(reverse("admin:claims_claim_import")).context["form"]
        self.assertEqual(list(form.fields["project"].queryset), [self.main])
        response = self.post_import(csv_line(["source_id", "quote"]) + csv_line([str(self.ferry.pk), "The ferry"]))
        self.assertIn(f"No source has id {self.ferry.pk}.", str(response.context["report"].problems[0]))

    def test_choosing_another_projects_id_is_a_form_error_and_reads_nothing(self):
        self.client.force_login(self.bob)
        text = csv_line(["source_id", "quote"]) + csv_line([str(self.ferry.pk), "The ferry union"])
        response = self.post_import(text, project=str(self.quillby.pk))
        self.assertIn("project", response.context["form"].errors)
        self.assertNotIn("report", response.context)

    def test_a_member_of_both_chooses_the_project_and_the_rows_name_its_sources(self):
        make_member(self.bob, "Reviewer", self.quillby)
        self.client.force_login(self.bob)
        text = csv_line(["source_id", "quote"]) + csv_line([str(self.ferry.pk), "The ferry union"])
        response = self.post_import(text, project=str(self.quillby.pk))
        confirm = response.context["confirm_form"].initial
        self.assertEqual(confirm["project"], self.quillby.pk)
        self.client.post(reverse("admin:claims_claim_process_import"), confirm)
        self.assertEqual(Claim.objects.get(quote="The ferry union").source, self.ferry)


class ResourceImportTests(TwoProjects):
    def test_a_people_row_naming_another_projects_person_is_refused_and_the_person_is_left_as_they_were(self):
        dataset = tablib.Dataset(headers=["id", "name", "kind"])
        dataset.append([self.mayor.pk, "Renamed", "person"])
        dataset.append([MISSING, "Renamed too", "person"])
        result = AgentResource(project=self.main).import_data(dataset, dry_run=False, user=self.bob)
        errors = [str(row.error) for row in result.invalid_rows]
        self.assertEqual(len(errors), 2)
        self.assertIn(f"No person or organisation has id {self.mayor.pk}", errors[0])
        self.assertIn(f"No person or organisation has id {MISSING}", errors[1])
        self.mayor.refresh_from_db()
        self.assertEqual(self.mayor.name, "Mayor Quillby")

    def test_new_people_are_made_in_the_project_imported_into(self):
        dataset = tablib.Dataset(headers=["name", "kind", "parent"])
        dataset.append(["Ferry Union", "organisation", ""])
        result = AgentResource(project=self.quillby).import_data(dataset, dry_run=False, user=None)
        self.assertFalse(result.has_errors() or result.has_validation_errors())
        self.assertEqual(Agent.objects.get(name="Ferry Union").project, self.quillby)

    def test_a_source_row_naming_another_projects_publisher_is_not_given_that_publisher(self):
        dataset = tablib.Dataset(headers=["id", "title", "publisher"])
        dataset.append([self.ledger.pk, "Ledger, retitled", "Quillby Herald"])
        result = SourceResource(project=self.main).import_data(dataset, dry_run=False, user=self.bob)
        said = [str(error.error) for _, errors in result.row_errors() for error in errors]
        said += [str(row.error) for row in result.invalid_rows]
        # Not found, as a name nobody has: not "of another project", which would tell that it exists there.
        self.assertEqual(
            said,
            [
                str(
                    {
                        "publisher": [
                            "No one is named “Quillby Herald” in this project: add them on the People page first."
                        ]
                    }
                )
            ],
        )
        self.ledger.refresh_from_db()
        self.assertEqual((self.ledger.title, self.ledger.publisher), ("Ledger on missile defence", self.ledger_press))

    def test_a_people_row_naming_a_parent_nobody_or_two_in_the_project_are_called_is_refused_naming_it(self):
        twins = "merge them, or rename one."
        Agent.objects.create(name="Desk Twin", kind=Agent.Kind.ORGANISATION, project=self.main)
        Agent.objects.create(name="Desk Twin", kind=Agent.Kind.ORGANISATION, project=self.main)
        dataset = tablib.Dataset(headers=["name", "kind", "parent"])
        dataset.append(["Night desk", "organisation", "Nobody Press"])
        dataset.append(["Day desk", "organisation", "Desk Twin"])
        result = AgentResource(project=self.main).import_data(dataset, dry_run=False, user=None)
        self.assertEqual(
            [row.error.message_dict for row in result.invalid_rows],
            [
                {"parent": ["No one is named “Nobody Press” in this project: add them on the People page first."]},
                {"parent": [f"Several people or organisations are named “Desk Twin” in this project: {twins}"]},
            ],
        )
        self.assertFalse(Agent.objects.filter(name__endswith=" desk").exists())

    def test_a_people_rows_kind_is_read_by_its_label_in_any_case_and_a_wrong_one_is_refused_with_the_kinds(self):
        dataset = tablib.Dataset(headers=["name", "kind"])
        for name, kind in (("Night desk", "Organisation"), ("Jane Roe", ""), ("Joe Roe", " PERSON ")):
            dataset.append([name, kind])
        result = AgentResource(project=self.main).import_data(dataset, dry_run=False, user=None)
        self.assertFalse(result.has_errors() or result.has_validation_errors())
        made = Agent.objects.filter(name__in=["Night desk", "Jane Roe", "Joe Roe"]).order_by("name")
        self.assertEqual(
            list(made.values_list("name", "kind")),
            [("Jane Roe", "person"), ("Joe Roe", "person"), ("Night desk", "organisation")],
        )
        wrong = tablib.Dataset(["Day desk", "org"], headers=["name", "kind"])
        result = AgentResource(project=self.main).import_data(wrong, dry_run=False, user=None)
        self.assertEqual(
            [row.error.message_dict for row in result.invalid_rows],
            [{"kind": ["“org” is not one of: person, organisation."]}],
        )

    def test_a_source_row_naming_an_author_nobody_in_the_project_is_called_is_refused_naming_them(self):
        dataset = tablib.Dataset(headers=["id", "title", "authors"])
        dataset.append([self.ledger.pk, "Ledger, signed", "Nadia Reyes; Mayor Quillby"])
        result = SourceResource(project=self.main).import_data(dataset, dry_run=False, user=self.bob)
        self.assertEqual(
            [row.error.message_dict for row in result.invalid_rows],
            # Mayor Quillby is the other project's: not found here either, and not said to exist there.
            [
                {
                    "authors": [
                        "No one is named “Nadia Reyes”, “Mayor Quillby” in this project: add them on the People "
                        "page first."
                    ]
                }
            ],
        )
        self.ledger.refresh_from_db()
        self.assertEqual((self.ledger.title, list(self.ledger.authors.all())), ("Ledger on missile defence", []))

    def test_a_person_without_the_import_permission_in_the_project_imports_nothing(self):
        dataset = tablib.Dataset(headers=["name", "kind"])
        dataset.append(["Ferry Union", "organisation"])
        result = AgentResource(project=self.quillby).import_data(dataset, dry_run=False, user=self.bob)
        self.assertTrue(result.has_errors())
        self.assertFalse(Agent.objects.filter(name="Ferry Union").exists())
