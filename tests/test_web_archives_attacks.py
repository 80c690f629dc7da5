"""Web archives and capture_url against hostile input: servers that lie, redirect into the disk or send
nonsense, archives that unpack to far more than they weigh. Each is refused with a message; nothing is stored.

The hostile server is written here with raw sockets (http.server would not send such answers); it binds
127.0.0.1 on a free port and no test touches the internet.
"""

import gzip
import hashlib
import io
import json
import shutil
import socket
import tempfile
import threading
import time
import zipfile
from pathlib import Path
from unittest import mock

from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import TestCase, override_settings
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from sources.archives.fetching import FetchRefused, record_page
from sources.models import Capture, Source

ARTICLE = (
    b"<html><head><title>Pier repairs</title></head><body><article><h1>Pier repairs</h1>"
    b"<p>The harbour board agreed on Tuesday to repair the northern pier before the winter storms arrive.</p>"
    b"<p>Work starts next month and the ferry will use the southern berth until the repairs are done.</p>"
    b"</article></body></html>"
)
ANSWERS = {
    "/to-file": b"HTTP/1.1 302 Found\r\nLocation: file://{secret}\r\nContent-Length: 0\r\n\r\n",
    "/to-data": b"HTTP/1.1 302 Found\r\nLocation: data:text/html,<p>planted</p>\r\nContent-Length: 0\r\n\r\n",
    "/many-headers": b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"
    + b"".join(b"X-Header-%d: v\r\n" % i for i in range(150))
    + b"Content-Length: 5\r\n\r\nhello",
    "/long-header": b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nX-Long: "
    + b"a" * 100_000
    + b"\r\nContent-Length: 5\r\n\r\nhello",
    "/cut-short": b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\n\r\n" % (len(ARTICLE) + 500)
    + ARTICLE,
    "/chunked-cut-short": b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\n\r\n"
    + b"%x\r\n" % len(ARTICLE)
    + ARTICLE
    + b"\r\n400\r\nonly a little",
}


