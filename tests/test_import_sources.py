"""python manage.py import_sources: raw files in, sources with captures out, each file whole or not at all."""

import hashlib
import io
import random
import shutil
import tempfile
from pathlib import Path
from unittest import mock, skipUnless

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from rest_framework.test import APIClient

from claims.anchoring import relocate
from claims.models import Claim
from claims.services import create_claim
from sources.models import Agent, Capture, Source
from tests.base import BaseTestCase
from tests.webarchives import CORRECTION, FERRY

FIXTURES = Path(__file__).parent / "fixtures" / "articles"
SEEDS = Path(settings.BASE_DIR).parent / "shared" / "seeds"
NO_SEEDS = "the seed articles are not in ../shared/seeds (they live beside the repository, not in it)"


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class ImportTestCase(BaseTestCase):
    def setUp(self):
        self.folder = Path(tempfile.mkdtemp())
        self.addCleanup(shutil.rmtree, self.folder)

    def fixture(self, name: str, folder: Path | None = None) -> Path:
        target = (folder or self.folder) / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(FIXTURES / name, target)
        return target

    def write(self, name: str, data: bytes) -> Path:
        path = self.folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return path

    def run_import(self, *args) -> tuple[str, str]:
        out, err = io.StringIO(), io.StringIO()
        call_command("import_sources", *[str(a) for a in args], stdout=out, stderr=err)
        return out.getvalue(), err.getvalue()

    def run_failing_import(self, *args) -> tuple[str, str]:
        out, err = io.StringIO(), io.StringIO()
        with self.assertRaises(CommandError) as raised:
            call_command("import_sources", *[str(a) for a in args], stdout=out, stderr=err)
        self.assertEqual(raised.exception.returncode, 1)
        return out.getvalue(), err.getvalue() + str(raised.exception)


@skipUnless(SEEDS.is_dir(), NO_SEEDS)
class SeedImportTests(ImportTestCase):
    def setUp(self):
        super().setUp()
        self.out, _ = self.run_import(SEEDS)
        self.imported = {c.file_name: c for c in Capture.objects.select_related("source")}

    def test_the_five_seeds_become_five_sources_with_their_titles(self):
        self.assertEqual(len(self.imported), 5)
        titles = {name[:3]: capture.source.title for name, capture in self.imported.items()}
        self.assertEqual(
            titles,
            {
                "000": "The failure of Abe's 'new approach' to Russia",
                "001": "Can We Talk about a Breakthrough in Russian-Japanese Relations?",
                "002": "Japan’s “Russian Embrace” Faces Awkward Trajectory",
                "003": "Russia Won’t Budge an Inch on Islands Japan Claims",
                "004": "China fears spur Abe's new tack with Russia",
            },
        )

    def test_each_file_gets_one_line_saying_created_with_id_and_title(self):
        lines = self.out.splitlines()
        self.assertEqual(len(lines), 5)
        for capture in self.imported.values():
            self.assertIn(f"created {capture.source.pk} {capture.source.title}", lines)

    def test_authors_are_read_where_the_text_states_one(self):
        authors = {name[:3]: [a.name for a in c.source.authors.all()] for name, c in self.imported.items()}
        self.assertEqual(
            authors,
            {"000": ["James D.J. Brown"], "001": [], "002": ["J. Berkshire Miller"], "003": ["J. Berkshire Miller"]}
            | {"004": []},
        )
        self.assertEqual(Agent.objects.filter(name="J. Berkshire Miller").count(), 1)

    def test_publishers_named_in_the_page_are_recorded(self):
        publishers = {name[:3]: str(c.source.publisher or "") for name, c in self.imported.items()}
        self.assertEqual(publishers["003"], "Foreign Policy")
        self.assertEqual(publishers["000"], "Nikkei Asian Review")

    def test_the_raw_capture_is_the_file_byte_for_byte_and_its_sha256_is_the_files(self):
        for name, capture in self.imported.items():
            data = (SEEDS / name).read_bytes()
            self.assertEqual(capture.sha256, hashlib.sha256(data).hexdigest())
            self.assertEqual(bytes(capture.raw), data)
            self.assertEqual(capture.size, len(data))

    def test_no_listed_furniture_is_in_any_clean_text(self):
        for capture in self.imported.values():
            for furniture in ["Created with Sketch", "{{", "Sponsored Content", "free article", "More from"]:
                self.assertNotIn(furniture, capture.source.text)
            self.assertNotIn("refine your search", capture.source.text)

    def test_importing_the_seeds_again_creates_nothing(self):
        out, _ = self.run_import(SEEDS)
        self.assertEqual(Source.objects.filter(captures__isnull=False).count(), 5)
        self.assertEqual(Capture.objects.count(), 5)
        self.assertEqual([line.split()[0] for line in out.splitlines()], ["unchanged"] * 5)


