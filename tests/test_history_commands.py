"""Commands that write record a person in the history: the user given by --user, else the system user
claimtrail-system (never the operating system's user), with a reason saying what the command did."""

import io
import shutil
import tempfile
from pathlib import Path

from django.core.management import CommandError, call_command, load_command_class

from claims.exchange.columns import csv_line
from claims.models import Claim, Link, Tag
from claims.services import delete_claims
from claims.tagging import refresh_tag_names
from common.history import SYSTEM_USERNAME
from sources.models import Agent, Capture, Source
from tests.base import BaseTestCase

ARTICLES = Path(__file__).parent / "fixtures" / "articles"
WRITING_COMMANDS = {
    "sources": ["import_sources", "capture_url"],
    "claims": ["import_claims", "import_links", "load_demo", "restore_claim"],
}


def run(*args) -> str:
    out = io.StringIO()
    call_command(*[str(a) for a in args], stdout=out, stderr=io.StringIO())
    return out.getvalue()


class CommandPersonTests(BaseTestCase):
    def setUp(self):
        self.folder = Path(tempfile.mkdtemp())
        self.addCleanup(shutil.rmtree, self.folder)

    def write(self, name: str, text: str) -> Path:
        path = self.folder / name
        path.write_text(text, encoding="utf-8")
        return path

    def test_every_command_that_writes_takes_a_user(self):
        for app, names in WRITING_COMMANDS.items():
            for name in names:
                parser = load_command_class(app, name).create_parser("manage.py", name)
                self.assertIn("--user", parser.format_help(), name)

    def test_an_import_without_a_user_records_the_system_user_and_the_file(self):
        run("import_sources", ARTICLES / "harbour_talks.txt")
        source = Source.objects.get(captures__file_name="harbour_talks.txt")
        [record] = source.history.all()
        self.assertEqual(record.history_user.username, SYSTEM_USERNAME)
        self.assertEqual(record.history_change_reason, "Imported from harbour_talks.txt by import_sources")
        self.assertEqual(source.captures.get().imported_by, SYSTEM_USERNAME)

    def test_an_import_records_the_user_given(self):
        run("import_sources", ARTICLES / "harbour_talks.txt", "--user", "bob")
        source = Source.objects.get(captures__file_name="harbour_talks.txt")
        self.assertEqual(source.history.get().history_user, self.bob)
        self.assertEqual(source.captures.get().imported_by, "bob")

    def test_an_unknown_user_is_refused_and_nothing_is_imported(self):
        with self.assertRaisesMessage(CommandError, "--user nobody: no user has that username"):
            run("import_sources", ARTICLES / "harbour_talks.txt", "--user", "nobody")
        self.assertFalse(Capture.objects.exists())

    def test_claims_re_anchored_by_a_new_capture_name_the_person_and_the_source(self):
        first = self.write("note.txt", "A note.\n\nThe talks went on all week.\n")
        run("import_sources", first)
        source = Source.objects.get(captures__file_name="note.txt")
        claim = Claim.objects.create(source=source, quote="talks went on", start=13, end=26, kind="reported")
        claim.tags.add(Tag.objects.create(name="talks"))
        refresh_tag_names([claim.pk])
        first.write_text("A note, amended.\n\nThe talks went on all week.\n", encoding="utf-8")
        run("import_sources", first, "--user", "alice")
        record = claim.history.first()
        self.assertEqual(
            (record.history_user, record.history_change_reason),
            (self.alice, f"Re-anchored after a new capture of “{source.title}” (source #{source.pk})"),
        )
        self.assertEqual([link.tag.name for link in record.tags.all()], ["talks"])
        self.assertEqual(source.history.first().history_change_reason, "Imported from note.txt by import_sources")

    def test_imported_claims_record_the_file_and_the_person(self):
        path = self.write(
            "new.csv",
            csv_line(["source_url", "quote", "tags"]) + csv_line(["https://example.org/harbour", "Moscow", "kurils"]),
        )
        run("import_claims", path)
        run(
            "import_claims",
            self.write(
                "more.csv",
                csv_line(["source_url", "quote"]) + csv_line(["https://example.org/harbour", "the president said"]),
            ),
            "--user",
            "bob",
        )
        [by_system] = Claim.objects.get(quote="Moscow").history.all()
        self.assertEqual(
            (by_system.history_user.username, by_system.history_change_reason),
            (SYSTEM_USERNAME, f"Imported from {path} by import_claims"),
        )
        self.assertEqual(Claim.objects.get(quote="the president said").history.get().history_user, self.bob)

    def test_imported_links_record_the_file_and_the_person(self):
        path = self.write(
            "links.csv", csv_line(["claim_a", "claim_b"]) + csv_line([str(self.unacceptable.pk), str(self.rejected.pk)])
        )
        run("import_links", path, "--user", "alice")
        record = Link.history.get()
        self.assertEqual(
            (record.history_user, record.history_change_reason), (self.alice, f"Imported from {path} by import_links")
        )

    def test_a_restored_claim_names_who_restored_it(self):
        pk = self.rejected.pk
        delete_claims(claims=[self.rejected])
        run("restore_claim", pk, "--user", "bob")
        record = Claim.history.filter(id=pk).first()
        self.assertEqual((record.history_user, record.history_change_reason), (self.bob, "Restored from its history"))


class DemoDataPersonTests(BaseTestCase):
    def test_the_demo_data_is_recorded_under_the_system_user_one_record_per_claim(self):
        run("load_demo")
        demo = Claim.objects.exclude(pk__in=[self.unacceptable.pk, self.rejected.pk])
        self.assertTrue(demo.exists())
        for claim in demo:
            [record] = claim.history.all()
            self.assertEqual(record.history_user.username, SYSTEM_USERNAME)
            self.assertEqual(record.history_change_reason, "Loaded as demo data by load_demo")
        people = Agent.history.filter(history_change_reason="Loaded as demo data by load_demo")
        self.assertTrue(people.exists())
        self.assertFalse(people.exclude(history_user__username=SYSTEM_USERNAME).exists())
