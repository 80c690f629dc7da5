"""Web archives in: WARC (written by warcio and by wget) and WACZ files import as captures of their URLs."""

import gzip
import hashlib
import io
import json
import shutil
import subprocess
import tempfile
import zipfile
from pathlib import Path
from unittest import skipUnless

from django.contrib.auth.models import Permission, User
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings
from django.urls import reverse
from warcio.archiveiterator import ArchiveIterator

from claims.models import Claim
from claims.services import create_claim
from sources.models import Capture, Source
from tests.base import BaseTestCase
from tests.webarchives import LocalSite, build_wacz, gunzipped, record_with_warcio

WGET = shutil.which("wget")
LEDGER_FILE = "Ledger notes\n\nThe harbour board met on Tuesday and agreed to repair the northern quay before winter.\n"


class ArchiveTestCase(BaseTestCase):
    def setUp(self):
        self.folder = Path(tempfile.mkdtemp())
        self.addCleanup(shutil.rmtree, self.folder)
        self.site = LocalSite()
        self.addCleanup(self.site.stop)

    def record(self, *paths: str, name: str = "pages.warc.gz", gzip: bool = True) -> Path:
        (self.folder / name).parent.mkdir(parents=True, exist_ok=True)
        return record_with_warcio(self.site, list(paths), self.folder / name, gzip=gzip)

    def run_import(self, *args) -> str:
        out, err = io.StringIO(), io.StringIO()
        call_command("import_sources", *[str(a) for a in args], stdout=out, stderr=err)
        return out.getvalue() + err.getvalue()

    def run_failing_import(self, *args) -> str:
        out, err = io.StringIO(), io.StringIO()
        with self.assertRaises(CommandError):
            call_command("import_sources", *[str(a) for a in args], stdout=out, stderr=err)
        return out.getvalue() + err.getvalue()

    def provenance(self, source: Source) -> str:
        self.client.force_login(self.vera)
        return self.client.get(reverse("sources:provenance", args=[source.pk])).content.decode()