class CaptureRecordTests(ImportTestCase):
    def test_a_capture_records_file_size_method_software_and_who_ran_it(self):
        path = self.fixture("harbour_talks.txt")
        User.objects.create_user("archivist")
        self.run_import(path, "--retrieved-at", "2026-03-01T08:00:00Z", "--user", "archivist")
        capture = Capture.objects.get()
        self.assertEqual(capture.file_name, "harbour_talks.txt")
        self.assertEqual(capture.size, path.stat().st_size)
        self.assertEqual(capture.method, Capture.Method.TEXT)
        self.assertEqual(capture.imported_by, "archivist")
        self.assertEqual(capture.retrieved_at.isoformat(), "2026-03-01T08:00:00+00:00")
        self.assertIn("trafilatura 2.3.1", capture.software_version)
        self.assertEqual(capture.clean_text, capture.source.text)

    def test_the_derivation_lists_what_was_removed_and_a_diff(self):
        self.run_import(self.fixture("harbour_talks.txt"))
        capture = Capture.objects.get()
        kinds = {r["kind"] for r in capture.removals}
        self.assertTrue({"navigation", "paywall", "sponsored content", "section label"} <= kinds)
        self.assertIn("-Subscribe to keep reading", capture.diff)

    def test_options_win_over_what_the_text_states(self):
        self.run_import(
            self.fixture("harbour_talks.txt"),
            *["--url", "https://quay.example.org/harbour", "--publisher", "The Weekly Quay"],
            *["--author", "Ada Quill", "--author", "Ben Rook", "--published-on", "2026-02", "--language", "en"],
        )
        source = Source.objects.get(url="https://quay.example.org/harbour")
        self.assertEqual(source.publisher.name, "The Weekly Quay")
        self.assertEqual(sorted(a.name for a in source.authors.all()), ["Ada Quill", "Ben Rook"])
        self.assertEqual(source.published_on_iso, "2026-02")
        self.assertEqual(source.language, "en")

    def test_a_url_names_one_file_only(self):
        with self.assertRaisesMessage(CommandError, "--url names one page, but 2 files were given"):
            self.run_import(
                self.fixture("harbour_talks.txt"),
                self.fixture("lighthouse_keepers.txt"),
                "--url",
                "https://a.example/x",
            )
        self.assertFalse(Capture.objects.exists())

    def test_what_the_text_leaves_out_is_detected(self):
        self.run_import(self.fixture("lighthouse_keepers.txt"))
        source = Source.objects.get(captures__file_name="lighthouse_keepers.txt")
        self.assertEqual(source.title, "Why the last lighthouse keepers are leaving the Skerry islands")
        self.assertEqual([a.name for a in source.authors.all()], ["Tomas Reyes"])
        self.assertEqual(source.publisher.name, "The Coastal Review")

    def test_html_and_markdown_files_are_imported(self):
        out, _ = self.run_import(self.fixture("ferry_fares.html"), self.fixture("island_school.md"))
        ferry = Source.objects.get(url="https://quay.example.org/ferry-fares")
        self.assertEqual(ferry.title, "Ferry fares to rise by a fifth")
        self.assertEqual(ferry.captures.get().method, Capture.Method.HTML)
        self.assertIn("created", out)
        self.assertTrue(Source.objects.filter(title="Island school to stay open for another three years").exists())


