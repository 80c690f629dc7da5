import io
import tempfile
from pathlib import Path
from unittest import mock

from django.core.management import CommandError, call_command
from django.test import TestCase

from claims.exchange.columns import HEADER, claims_csv, csv_line
from claims.models import Claim, Link
from claims.services import create_claim
from common.progress import Progress
from sources.models import Source
from tests.base import BaseTestCase


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class CommandTests(BaseTestCase):
    def setUp(self):
        self.folder = Path(tempfile.mkdtemp())

    def write(self, name: str, text: str) -> str:
        path = self.folder / name
        path.write_text(text, encoding="utf-8")
        return str(path)

    def test_export_claims_writes_the_claims_csv_to_a_file(self):
        path = self.folder / "claims.csv"
        call_command("export_claims", "-o", str(path), "--format", "csv")
        self.assertEqual(path.read_bytes(), b"".join(claims_csv()))
        self.assertEqual(path.read_text().splitlines()[0].split(","), HEADER)

    def test_export_then_import_claims_changes_nothing(self):
        path = self.folder / "claims.csv"
        call_command("export_claims", "-o", str(path))
        out = io.StringIO()
        call_command("import_claims", str(path), stdout=out)
        self.assertIn("0 new, 0 updated, 2 unchanged", out.getvalue())

    def test_import_claims_creates_claims_and_names_new_speakers(self):
        path = self.write(
            "new.csv",
            csv_line(["source_url", "quote", "speaker"])
            + csv_line(["https://example.org/harbour", "Moscow rejected", "Sergei Lavrov"]),
        )
        out = io.StringIO()
        call_command("import_claims", path, stdout=out)
        self.assertIn("1 new", out.getvalue())
        self.assertIn("New speaker: Sergei Lavrov", out.getvalue())
        self.assertTrue(Claim.objects.filter(quote="Moscow rejected").exists())

    def test_import_claims_dry_run_writes_nothing(self):
        path = self.write(
            "new.csv", csv_line(["source_url", "quote"]) + csv_line(["https://example.org/harbour", "Moscow rejected"])
        )
        out = io.StringIO()
        call_command("import_claims", path, "--dry-run", stdout=out)
        self.assertIn("Would import 1 row: 1 new", out.getvalue())
        self.assertFalse(Claim.objects.filter(quote="Moscow rejected").exists())

    def test_import_claims_lists_every_bad_row_and_fails(self):
        path = self.write(
            "bad.csv",
            csv_line(["source_url", "quote"])
            + csv_line(["https://example.org/harbour", "Moscow rejected"])
            + csv_line(["https://example.org/nowhere", "Moscow rejected"])
            + csv_line(["https://example.org/harbour", "words not there"]),
        )
        err = io.StringIO()
        with self.assertRaisesMessage(CommandError, "2 bad row(s)"):
            call_command("import_claims", path, stderr=err)
        self.assertIn("line 3: source_url: No source has the URL https://example.org/nowhere.", err.getvalue())
        self.assertIn("line 4: quote: The quote does not occur in the source text.", err.getvalue())
        self.assertFalse(Claim.objects.filter(quote="Moscow rejected").exists())

    def test_import_links_links_claims_across_sources(self):
        path = self.write(
            "links.csv",
            csv_line(["claim_a", "claim_b", "relation", "note"])
            + csv_line([str(self.unacceptable.pk), str(self.rejected.pk), "contradicts", "=dates differ"]),
        )
        call_command("import_links", path, stdout=io.StringIO())
        link = Link.objects.get()
        self.assertEqual((link.relation, link.note), ("contradicts", "=dates differ"))
        self.assertEqual(link.history.count(), 1)

    def test_import_links_reads_a_relation_in_any_case_and_refuses_another_word_with_the_relations(self):
        talks = create_claim(source=self.ledger, quote="Talks on joint projects")
        path = self.write(
            "links.csv",
            csv_line(["claim_a", "claim_b", "relation"])
            + csv_line([str(self.unacceptable.pk), str(self.rejected.pk), "Contradicts"])
            + csv_line([str(self.rejected.pk), str(talks.pk), "supports"]),
        )
        err = io.StringIO()
        with self.assertRaises(CommandError):
            call_command("import_links", path, stderr=err)
        self.assertIn(
            "line 3: relation: “supports” is not a relation; use one of: corroborates (corroborates), contradicts "
            "(contradicts).",
            err.getvalue(),
        )
        self.assertNotIn("line 2", err.getvalue())
        self.assertFalse(Link.objects.exists())

    def test_import_links_is_all_or_nothing(self):
        path = self.write(
            "links.csv",
            csv_line(["claim_a", "claim_b", "relation", "note"])
            + csv_line([str(self.unacceptable.pk), str(self.rejected.pk), "", ""])
            + csv_line([str(self.rejected.pk), str(self.unacceptable.pk), "", ""]),
        )
        err = io.StringIO()
        with self.assertRaises(CommandError):
            call_command("import_links", path, stderr=err)
        self.assertIn("line 3: These two claims are already linked on line 2.", err.getvalue())
        self.assertFalse(Link.objects.exists())

    def test_import_links_shows_its_progress_in_a_terminal(self):
        path = self.write("links.csv", f"claim_a,claim_b,relation,note\n{self.unacceptable.pk},{self.rejected.pk},,\n")
        terminal = FakeTerminal()
        with mock.patch("sys.stderr", terminal):
            call_command("import_links", path, stdout=io.StringIO())
        self.assertIn("Imported: 1 rows", terminal.getvalue())
        self.assertTrue(Link.objects.filter(claim_a=self.unacceptable, claim_b=self.rejected).exists())

    def test_commands_stay_quiet_on_stderr_when_it_is_not_a_terminal(self):
        err = io.StringIO()
        call_command("export_claims", "-o", str(self.folder / "claims.csv"), stderr=err)
        self.assertEqual(err.getvalue(), "")