class ImportingWebArchivesTests(ArchiveTestCase):
    def test_a_warcio_warc_becomes_a_capture_of_its_url_with_time_and_digest(self):
        warc = self.record("/quay/ferry-fares")
        output = self.run_import(warc)
        url = self.site.url("/quay/ferry-fares")
        source = Source.objects.get(url=url)
        capture = source.captures.get()
        self.assertIn(f"created {source.pk} Ferry fares to rise by a fifth", output)
        self.assertEqual(capture.origin, Capture.Origin.ARCHIVE)
        self.assertEqual(capture.target_url, url)
        self.assertEqual(capture.http_status, 200)
        self.assertEqual(capture.content_type, "text/html; charset=utf-8")
        self.assertTrue(capture.warc_record_id.startswith("<urn:uuid:"))
        self.assertTrue(capture.payload_digest.startswith("sha1:"))
        self.assertIn(["Content-Type", "text/html; charset=utf-8"], capture.http_headers)
        self.assertIsNotNone(capture.retrieved_at)
        self.assertIn("raise its fares by twenty per cent", source.text)
        page = self.provenance(source)
        for shown in (url, capture.payload_digest, capture.sha256, capture.warc_record_id, "200", "text/html"):
            self.assertIn(shown.replace("<", "&lt;").replace(">", "&gt;"), page)
        self.assertIn(capture.retrieved_at.strftime("%Y-%m-%dT%H:%M:%S"), page)
        self.assertIn("from the web archive pages.warc.gz", page)

    @skipUnless(WGET, "Debian's wget is not installed (make test installs it)")
    def test_a_wget_warc_becomes_a_capture_shown_on_the_provenance_page(self):
        url = self.site.url("/quay/ferry-fares")
        subprocess.run(
            [WGET, "--quiet", "--no-proxy", f"--warc-file={self.folder / 'wget'}", "-O", "/dev/null", url],
            check=True,
            timeout=60,
        )
        output = self.run_import(self.folder / "wget.warc.gz")
        source = Source.objects.get(url=url)
        capture = source.captures.get()
        self.assertIn(f"created {source.pk}", output)
        self.assertEqual((capture.target_url, capture.http_status), (url, 200))
        page = self.provenance(source)
        for shown in (url, capture.payload_digest, capture.sha256):
            self.assertIn(shown, page)
        self.assertIn(capture.retrieved_at.strftime("%Y-%m-%dT%H:%M:%S"), page)

    def test_an_uncompressed_warc_imports_too(self):
        warc = self.record("/quay/ferry-fares", name="pages.warc", gzip=False)
        self.run_import(warc)
        self.assertEqual(Source.objects.get(url=self.site.url("/quay/ferry-fares")).captures.count(), 1)

    def test_a_wacz_imports_the_pages_of_the_warc_inside_it(self):
        warc = self.record("/quay/ferry-fares", "/quay/lighthouse")
        wacz = build_wacz(warc, self.folder / "quay.wacz", [{"url": self.site.url("/quay/ferry-fares")}])
        self.run_import(wacz)
        capture = Capture.objects.get(target_url=self.site.url("/quay/lighthouse"))
        self.assertEqual(capture.file_name, "quay.wacz")
        self.assertEqual(Capture.objects.filter(origin=Capture.Origin.ARCHIVE).count(), 2)

    def test_a_wacz_whose_warc_does_not_match_its_datapackage_is_refused(self):
        warc = self.record("/quay/ferry-fares")
        wacz = build_wacz(warc, self.folder / "quay.wacz", [])
        with zipfile.ZipFile(wacz) as original:
            members = {name: original.read(name) for name in original.namelist()}
        members["archive/pages.warc.gz"] = members["archive/pages.warc.gz"] + gzip.compress(b"extra")
        with zipfile.ZipFile(wacz, "w") as changed:
            for name, data in members.items():
                changed.writestr(name, data)
        output = self.run_failing_import(wacz)
        self.assertIn("archive/pages.warc.gz does not match its hash in datapackage.json", output)
        self.assertFalse(Capture.objects.filter(origin=Capture.Origin.ARCHIVE).exists())

    def test_records_that_are_not_pages_are_skipped_and_counted(self):
        warc = self.record("/quay/logo.png", "/quay/app.js", "/quay/old", "/quay/missing")
        output = self.run_import(warc)
        # /quay/old redirects twice and lands on the article: the one page in the archive.
        self.assertEqual(Capture.objects.filter(origin=Capture.Origin.ARCHIVE).count(), 1)
        self.assertIn(
            "skipped 5 records of pages.warc.gz that are not pages: 1 HTTP 404, 1 application/javascript, "
            "1 image/png, 1 redirect (HTTP 301), 1 redirect (HTTP 302)",
            output,
        )

    def test_an_archive_with_no_page_fails_with_a_message(self):
        output = self.run_failing_import(self.record("/quay/logo.png"))
        self.assertIn("the archive holds no HTML or text page to import", output)

    def test_a_chunked_response_is_read_without_its_chunk_framing(self):
        self.run_import(self.record("/quay/chunked"))
        capture = Capture.objects.get(target_url=self.site.url("/quay/chunked"))
        self.assertIn(["Transfer-Encoding", "chunked"], capture.http_headers)
        self.assertTrue(bytes(capture.raw).startswith(b"<!DOCTYPE html>"))
        self.assertIn("Ferry fares to rise by a fifth, in pieces", capture.source.title)

    def test_a_gzip_encoded_response_is_stored_decompressed(self):
        self.run_import(self.record("/quay/gzipped"))
        capture = Capture.objects.get(target_url=self.site.url("/quay/gzipped"))
        self.assertIn(["Content-Encoding", "gzip"], capture.http_headers)
        self.assertTrue(bytes(capture.raw).startswith(b"<!DOCTYPE html>"))

    def test_a_page_that_is_not_utf8_is_read_with_the_charset_its_headers_declare(self):
        self.run_import(self.record("/quay/lighthouse"))
        capture = Capture.objects.get(target_url=self.site.url("/quay/lighthouse"))
        self.assertEqual(capture.encoding, "cp1251")
        self.assertIn("Последний смотритель маяка", capture.source.text)

    def test_a_second_capture_of_the_same_url_is_a_new_version_that_reanchors_claims(self):
        self.run_import(self.record("/quay/ferry-fares", name="first.warc.gz"))
        source = Source.objects.get(url=self.site.url("/quay/ferry-fares"))
        claim = create_claim(source=source, quote="blaming the price of fuel")
        self.site.server.corrected = True
        output = self.run_import(self.record("/quay/ferry-fares", name="second.warc.gz"))
        self.assertIn(f"updated {source.pk}", output)
        self.assertEqual(source.captures.count(), 2)
        self.assertIn("Correction: the rise takes effect", Source.objects.get(pk=source.pk).text)
        claim.refresh_from_db()
        self.assertEqual(claim.anchor_state, Claim.AnchorState.HELD)
        self.assertEqual(source.captures.latest().anchor_report[0]["claim"], claim.pk)

    def test_two_captures_of_a_url_in_one_archive_are_two_versions(self):
        first = self.record("/quay/ferry-fares", name="first.warc.gz")
        self.site.server.corrected = True
        second = self.record("/quay/ferry-fares", name="second.warc.gz")
        both = self.folder / "both.warc.gz"
        both.write_bytes(first.read_bytes() + second.read_bytes())  # gzip members simply follow each other
        output = self.run_import(both)
        source = Source.objects.get(url=self.site.url("/quay/ferry-fares"))
        self.assertEqual(source.captures.count(), 2)
        self.assertIn("created", output)
        self.assertIn("updated", output)
        self.assertIn("Correction", source.text)

    def test_importing_the_same_archive_again_changes_nothing(self):
        warc = self.record("/quay/ferry-fares")
        self.run_import(warc)
        output = self.run_import(warc)
        self.assertIn("unchanged", output)
        self.assertEqual(Capture.objects.filter(origin=Capture.Origin.ARCHIVE).count(), 1)

    def test_a_truncated_archive_is_refused_whole(self):
        warc = self.record("/quay/lighthouse", "/quay/ferry-fares", name="pages.warc", gzip=False)
        data = warc.read_bytes()
        warc.write_bytes(data[: len(data) - 400])  # cut inside the last records
        output = self.run_failing_import(warc)
        self.assertIn("pages.warc is truncated", output)
        self.assertFalse(Capture.objects.filter(origin=Capture.Origin.ARCHIVE).exists())

    def test_a_truncated_gzipped_archive_is_refused_whole(self):
        warc = self.record("/quay/lighthouse", "/quay/ferry-fares")
        data = warc.read_bytes()
        warc.write_bytes(data[: len(data) - 200])
        output = self.run_failing_import(warc)
        self.assertIn("pages.warc.gz", output)
        self.assertFalse(Capture.objects.filter(origin=Capture.Origin.ARCHIVE).exists())

    def test_a_payload_that_does_not_match_its_digest_is_refused_with_a_message(self):
        warc = self.record("/quay/lighthouse", "/quay/ferry-fares", name="pages.warc", gzip=False)
        data = warc.read_bytes()
        warc.write_bytes(data.replace(b"twenty per cent", b"thirty per cent"))
        output = self.run_failing_import(warc)
        self.assertIn(f"({self.site.url('/quay/ferry-fares')}) does not match its digest", output)
        self.assertIn("the archive was changed or damaged after it was written", output)
        self.assertFalse(Capture.objects.filter(origin=Capture.Origin.ARCHIVE).exists())

    def test_url_and_retrieved_at_options_are_refused_for_an_archive(self):
        warc = self.record("/quay/ferry-fares")
        with self.assertRaisesMessage(CommandError, "do not apply to web archives"):
            call_command("import_sources", str(warc), "--url", "https://example.org/x", stdout=io.StringIO())

    def test_a_folder_import_picks_up_archives(self):
        self.record("/quay/ferry-fares", name="inbox/pages.warc.gz")
        output = self.run_import(self.folder / "inbox")
        self.assertIn("created", output)