class HostileSite:
    """Answers each path with the bytes in ANSWERS, then closes the connection."""

    def __init__(self, secret: Path):
        self.secret = secret
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.listener.getsockname()[1]}{path}"

    def serve(self):
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return  # closed by stop()
            with connection:
                request = connection.recv(65536).decode("latin-1")
                path = request.split(" ")[1] if " " in request else "/"
                if path == "/trickle":
                    self.trickle(connection)
                    continue
                answer = ANSWERS.get(path, b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
                connection.sendall(answer.replace(b"{secret}", str(self.secret).encode()))

    def trickle(self, connection):
        """A page announced as 100,000 bytes and sent one byte every 50 ms: no single wait is long."""
        try:
            connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 100000\r\n\r\n")
            for _ in range(100_000):
                connection.sendall(b"x")
                time.sleep(0.05)
        except OSError:
            return  # the client gave up, as it should

    def stop(self):
        # Closing alone does not wake the accept() waiting in the server's thread (Linux): shutting down does.
        try:
            self.listener.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.listener.close()
        self.thread.join(timeout=5)
        assert not self.thread.is_alive(), "the hostile site's thread did not stop"


# The hostile server listens on the loopback interface, which capture_url refuses unless the host is allowed.
@override_settings(CAPTURE_ALLOWED_HOSTS=["127.0.0.1"])
class HostileServerTests(TestCase):
    def setUp(self):
        self.folder = Path(tempfile.mkdtemp())
        self.addCleanup(shutil.rmtree, self.folder)
        self.secret = self.folder / "secret.txt"
        self.secret.write_text("The private notes on this machine, which no web page may capture.\n" * 3)
        self.site = HostileSite(self.secret)
        self.addCleanup(self.site.stop)

    def failing_capture(self, path: str) -> str:
        out, err = io.StringIO(), io.StringIO()
        with self.assertRaises(CommandError):
            call_command("capture_url", self.site.url(path), "--timeout", "5", stdout=out, stderr=err)
        self.assertFalse(Capture.objects.exists())
        self.assertFalse(Source.objects.exists())
        return out.getvalue() + err.getvalue()

    def test_a_redirect_to_a_local_file_is_refused_before_the_file_is_opened(self):
        output = self.failing_capture("/to-file")
        self.assertIn(f"redirects to file://{self.secret}, which is not an http:// or https:// URL", output)

    def test_a_redirect_to_a_data_url_is_refused(self):
        output = self.failing_capture("/to-data")
        self.assertIn("which is not an http:// or https:// URL", output)

    def test_an_answer_with_too_many_headers_is_refused_with_a_message(self):
        output = self.failing_capture("/many-headers")
        self.assertIn("sent an answer that is not valid HTTP (got more than 100 headers)", output)

    def test_an_answer_with_an_enormous_header_is_refused_with_a_message(self):
        output = self.failing_capture("/long-header")
        self.assertIn("sent an answer that is not valid HTTP", output)

    def test_a_body_shorter_than_its_content_length_is_refused_not_stored_as_the_page(self):
        output = self.failing_capture("/cut-short")
        self.assertIn(f"sent {len(ARTICLE):,} of the {len(ARTICLE) + 500:,} bytes it announced", output)

    def test_a_chunked_body_cut_short_is_refused(self):
        output = self.failing_capture("/chunked-cut-short")
        self.assertIn("sent an answer that is not valid HTTP (the body stopped", output)

    def test_a_server_that_trickles_its_page_is_cut_off_at_the_capture_deadline(self):
        started = time.monotonic()
        with self.assertRaisesMessage(FetchRefused, "when the capture's 1-second deadline ran out"):
            record_page(self.site.url("/trickle"), timeout=5, deadline=1)
        self.assertLess(time.monotonic() - started, 4)  # not the 83 minutes the page would take


def warc_with_a_record_of(size: int, target: Path) -> Path:
    """A .warc.gz holding one resource record of `size` zero bytes: it weighs a thousandth of that."""
    with target.open("wb") as out:
        writer = WARCWriter(out, gzip=True)
        record = writer.create_warc_record(
            "https://example.org/zeros.txt",
            "resource",
            payload=io.BytesIO(b"\0" * size),
            warc_content_type="text/plain",
        )
        writer.write_record(record)
    return target


class CompressionBombTests(TestCase):
    def setUp(self):
        self.folder = Path(tempfile.mkdtemp())
        self.addCleanup(shutil.rmtree, self.folder)
        # A small limit for the test; the real one is 1,000 MB.
        limit = mock.patch("sources.archives.records.MAX_UNPACKED_BYTES", 1024 * 1024)
        limit.start()
        self.addCleanup(limit.stop)

    def failing_import(self, path: Path) -> str:
        out, err = io.StringIO(), io.StringIO()
        with self.assertRaises(CommandError):
            call_command("import_sources", str(path), stdout=out, stderr=err)
        self.assertFalse(Capture.objects.exists())
        return out.getvalue() + err.getvalue()

    def test_a_gzipped_warc_that_unpacks_to_more_than_the_limit_is_refused(self):
        bomb = warc_with_a_record_of(2 * 1024 * 1024, self.folder / "bomb.warc.gz")
        self.assertLess(bomb.stat().st_size, 100 * 1024)
        output = self.failing_import(bomb)
        self.assertIn("bomb.warc.gz: the archive unpacks to more than 1 MB", output)

    def test_a_wacz_whose_warc_unpacks_to_more_than_the_limit_is_refused_before_it_is_read(self):
        warc = b"\0" * (2 * 1024 * 1024)  # not even a WARC: the size alone refuses it
        package = {"resources": [{"path": "archive/data.warc", "hash": "sha256:" + hashlib.sha256(warc).hexdigest()}]}
        wacz = self.folder / "bomb.wacz"
        with zipfile.ZipFile(wacz, "w", zipfile.ZIP_DEFLATED) as out:
            out.writestr("datapackage.json", json.dumps(package))
            out.writestr("archive/data.warc", warc)
        output = self.failing_import(wacz)
        self.assertIn("the archive unpacks to more than 1 MB (2,", output)

    def test_a_wacz_member_named_to_climb_out_of_its_folder_is_only_a_name(self):
        warc = warc_with_a_record_of(10, self.folder / "x.warc.gz").read_bytes()
        package = {"resources": [{"path": "archive/../../x.warc.gz", "hash": "sha256:" + "0" * 64}]}
        wacz = self.folder / "climb.wacz"
        with zipfile.ZipFile(wacz, "w") as out:
            out.writestr("datapackage.json", json.dumps(package))
            out.writestr("archive/../../x.warc.gz", warc)
        self.failing_import(wacz)  # refused by its hash; nothing is ever written outside memory
        self.assertEqual(sorted(p.name for p in self.folder.parent.glob("x.warc.gz")), [])

    def test_a_gzip_encoded_page_is_read_no_further_than_the_page_limit(self):
        # 64 MB of text gzipped to ~64 KB inside the HTTP body: skipped as over the 5 MB limit, never unpacked whole.
        body = gzip.compress(b"a" * (64 * 1024 * 1024))
        path = self.folder / "encoded.warc.gz"
        with path.open("wb") as out:
            writer = WARCWriter(out, gzip=True)
            headers = StatusAndHeaders(
                "200 OK",
                [("Content-Type", "text/plain"), ("Content-Encoding", "gzip"), ("Content-Length", str(len(body)))],
                protocol="HTTP/1.1",
            )
            writer.write_record(
                writer.create_warc_record(
                    "https://example.org/a.txt", "response", payload=io.BytesIO(body), http_headers=headers
                )
            )
        with mock.patch("sources.archives.records.MAX_UNPACKED_BYTES", 1000 * 1024 * 1024):
            output = self.failing_import(path)
        self.assertIn("page over the 5 MB limit for one article", output)


class DamagedPackageDescriptionTests(TestCase):
    """A WACZ whose datapackage.json lies about its types fails alone: the rest of the folder imports."""

    def setUp(self):
        self.folder = Path(tempfile.mkdtemp())
        self.addCleanup(shutil.rmtree, self.folder)
        (self.folder / "good.txt").write_text(
            "Harbour notes\n\nThe harbour board met on Tuesday and agreed to repair the quay.\n", encoding="utf-8"
        )

    def wacz(self, name: str, description: bytes) -> Path:
        path = self.folder / name
        with zipfile.ZipFile(path, "w") as out:
            out.writestr("datapackage.json", description)
            out.writestr("archive/data.warc.gz", warc_with_a_record_of(10, self.folder / "x.warc.gz").read_bytes())
        (self.folder / "x.warc.gz").unlink()
        return path

    def import_folder(self) -> str:
        out, err = io.StringIO(), io.StringIO()
        with self.assertRaises(CommandError) as raised:
            call_command("import_sources", str(self.folder), stdout=out, stderr=err)
        self.assertEqual(raised.exception.returncode, 1)
        return out.getvalue() + err.getvalue() + str(raised.exception)

    def test_a_hash_that_is_a_number_or_null_fails_that_file_and_the_others_import(self):
        number = self.wacz("number.wacz", b'{"resources": [{"path": "archive/data.warc.gz", "hash": 5}]}')
        null = self.wacz("null.wacz", b'{"resources": [{"path": "archive/data.warc.gz", "hash": null}]}')
        output = self.import_folder()
        self.assertIn(f"failed {number}: the WACZ's datapackage.json lists a hash for archive/data.warc.gz", output)
        self.assertIn("that is not text (5)", output)
        self.assertIn(f"failed {null}: the WACZ's datapackage.json lists a hash", output)
        self.assertIn("2 of 3 files failed; the others were imported.", output)
        self.assertTrue(Source.objects.filter(captures__file_name="good.txt").exists())

    def test_a_description_nested_a_hundred_thousand_deep_fails_that_file_and_the_others_import(self):
        deep = self.wacz("deep.wacz", b"[" * 100_000 + b"]" * 100_000)
        output = self.import_folder()
        self.assertIn(f"failed {deep}: the WACZ's datapackage.json nests too deep to be a package description", output)
        self.assertTrue(Source.objects.filter(captures__file_name="good.txt").exists())

    def test_resources_that_are_not_objects_with_a_path_fail_that_file(self):
        odd = self.wacz("odd.wacz", b'{"resources": [7]}')
        output = self.import_folder()
        self.assertIn(f"failed {odd}: resource 1 of the WACZ's datapackage.json has no path", output)