class ReimportTests(ImportTestCase):
    """A changed version of a source: claims hold, move or break, and each is reported."""

    def setUp(self):
        super().setUp()
        self.run_import(self.fixture("harbour_talks.txt"))
        self.source = Source.objects.get(captures__file_name="harbour_talks.txt")
        self.held = create_claim(source=self.source, quote="left the table on Tuesday")
        self.moved = create_claim(source=self.source, quote="The vote is set for Friday.")
        self.broken = create_claim(source=self.source, quote="nowhere near enough to keep our boats working")

    def changed_version(self) -> Path:
        raw = (FIXTURES / "harbour_talks.txt").read_text()
        raw = raw.replace(
            "\n\nThe mayor of Eastport",
            "\n\nA late offer of shared patrols was turned down by both sides before the delegations left."
            "\n\nThe mayor of Eastport",
        ).replace("nowhere near enough to keep our boats working", "far too little to keep our boats at sea")
        # A new version comes from the same path (or the same URL).
        return self.write("harbour_talks.txt", raw.encode())

    def test_identical_bytes_create_nothing(self):
        out, _ = self.run_import(self.fixture("harbour_talks.txt", self.folder / "again"))
        self.assertEqual(out.split()[:2], ["unchanged", str(self.source.pk)])
        self.assertEqual(Capture.objects.count(), 1)
        self.assertEqual(Source.objects.filter(captures__isnull=False).count(), 1)

    def test_a_changed_file_of_the_same_name_is_a_new_capture_of_the_same_source(self):
        out, _ = self.run_import(self.changed_version())
        self.assertTrue(out.startswith(f"updated {self.source.pk} "))
        self.assertEqual(self.source.captures.count(), 2)
        self.source.refresh_from_db()
        self.assertIn("A late offer of shared patrols", self.source.text)

    def test_a_claim_whose_quote_stays_put_holds(self):
        out, _ = self.run_import(self.changed_version())
        self.held.refresh_from_db()
        self.assertEqual(self.held.anchor_state, Claim.AnchorState.HELD)
        self.assertEqual(self.source.text[self.held.start : self.held.end], self.held.quote)
        self.assertIn(f"claim {self.held.pk} “left the table on Tuesday”: anchor holds", out)

    def test_a_claim_whose_quote_shifted_moves_with_its_context(self):
        before = self.moved.start
        out, _ = self.run_import(self.changed_version())
        self.moved.refresh_from_db()
        self.source.refresh_from_db()
        self.assertEqual(self.moved.anchor_state, Claim.AnchorState.MOVED)
        self.assertGreater(self.moved.start, before)
        self.assertEqual(self.source.text[self.moved.start : self.moved.end], self.moved.quote)
        self.assertIn(f"claim {self.moved.pk} “The vote is set for Friday.”: moved from {before}–", out)

    def test_a_claim_whose_quote_is_gone_breaks_and_is_flagged_not_moved(self):
        before = (self.broken.start, self.broken.end)
        out, _ = self.run_import(self.changed_version())
        self.broken.refresh_from_db()
        self.assertEqual(self.broken.anchor_state, Claim.AnchorState.BROKEN)
        self.assertEqual((self.broken.start, self.broken.end), before)
        self.assertIn(f"claim {self.broken.pk} “nowhere near enough to keep our boats working”: BROKEN", out)

    def test_the_capture_keeps_the_anchor_report_and_the_claims_keep_history(self):
        self.run_import(self.changed_version())
        capture = self.source.captures.latest()
        self.assertEqual(capture.anchor_counts, {"held": 1, "moved": 1, "broken": 1})
        self.assertEqual(
            self.moved.history.first().history_change_reason,
            f"Re-anchored after a new capture of “{self.source.title}” (source #{self.source.pk})",
        )

    def test_the_same_url_is_the_same_source_whatever_the_file_is_called(self):
        Source.objects.filter(pk=self.source.pk).update(url="https://quay.example.org/harbour")
        (self.folder / "v2").mkdir()
        path = self.changed_version().rename(self.folder / "v2" / "renamed.txt")
        out, _ = self.run_import(path, "--url", "https://quay.example.org/harbour")
        self.assertTrue(out.startswith(f"updated {self.source.pk} "))

    def test_without_a_url_the_same_path_is_the_same_source_even_one_imported_with_a_url(self):
        Source.objects.filter(pk=self.source.pk).update(url="https://quay.example.org/harbour")
        out, _ = self.run_import(self.changed_version())
        self.assertTrue(out.startswith(f"updated {self.source.pk} "))

    def test_a_file_of_the_same_name_in_another_folder_is_another_article_not_a_new_version(self):
        text_before = Source.objects.get(pk=self.source.pk).text
        other = self.write("elsewhere/harbour_talks.txt", b"Ferry strike\n\nThe ferry crews walked out at dawn.\n")
        out, _ = self.run_import(other)
        self.assertTrue(out.startswith("created "), out)
        self.source.refresh_from_db()
        self.assertEqual(self.source.text, text_before)
        self.assertEqual(self.source.captures.count(), 1)
        self.broken.refresh_from_db()
        self.assertEqual(self.broken.anchor_state, Claim.AnchorState.HELD)

    def test_two_folders_with_the_same_file_names_import_as_separate_articles(self):
        first = self.write("d1/report.txt", b"Port report\n\nThe northern quay reopened on Monday.\n")
        second = self.write("d2/report.txt", b"Port report\n\nThe southern quay closed for repairs.\n")
        out, _ = self.run_import(first.parent, second.parent)
        self.assertEqual([line.split()[0] for line in out.splitlines()], ["created", "created"])
        self.assertIn("northern quay", Source.objects.get(captures__source_path=str(first.resolve())).text)
        self.assertIn("southern quay", Source.objects.get(captures__source_path=str(second.resolve())).text)

    def test_a_broken_claim_holds_again_once_its_quote_is_fixed(self):
        self.run_import(self.changed_version())
        self.broken.refresh_from_db()
        self.broken.quote, self.broken.start, self.broken.end = "far too little to keep our boats at sea", None, None
        self.broken.full_clean()
        self.assertEqual(self.broken.anchor_state, Claim.AnchorState.HELD)


