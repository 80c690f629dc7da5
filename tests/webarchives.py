"""A small website of our own on the loopback interface, and web archives recorded from it.

The pages are written here for the tests (no seed article's text). Every server binds 127.0.0.1
on a free port and is shut down by the test that started it: no test touches the internet.
"""

import gzip
import hashlib
import io
import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from warcio.capture_http import capture_http
from warcio.warcwriter import WARCWriter

FERRY = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Ferry fares to rise by a fifth</title></head>
<body><nav><a href="/">Home</a> <a href="/coast">Coast</a></nav>
<article><h1>Ferry fares to rise by a fifth</h1>
<p>The island ferry company will raise its fares by twenty per cent from the first of April, blaming the
price of fuel and the cost of a new landing ramp at the Westmere pier, which it says cost twice the plan.</p>
<p>Passengers who travel every day to the mainland for work will be hit hardest, a spokesperson for the
island commuters' association said, calling the rise a tax on living where their families have lived.</p>
{extra}
</article></body></html>
"""
CORRECTION = "<p>Correction: the rise takes effect from the first of May, not April, the company said.</p>"
LIGHTHOUSE = """<!DOCTYPE html>
<html lang="ru"><head><title>Маяк переходит на автоматику</title></head>
<body><article><h1>Маяк переходит на автоматику</h1>
<p>Последний смотритель маяка на мысе Северном уйдёт на пенсию весной, и огонь будут зажигать
автоматически, сообщила портовая служба в четверг.</p>
<p>Смотритель прожил на мысе двадцать два года и говорит, что будет скучать по штормам и по чайкам.</p>
</article></body></html>
"""
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000") + b"\x00" * 20


class Site(BaseHTTPRequestHandler):
    """Our pages; `/quay/ferry-fares` gains a correction once the server's `corrected` flag is set."""

    protocol_version = "HTTP/1.1"

    def do_GET(self):  # noqa: N802 (the name http.server calls)
        ferry = FERRY.format(extra=CORRECTION if self.server.corrected else "").encode()
        routes = {
            "/quay/ferry-fares": lambda: self.send(200, "text/html; charset=utf-8", ferry),
            "/wire/ferry-fares": lambda: self.send(200, "text/html; charset=utf-8", ferry),  # the same story
            "/quay/chunked": lambda: self.send_chunked(ferry.replace(b"a fifth", b"a fifth, in pieces")),
            "/quay/gzipped": lambda: self.send_gzipped(ferry.replace(b"a fifth", b"a fifth, compressed")),
            "/quay/lighthouse": lambda: self.send(200, "text/html; charset=windows-1251", LIGHTHOUSE.encode("cp1251")),
            "/quay/notes.txt": lambda: self.send(200, "text/plain; charset=utf-8", b"Notes on the ferry fares.\n"),
            "/quay/logo.png": lambda: self.send(200, "image/png", PNG),
            "/quay/app.js": lambda: self.send(200, "application/javascript", b"console.log('quay');\n"),
            "/quay/old": lambda: self.redirect(301, "/quay/older"),
            "/quay/older": lambda: self.redirect(302, "/quay/ferry-fares"),
            "/quay/loop": lambda: self.redirect(302, "/quay/loop"),
            "/quay/big": lambda: self.send(200, "text/html", b"<p>" + b"x" * (5 * 1024 * 1024) + b"</p>"),
            "/quay/slow": self.send_slowly,
        }
        if self.path.startswith("/quay/elsewhere?to="):  # a redirect to any URL, for capture_url's address checks
            self.redirect(302, urllib.parse.unquote(self.path.split("=", 1)[1]))
            return
        routes.get(self.path, lambda: self.send(404, "text/html", b"<h1>Not found</h1>"))()

    def send(self, status: int, content_type: str, body: bytes, headers: dict | None = None):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def redirect(self, status: int, location: str):
        self.send(status, "text/html", b"<a href='%s'>moved</a>" % location.encode(), {"Location": location})

    def send_chunked(self, body: bytes):
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for start in range(0, len(body), 300):
            piece = body[start : start + 300]
            self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
        self.wfile.write(b"0\r\n\r\n")

    def send_gzipped(self, body: bytes):
        self.send(200, "text/html; charset=utf-8", gzip.compress(body, mtime=0), {"Content-Encoding": "gzip"})

    def send_slowly(self):
        time.sleep(self.server.slow_seconds)
        self.send(200, "text/html", b"<p>late</p>")

    def log_message(self, format, *args):  # keep the test output quiet
        pass


class LocalSite:
    """Serves `Site` on 127.0.0.1 from a thread while the test runs."""

    def __init__(self):
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Site)
        self.server.daemon_threads = True
        self.server.corrected = False
        self.server.slow_seconds = 2.0
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_port}{path}"

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


def direct_opener() -> urllib.request.OpenerDirector:
    return urllib.request.build_opener(urllib.request.ProxyHandler({}))


def record_with_warcio(site: LocalSite, paths: list[str], target: Path, *, gzip: bool = True) -> Path:
    """Fetch each path from the site while warcio records every HTTP exchange into `target`."""
    opener = direct_opener()
    with target.open("wb") as out:
        with capture_http(WARCWriter(out, gzip=gzip)):
            for path in paths:
                try:
                    with opener.open(site.url(path), timeout=10) as response:
                        response.read()
                except urllib.error.HTTPError as answer:
                    answer.read()
                    answer.close()
    return target


def build_wacz(warc: Path, target: Path, pages: list[dict]) -> Path:
    """A WACZ: the WARC under archive/, a page list, and a datapackage.json with each file's SHA-256."""
    files = {
        f"archive/{warc.name}": warc.read_bytes(),
        "pages/pages.jsonl": "\n".join(json.dumps(p) for p in [{"format": "json-pages-1.0"}, *pages]).encode(),
    }
    package = {
        "profile": "data-package",
        "wacz_version": "1.1.1",
        "resources": [
            {
                "name": Path(name).name,
                "path": name,
                "hash": f"sha256:{hashlib.sha256(data).hexdigest()}",
                "bytes": len(data),
            }
            for name, data in files.items()
        ],
    }
    with zipfile.ZipFile(target, "w") as wacz:
        for name, data in files.items():
            wacz.writestr(name, data, compress_type=zipfile.ZIP_STORED)
        wacz.writestr("datapackage.json", json.dumps(package, indent=2))
    return target


def records_in(path: Path) -> list:
    """The archive's records as (type, target URI) pairs, for checking what a recording holds."""
    from warcio.archiveiterator import ArchiveIterator

    with path.open("rb") as stream:
        return [(r.rec_type, r.rec_headers.get_header("WARC-Target-URI")) for r in ArchiveIterator(stream)]


def gunzipped(data: bytes) -> bytes:
    return gzip.GzipFile(fileobj=io.BytesIO(data)).read()