class ProgressTests(TestCase):
    def test_a_terminal_sees_rows_done_rate_and_time_left(self):
        terminal = FakeTerminal()
        progress = Progress(1000, label="Imported", stream=terminal)
        progress.drawn -= 1
        progress(250)
        progress.finish()
        self.assertRegex(terminal.getvalue(), r"Imported: 250 / 1,000 rows \(25%\), [\d,]+ rows/s, \d+ s left")

    def test_a_pipe_sees_nothing(self):
        pipe = io.StringIO()
        progress = Progress(1000, label="Imported", stream=pipe)
        progress.drawn -= 1
        progress(250)
        progress.finish()
        self.assertEqual(pipe.getvalue(), "")


class SeedSyntheticTests(TestCase):
    def seed(self, seed: int = 7):
        call_command(
            "seed_synthetic",
            "--sources",
            "4",
            "--claims",
            "30",
            "--links",
            "10",
            "--seed",
            str(seed),
            stdout=io.StringIO(),
        )

    def test_it_makes_the_asked_numbers_with_valid_anchors(self):
        self.seed()
        self.assertEqual((Source.objects.count(), Claim.objects.count(), Link.objects.count()), (4, 30, 10))
        for claim in Claim.objects.select_related("source"):
            claim.anchor()  # raises unless source.text[start:end] is the quote
        for link in Link.objects.select_related("claim_a", "claim_b"):
            self.assertNotEqual(link.claim_a.source_id, link.claim_b.source_id)

    def test_the_same_seed_gives_the_same_data(self):
        self.seed()
        first = list(Claim.objects.order_by("pk").values_list("quote", "start", "end", "kind", "status"))
        Link.objects.all().delete()
        Claim.objects.all().delete()
        Source.objects.all().delete()
        self.seed()
        self.assertEqual(
            list(Claim.objects.order_by("pk").values_list("quote", "start", "end", "kind", "status")), first
        )

    def test_a_seed_already_used_is_refused(self):
        self.seed()
        with self.assertRaisesMessage(CommandError, "already here"):
            self.seed()