class RelocateTests(BaseTestCase):
    def test_a_quote_that_occurs_twice_without_fitting_context_breaks(self):
        found = relocate(quote="the fleet", start=4, old_text="Now the fleet sails.", new_text="the fleet; the fleet")
        self.assertEqual(found.state, "broken")

    def test_a_repeated_quote_moves_to_the_occurrence_whose_context_fits(self):
        old = "Ships wait. In March the fleet sails north."
        new = "Added. the fleet rests. Ships wait. In March the fleet sails north."
        found = relocate(quote="the fleet", start=old.index("the fleet"), old_text=old, new_text=new)
        self.assertEqual((found.state, found.start), ("moved", new.rindex("the fleet")))

    def test_a_short_quote_found_elsewhere_out_of_context_breaks(self):
        found = relocate(quote="in March", start=20, old_text="x" * 20 + "in March they sail", new_text="Not in March.")
        self.assertEqual(found.state, "broken")


class BadInputTests(ImportTestCase):
    def test_an_empty_file_is_refused_with_a_reason(self):
        _, err = self.run_failing_import(self.write("empty.txt", b""))
        self.assertIn("empty.txt: the file is empty", err)
        self.assertFalse(Capture.objects.exists())

    def test_a_binary_file_is_refused(self):
        _, err = self.run_failing_import(
            self.write("photo.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
        )
        self.assertIn("photo.txt: the file is binary", err)

    def test_a_latin_1_file_is_decoded_by_its_detected_encoding(self):
        text = (
            "Le port et la flotte du nord\n\nLe maire de Port-Est a déclaré que l'offre était « très insuffisante »"
            " pour la flotte. Les pêcheurs ont répondu que la saison serait difficile, et le conseil régional a"
            " promis une réunion à Noël.\n"
        )
        self.run_import(self.write("port.txt", text.encode("latin-1")))
        capture = Capture.objects.get()
        self.assertIn("a déclaré que l'offre était « très insuffisante »", capture.source.text)
        self.assertNotEqual(capture.encoding, "utf-8")

    def test_a_file_whose_encoding_cannot_be_detected_is_refused_clearly(self):
        noise = bytes(random.Random(1).choice(range(0x80, 0x100)) for _ in range(3000))
        _, err = self.run_failing_import(self.write("noise.txt", noise))
        self.assertIn("noise.txt: the file is not UTF-8 and its encoding could not be detected", err)

    def test_a_windows_1252_file_with_curly_quotes_and_euro_is_read_as_windows_1252(self):
        text = (
            "Budget row in the harbour council\n\nThe mayor said the offer was “absolutely unacceptable” and "
            "would cost €4 million — more than last year’s whole budget. Critics called it ‘a fiasco’.\n"
        )
        self.run_import(self.write("budget.txt", text.encode("cp1252")))
        capture = Capture.objects.get()
        self.assertEqual(capture.encoding, "cp1252")
        self.assertIn("“absolutely unacceptable” and would cost €4 million — more", capture.source.text)
        self.assertGreaterEqual(capture.encoding_confidence, 0.8)

    def test_a_shift_jis_file_is_read_as_japanese(self):
        text = (
            "北方領土交渉\n\n安倍晋三首相は、ロシアとの平和条約締結に向けて新しいアプローチを提案した。"
            "北方領土問題は依然として解決されていない。\n"
        )
        self.run_import(self.write("hoppo.txt", text.encode("shift_jis")))
        capture = Capture.objects.get()
        self.assertIn(capture.encoding, {"shift_jis", "cp932"})
        self.assertIn("平和条約締結に向けて新しいアプローチを提案した", capture.source.text)
        self.assertGreaterEqual(capture.encoding_confidence, 0.8)

    def test_a_utf_8_file_is_read_with_full_confidence(self):
        self.run_import(self.write("plain.txt", "Quay\n\nThe quay “reopened” on Monday.\n".encode()))
        self.assertEqual(Capture.objects.get().encoding_confidence, 1.0)

    def test_random_bytes_are_refused_with_how_to_give_the_encoding(self):
        noise = bytes(random.Random(2).choices(range(0x80, 0x100), k=3000))
        _, err = self.run_failing_import(self.write("noise.txt", noise))
        self.assertIn("noise.txt: the file is not UTF-8 and its encoding could not be detected", err)
        self.assertIn("--encoding", err)
        self.assertFalse(Capture.objects.exists())

    def test_an_encoding_given_is_used_and_recorded_as_certain(self):
        text = "Порт\n\nПрезидент заявил, что размещение систем на островах неприемлемо.\n"
        self.run_import(self.write("port.txt", text.encode("koi8_r")), "--encoding", "koi8_r")
        capture = Capture.objects.get()
        self.assertEqual((capture.encoding, capture.encoding_confidence), ("koi8_r", 1.0))
        self.assertIn("размещение систем на островах неприемлемо", capture.source.text)

    def test_an_encoding_given_that_does_not_fit_the_bytes_is_refused_naming_the_byte(self):
        _, err = self.run_failing_import(self.write("jp.txt", "平和条約".encode("shift_jis")), "--encoding", "utf-8")
        self.assertIn("jp.txt: the file is not utf-8: byte 0x95 at position 0 does not decode", err)

    def test_a_50_mb_file_is_refused_by_its_size_without_being_read(self):
        path = self.folder / "huge.txt"
        with path.open("wb") as f:
            f.truncate(50 * 1024 * 1024)  # sparse: no 50 MB written to disk
        with mock.patch("pathlib.Path.read_bytes", side_effect=AssertionError("read")):
            _, err = self.run_failing_import(path)
        self.assertIn("huge.txt: the file is 50.0 MB, over the 5 MB limit", err)

    def test_a_page_that_is_all_furniture_is_refused(self):
        _, err = self.run_failing_import(self.write("menu.txt", b"Skip to main content\nHome | World | Sport\n"))
        self.assertIn("menu.txt: no article text is left", err)

    def test_a_mixed_folder_imports_the_good_files_and_names_each_bad_one(self):
        self.fixture("harbour_talks.txt", self.folder / "mixed")
        self.fixture("lighthouse_keepers.txt", self.folder / "mixed")
        self.write("mixed/empty.md", b"")
        self.write("mixed/blob.html", b"\x00\x01\x02binary")
        self.write("mixed/notes.docx", b"PK\x03\x04")  # .pdf files are imported now (tests/test_pdf_sources.py)
        out, err = self.run_failing_import(self.folder / "mixed")
        self.assertEqual(Source.objects.filter(captures__isnull=False).count(), 2)
        self.assertIn("empty.md: the file is empty", err)
        self.assertIn("blob.html: the file is binary", err)
        self.assertIn("2 of 4 files failed", err)
        self.assertIn("skipped", out)
        self.assertEqual(len([line for line in out.splitlines() if line.startswith("created")]), 2)

    def test_a_path_that_does_not_exist_is_named_and_nothing_is_imported(self):
        good = self.fixture("lighthouse_keepers.txt")
        sources = Source.objects.count()
        _, err = self.run_failing_import(good, self.folder / "seeds")
        self.assertIn(f"No such file or folder: {self.folder / 'seeds'}", err)
        self.assertNotIn("no extension", err)
        self.assertEqual(Source.objects.count(), sources)

    def test_a_folder_with_nothing_importable_says_so_and_fails(self):
        self.write("photos/cover.jpg", b"\xff\xd8\xff")
        out, err = self.run_failing_import(self.folder / "photos")
        self.assertIn("skipped", out)
        self.assertIn(f"Nothing to import in {self.folder / 'photos'}", err)

    def test_an_empty_folder_says_so_and_fails(self):
        (self.folder / "empty").mkdir()
        _, err = self.run_failing_import(self.folder / "empty")
        self.assertIn("Nothing to import", err)

    def test_a_file_that_fails_half_way_leaves_nothing_behind(self):
        sources, agents = Source.objects.count(), Agent.objects.count()
        with mock.patch.object(Capture, "full_clean", side_effect=ValidationError("disk full")):
            _, err = self.run_failing_import(self.fixture("lighthouse_keepers.txt"))
        self.assertIn("disk full", err)
        self.assertEqual(Source.objects.count(), sources)
        self.assertEqual(Agent.objects.count(), agents)  # the detected author and publisher are gone too

    def test_a_folder_import_in_a_terminal_shows_files_done_of_total(self):
        self.fixture("harbour_talks.txt", self.folder / "batch")
        self.fixture("lighthouse_keepers.txt", self.folder / "batch")
        err = Terminal()
        call_command("import_sources", str(self.folder / "batch"), stdout=io.StringIO(), stderr=err)
        self.assertIn("1 of 2 files done", err.getvalue())
        self.assertIn("2 of 2 files done", err.getvalue())

    def test_no_progress_is_shown_when_not_in_a_terminal(self):
        self.fixture("harbour_talks.txt", self.folder / "batch")
        self.fixture("lighthouse_keepers.txt", self.folder / "batch")
        _, err = self.run_import(self.folder / "batch")
        self.assertNotIn("files done", err)


class SameBytesElsewhereTests(ImportTestCase):
    """Two publishers running one wire story are two sources, even byte for byte."""

    def test_the_same_bytes_under_another_url_are_another_source_said_to_be_the_same_bytes(self):
        story = self.fixture("harbour_talks.txt")
        self.run_import(story, "--url", "https://ledger.example.net/wire/talks")
        out, _ = self.run_import(story, "--url", "https://harbour.example.org/talks")
        first = Source.objects.get(url="https://ledger.example.net/wire/talks")
        second = Source.objects.get(url="https://harbour.example.org/talks")
        self.assertTrue(out.startswith(f"created {second.pk} "), out)
        self.assertIn(f"the same bytes as source {first.pk} (https://ledger.example.net/wire/talks)", out)
        self.assertEqual(first.captures.get().sha256, second.captures.get().sha256)
        self.assertEqual(second.text, first.text)

    def test_the_same_bytes_under_the_same_url_are_unchanged(self):
        story = self.fixture("harbour_talks.txt")
        self.run_import(story, "--url", "https://harbour.example.org/talks")
        out, _ = self.run_import(story, "--url", "https://harbour.example.org/talks")
        self.assertTrue(out.startswith("unchanged "), out)
        self.assertEqual(Capture.objects.count(), 1)


class ReviewedTitleTests(ImportTestCase):
    """A title a Reviewer corrected survives a new capture; the capture's own title is recorded on it."""

    URL = "https://quay.example.org/ferry-fares"

    def setUp(self):
        super().setUp()
        self.run_import(self.write("ferry.html", FERRY.format(extra="").encode()), "--url", self.URL)
        self.source = Source.objects.get(url=self.URL)

    def new_version(self) -> tuple[str, str]:
        page = FERRY.format(extra=CORRECTION).replace("to rise by a fifth", "to rise by twenty per cent")
        return self.run_import(self.write("ferry-2.html", page.encode()), "--url", self.URL)

    def test_a_new_capture_keeps_the_title_a_reviewer_corrected(self):
        api = APIClient()
        api.force_authenticate(self.bob)
        response = api.patch(
            reverse("api:source-detail", args=[self.source.pk]), {"title": "Island ferry fares up 20%"}, format="json"
        )
        self.assertEqual(response.status_code, 200, response.content)
        out, _ = self.new_version()
        self.source.refresh_from_db()
        self.assertEqual(self.source.title, "Island ferry fares up 20%")
        self.assertIn("Correction: the rise takes effect", self.source.text)
        self.assertEqual(self.source.captures.latest().stated_title, "Ferry fares to rise by twenty per cent")
        self.assertIn(
            "title kept: “Island ferry fares up 20%” was set by a person; "
            "this capture gives “Ferry fares to rise by twenty per cent”",
            out,
        )
        self.client.force_login(self.vera)
        page = self.client.get(reverse("sources:provenance", args=[self.source.pk])).content.decode()
        self.assertIn('<dd class="stated-title">Ferry fares to rise by twenty per cent</dd>', page)
        # And the capture after that too: the title is still the Reviewer's.
        self.run_import(
            self.write("ferry-3.html", FERRY.format(extra="<p>Updated at noon.</p>").encode()), "--url", self.URL
        )
        self.source.refresh_from_db()
        self.assertEqual(self.source.title, "Island ferry fares up 20%")

    def test_a_new_capture_replaces_a_title_no_person_set(self):
        self.assertEqual(self.source.title, "Ferry fares to rise by a fifth")
        out, _ = self.new_version()
        self.source.refresh_from_db()
        self.assertEqual(self.source.title, "Ferry fares to rise by twenty per cent")
        self.assertNotIn("title kept", out)