# Our test site listens on the loopback interface, which capture_url refuses unless the host is allowed.
@override_settings(CAPTURE_ALLOWED_HOSTS=["127.0.0.1"])
class CapturingPagesTests(ArchiveTestCase):
    def capture(self, *args) -> str:
        out, err = io.StringIO(), io.StringIO()
        call_command("capture_url", *[str(a) for a in args], stdout=out, stderr=err)
        return out.getvalue() + err.getvalue()

    def failing_capture(self, *args) -> str:
        out, err = io.StringIO(), io.StringIO()
        with self.assertRaises(CommandError) as raised:
            call_command("capture_url", *[str(a) for a in args], stdout=out, stderr=err)
        self.assertEqual(raised.exception.returncode, 1)
        return out.getvalue() + err.getvalue() + str(raised.exception)

    def test_capturing_a_url_gives_the_same_source_and_capture_as_importing_its_warc(self):
        url = self.site.url("/quay/ferry-fares")
        self.capture(url, "--warc-dir", self.folder / "kept")
        fetched = Capture.objects.select_related("source").get(target_url=url)
        self.assertEqual(fetched.origin, Capture.Origin.FETCHED)
        fields = ["sha256", "file_name", "warc_record_id", "warc_record_sha256", "payload_digest", "http_status"]
        fields += ["http_headers", "content_type", "retrieved_at", "encoding", "clean_text", "archive_sha256"]
        expected = {name: getattr(fetched, name) for name in fields}
        source = {"url": fetched.source.url, "title": fetched.source.title, "text": fetched.source.text}
        fetched.delete()
        Source.objects.filter(url=url).delete()

        (warc,) = (self.folder / "kept").iterdir()
        self.run_import(warc)
        imported = Capture.objects.select_related("source").get(target_url=url)
        self.assertEqual({name: getattr(imported, name) for name in fields}, expected)
        self.assertEqual(
            {"url": imported.source.url, "title": imported.source.title, "text": imported.source.text}, source
        )
        self.assertEqual(imported.origin, Capture.Origin.ARCHIVE)

    def test_capturing_follows_redirects_and_says_so(self):
        output = self.capture(self.site.url("/quay/old"))
        self.assertIn(f"redirect 301 {self.site.url('/quay/old')} → {self.site.url('/quay/older')}", output)
        self.assertIn(f"redirect 302 {self.site.url('/quay/older')} → {self.site.url('/quay/ferry-fares')}", output)
        self.assertTrue(Source.objects.filter(url=self.site.url("/quay/ferry-fares")).exists())

    def test_the_same_page_at_another_url_is_another_source_not_unchanged(self):
        self.capture(self.site.url("/quay/ferry-fares"))
        output = self.capture(self.site.url("/wire/ferry-fares"))
        first = Source.objects.get(url=self.site.url("/quay/ferry-fares"))
        second = Source.objects.get(url=self.site.url("/wire/ferry-fares"))
        self.assertIn(f"created {second.pk} Ferry fares to rise by a fifth", output)
        self.assertIn(f"the same bytes as source {first.pk}", output)
        self.assertEqual(second.captures.get().sha256, first.captures.get().sha256)
        self.assertTrue(self.capture(self.site.url("/wire/ferry-fares")).startswith(f"unchanged {second.pk} "))

    def test_a_redirect_loop_is_refused_after_five_hops(self):
        output = self.failing_capture(self.site.url("/quay/loop"))
        self.assertIn("redirects more than 5 times", output)
        self.assertFalse(Capture.objects.filter(origin=Capture.Origin.FETCHED).exists())

    def test_an_answer_that_is_not_a_page_is_refused(self):
        output = self.failing_capture(self.site.url("/quay/logo.png"))
        self.assertIn("answered with image/png, not an HTML, text or PDF page; nothing was stored", output)

    def test_an_error_status_is_refused(self):
        output = self.failing_capture(self.site.url("/quay/missing"))
        self.assertIn("answered HTTP 404 Not Found", output)

    def test_a_page_over_the_size_limit_is_refused(self):
        output = self.failing_capture(self.site.url("/quay/big"))
        self.assertIn("over the 5,242,880-byte limit for one page", output)

    def test_a_chunked_page_over_the_size_limit_is_refused_while_reading(self):
        output = self.failing_capture(self.site.url("/quay/chunked"), "--max-bytes", "500")
        self.assertIn("sent more than the 500-byte limit for one page", output)

    def test_a_server_that_does_not_answer_in_time_is_refused(self):
        output = self.failing_capture(self.site.url("/quay/slow"), "--timeout", "0.3")
        self.assertIn("did not answer within 0.3 seconds", output)

    def test_a_url_that_is_not_http_is_refused(self):
        output = self.failing_capture("file:///etc/passwd")
        self.assertIn("file:///etc/passwd is not an http:// or https:// URL", output)

    def test_one_failing_url_does_not_stop_the_others(self):
        output = self.failing_capture(self.site.url("/quay/missing"), self.site.url("/quay/ferry-fares"))
        self.assertIn("created", output)
        self.assertIn("1 of 2 URLs failed", output)


class VerifyingCapturesTests(ArchiveTestCase):
    def verify(self) -> str:
        out = io.StringIO()
        call_command("verify_captures", stdout=out)
        return out.getvalue()

    def failing_verify(self) -> str:
        out = io.StringIO()
        with self.assertRaises(CommandError) as raised:
            call_command("verify_captures", stdout=out)
        self.assertEqual(raised.exception.returncode, 1)
        return out.getvalue() + str(raised.exception)

    def imported_capture(self) -> Capture:
        self.run_import(self.record("/quay/ferry-fares"))
        return Capture.objects.get(target_url=self.site.url("/quay/ferry-fares"))

    def test_untouched_captures_are_verified_and_the_page_says_when(self):
        capture = self.imported_capture()
        self.assertIn("verified 1 capture: every one matches its digests", self.verify())
        capture.refresh_from_db()
        self.assertIsNotNone(capture.verified_at)
        self.assertIn(f"verified on {capture.verified_at:%Y-%m-%d %H:%M}", self.provenance(capture.source))

    def test_a_capture_whose_stored_bytes_were_altered_is_reported(self):
        capture = self.imported_capture()
        Capture.objects.filter(pk=capture.pk).update(raw=bytes(capture.raw).replace(b"twenty", b"thirty"))
        output = self.failing_verify()
        self.assertIn(f"MISMATCH capture {capture.pk} (pages.warc.gz) of source {capture.source_id}", output)
        self.assertIn(f"not the {capture.sha256} recorded at import", output)
        self.assertIn("1 of 1 captures no longer match their digests", output)
        page = self.provenance(capture.source)
        self.assertIn("mismatch on", page)
        self.assertIn("the stored bytes hash to SHA-256", page)

    def test_a_capture_whose_warc_record_was_altered_is_reported(self):
        capture = self.imported_capture()
        record = bytes(capture.warc_record).replace(b"twenty", b"thirty")
        Capture.objects.filter(pk=capture.pk).update(
            warc_record=record, warc_record_sha256=hashlib.sha256(record).hexdigest()
        )
        output = self.failing_verify()
        self.assertIn("does not match its digest", output)

    def test_a_file_capture_is_verified_by_its_sha256(self):
        (self.folder / "notes.txt").write_text("Ferry notes.\nThe company will raise its fares by a fifth.\n")
        self.run_import(self.folder / "notes.txt")
        self.assertIn("verified 1 capture", self.verify())


class ExportingEvidenceTests(ArchiveTestCase):
    def setUp(self):
        super().setUp()
        self.run_import(self.record("/quay/ferry-fares", "/quay/lighthouse", name="first.warc.gz"))
        self.site.server.corrected = True
        self.run_import(self.record("/quay/ferry-fares", name="second.warc.gz"))
        self.ferry = Source.objects.get(url=self.site.url("/quay/ferry-fares"))
        self.claim = create_claim(source=self.ferry, quote="blaming the price of fuel")

    def export(self, source: Source) -> zipfile.ZipFile:
        target = self.folder / "evidence.zip"
        call_command("export_evidence", str(source.pk), "-o", str(target), stdout=io.StringIO())
        return zipfile.ZipFile(target)

    def test_the_exported_warc_reimports_into_an_empty_database_with_identical_capture_hashes(self):
        (self.folder / "ledger.txt").write_text(LEDGER_FILE)
        self.run_import(self.folder / "ledger.txt", "--url", "https://example.net/ledger")
        exports = {}
        for source in (self.ferry, self.ledger):
            warc = self.folder / f"source-{source.pk}.warc.gz"
            warc.write_bytes(self.export(source).read(warc.name))
            exports[warc] = sorted(source.captures.values_list("sha256", flat=True))
        Claim.objects.all().delete()
        Capture.objects.all().delete()
        Source.objects.all().delete()

        for warc in exports:
            self.run_import(warc)
        reimported = sorted(Capture.objects.values_list("sha256", flat=True))
        self.assertEqual(reimported, sorted(h for hashes in exports.values() for h in hashes))
        ferry = Source.objects.get(url=self.site.url("/quay/ferry-fares"))
        self.assertIn("Correction", ferry.text)  # the newest capture is still the current text

    def test_the_exported_warc_keeps_each_archived_record_verbatim_with_valid_digests(self):
        bundle = self.export(self.ferry)
        warc = bundle.read(f"source-{self.ferry.pk}.warc.gz")
        kinds = []
        for record in ArchiveIterator(io.BytesIO(warc), check_digests=True):
            record.content_stream().read()
            kinds.append(record.rec_type)
            self.assertNotEqual(record.digest_checker.passed, False)
        self.assertEqual(kinds, ["warcinfo", "response", "response"])
        ids = [c.warc_record_id for c in self.ferry.captures.order_by("imported_at", "pk")]
        for record_id in ids:
            self.assertIn(record_id.encode(), gunzipped(warc))

    def test_each_claim_goes_alongside_as_a_web_annotation_naming_its_capture(self):
        bundle = self.export(self.ferry)
        (annotation,) = json.loads(bundle.read("annotations.jsonld"))
        latest = self.ferry.captures.latest()
        self.assertEqual(annotation["type"], "Annotation")
        self.assertEqual(annotation["target"]["source"], self.ferry.url)
        self.assertEqual(annotation["target"]["selector"][0]["exact"], "blaming the price of fuel")
        self.assertEqual(annotation["target"]["state"]["cached"], latest.warc_record_id.strip("<>"))
        self.assertEqual(annotation["target"]["state"]["sourceDate"], latest.retrieved_at.isoformat())
        manifest = json.loads(bundle.read("manifest.json"))
        warc_name = f"source-{self.ferry.pk}.warc.gz"
        self.assertEqual(manifest["files"][warc_name]["sha256"], hashlib.sha256(bundle.read(warc_name)).hexdigest())
        self.assertEqual([c["sha256"] for c in manifest["captures"]], [c.sha256 for c in self.ferry.captures.all()])

    def test_a_viewer_downloads_the_evidence_from_the_provenance_page(self):
        page = self.provenance(self.ferry)
        url = reverse("claims:evidence", args=[self.ferry.pk])
        self.assertIn(f'href="{url}"', page)
        response = self.client.get(url)
        self.assertEqual(response["Content-Type"], "application/zip")
        self.assertIn(f"evidence-source-{self.ferry.pk}.zip", response["Content-Disposition"])
        names = zipfile.ZipFile(io.BytesIO(response.content)).namelist()
        self.assertEqual(names, [f"source-{self.ferry.pk}.warc.gz", "annotations.jsonld", "manifest.json"])

    def test_someone_without_the_export_permission_cannot_download_the_evidence(self):
        nobody = User.objects.create_user("nobody", password="pw", is_staff=True)
        nobody.user_permissions.add(*Permission.objects.filter(codename__in=["view_source", "view_claim"]))
        self.client.force_login(nobody)
        self.assertEqual(self.client.get(reverse("claims:evidence", args=[self.ferry.pk])).status_code, 403)
        page = self.client.get(reverse("sources:provenance", args=[self.ferry.pk])).content.decode()
        self.assertNotIn("Download the evidence", page)
