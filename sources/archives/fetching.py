"""Fetching a page ourselves and recording the HTTP exchange as a WARC (warcio), ready to import."""

import contextlib
import datetime
import http.client
import io
import ipaddress
import socket
import ssl
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from importlib.metadata import version

from django.conf import settings

from sources.archives.records import PAGE_TYPES, SNIFFED_TYPES, media_type
from sources.importing import MAX_BYTES, ImportRefused

MAX_REDIRECTS = 5
DEADLINE = 60.0  # seconds for a whole capture, redirects included: a server that trickles is cut off
PIECE = 64 * 1024


class FetchRefused(ImportRefused):
    """A page that could not be captured, with the reason in words; nothing is stored."""


@dataclass
class Recording:
    url: str  # the page finally captured, after any redirects
    warc: bytes  # every exchange, redirects included, one gzip member per record
    redirects: list[str] = field(default_factory=list)  # "301 http://a → http://b", in order

    def file_name(self) -> str:
        host = urllib.parse.urlsplit(self.url).hostname or "page"
        return f"capture-{host}-{datetime.datetime.now(datetime.UTC):%Y%m%dT%H%M%S%fZ}.warc.gz"


class StopAtRedirects(urllib.request.HTTPRedirectHandler):
    """Hand each redirect back to us (as an HTTPError) so that every hop is checked and reported."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


def internal_kind(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """What kind of non-public address this is ("loopback", "private", …), or None for a public one.

    An IPv6 address that carries an IPv4 one (::ffff:127.0.0.1) is judged by the IPv4 address.
    """
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    kinds = [
        ("unspecified", address.is_unspecified),
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("reserved", address.is_reserved),
        ("private", address.is_private),
        ("non-public", not address.is_global),  # shared address space (100.64.0.0/10), documentation ranges, …
    ]
    return next((kind for kind, applies in kinds if applies), None)


def checked_address(url: str) -> tuple[socket.AddressFamily, str]:
    """The address to connect to for `url`: its host resolved once, refused when any address it resolves to is
    loopback, private, link-local, multicast, reserved or unspecified, unless settings.CAPTURE_ALLOWED_HOSTS
    names the host. The connection then goes to this very address, so a second lookup cannot swap it."""
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise FetchRefused(f"{url} has a port that is not a number from 0 to 65535") from None
    if not host:
        raise FetchRefused(f"{url} names no host")
    try:
        answers = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as e:
        raise FetchRefused(f"{url} could not be fetched: the host {host} could not be resolved ({e})") from e
    if host not in settings.CAPTURE_ALLOWED_HOSTS:
        for _, _, _, _, sockaddr in answers:
            address = ipaddress.ip_address(sockaddr[0].split("%")[0])  # an IPv6 scope (%eth0) is no part of it
            kind = internal_kind(address)
            if kind:
                raise FetchRefused(
                    f"{url} was not fetched: {host} is {address}, a {kind} address, and capture_url fetches only "
                    "public addresses (CAPTURE_ALLOWED_HOSTS lets a host through)"
                )
    family, _, _, _, sockaddr = answers[0]
    return family, sockaddr[0]


def pinned(base: type[http.client.HTTPConnection], address: str) -> type[http.client.HTTPConnection]:
    """`base` (at call time, warcio's recording connection for http) connecting to `address`, not to a fresh
    lookup of its host; the host still names the site (Host header, TLS server name and certificate)."""

    class PinnedConnection(base):
        def connect(self):
            connection = socket.create_connection((address, self.port), self.timeout, self.source_address)
            if isinstance(self, http.client.HTTPSConnection):
                connection = ssl.create_default_context().wrap_socket(connection, server_hostname=self.host)
            self.sock = connection

    return PinnedConnection


class PinnedHTTPHandler(urllib.request.HTTPHandler):
    def __init__(self, address: str):
        super().__init__()
        self.address = address

    def http_open(self, req):
        return self.do_open(pinned(http.client.HTTPConnection, self.address), req)


class PinnedHTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, address: str):
        super().__init__()
        self.address = address

    def https_open(self, req):
        return self.do_open(pinned(http.client.HTTPSConnection, self.address), req)


def record_page(
    url: str, *, timeout: float = 10.0, max_bytes: int = MAX_BYTES, deadline: float = DEADLINE
) -> Recording:
    """Fetch the page at `url` (following up to MAX_REDIRECTS redirects) while warcio records every exchange.

    Refused, with the reason: a URL that is not http(s), a host (the first or one redirected to) that
    resolves to a loopback, private, link-local or reserved address and is not in CAPTURE_ALLOWED_HOSTS,
    a timeout or connection failure, an error status, too many redirects, an answer that is not HTML or
    text, a body over `max_bytes`, or a capture still unfinished after `deadline` seconds (`timeout`
    bounds each wait, not the whole).
    """
    # Imported here: importing capture_http swaps http.client's connection class for warcio's recording one.
    from warcio.capture_http import capture_http
    from warcio.warcwriter import WARCWriter

    if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
        raise FetchRefused(f"{url} is not an http:// or https:// URL")
    agent = f"Claimtrail capture_url (warcio {version('warcio')})"
    buffer, redirects, current = io.BytesIO(), [], url
    give_up_at = time.monotonic() + deadline
    with capture_http(WARCWriter(buffer, gzip=True)):
        while True:
            _, address = checked_address(current)
            # Straight to the server (a proxy would stand between the page and the record of it), at the
            # address just checked.
            opener = urllib.request.build_opener(
                urllib.request.ProxyHandler({}),
                StopAtRedirects,
                PinnedHTTPHandler(address),
                PinnedHTTPSHandler(address),
            )
            request = urllib.request.Request(current, headers={"User-Agent": agent})
            try:
                response = opener.open(request, timeout=timeout)
            except urllib.error.HTTPError as answer:
                with answer:
                    answer.read(max_bytes)
                location = answer.headers.get("Location")
                if not (300 <= answer.code < 400 and location):
                    raise FetchRefused(f"{current} answered HTTP {answer.code} {answer.reason}") from None
                if len(redirects) == MAX_REDIRECTS:
                    raise FetchRefused(
                        f"{url} redirects more than {MAX_REDIRECTS} times; the last went to {location}"
                    ) from None
                target = urllib.parse.urljoin(current, location)
                if urllib.parse.urlsplit(target).scheme not in ("http", "https"):
                    # urllib would open file:, data: and ftp: too: a page must not redirect us into our own disk.
                    raise FetchRefused(
                        f"{current} redirects to {target}, which is not an http:// or https:// URL"
                    ) from None
                redirects.append(f"{answer.code} {current} → {target}")
                current = target
                continue
            except (urllib.error.URLError, TimeoutError, ConnectionError) as e:
                reason = getattr(e, "reason", e)
                if isinstance(reason, TimeoutError):
                    raise FetchRefused(f"{current} did not answer within {timeout:g} seconds") from e
                raise FetchRefused(f"{current} could not be fetched: {reason}") from e
            except http.client.HTTPException as e:
                raise FetchRefused(f"{current} sent an answer that is not valid HTTP ({describe(e)})") from e
            with response:
                read_page(
                    response, current, timeout=timeout, max_bytes=max_bytes, deadline=deadline, give_up_at=give_up_at
                )
            break
    return Recording(url=current, warc=buffer.getvalue(), redirects=redirects)


def read_page(response, url: str, *, timeout: float, max_bytes: int, deadline: float, give_up_at: float) -> None:
    """Read the whole body (so that it is recorded), refusing what is not a page, too big or too slow.

    `timeout` bounds each wait; a server that sends a byte just inside it, again and again, is cut off
    when the capture's `deadline` seconds end (`give_up_at`, on the monotonic clock): a timer shuts the
    connection down, which ends the read that is waiting.
    """
    kind = media_type(response.headers.get("Content-Type", ""))
    if kind not in PAGE_TYPES and kind not in SNIFFED_TYPES:  # a sniffed body is kept only when it is a PDF
        raise FetchRefused(f"{url} answered with {kind or 'no content type'}, not an HTML, text or PDF page")
    stated = response.headers.get("Content-Length")
    if stated and stated.isdigit() and int(stated) > max_bytes:
        raise FetchRefused(f"{url} is {int(stated):,} bytes, over the {max_bytes:,}-byte limit for one page")
    size = 0
    cut_off = threading.Timer(max(0.0, give_up_at - time.monotonic()), shut_down, args=(response,))
    cut_off.start()
    try:
        while piece := response.read(PIECE):
            size += len(piece)
            if size > max_bytes:
                raise FetchRefused(f"{url} sent more than the {max_bytes:,}-byte limit for one page")
    except TimeoutError as e:
        raise FetchRefused(f"{url} stopped sending for more than {timeout:g} seconds") from e
    except http.client.HTTPException as e:  # a chunked body cut short
        if time.monotonic() < give_up_at:
            raise FetchRefused(f"{url} sent an answer that is not valid HTTP ({describe(e)})") from e
    except OSError:
        if time.monotonic() < give_up_at:
            raise
    finally:
        cut_off.cancel()
    if time.monotonic() >= give_up_at:
        raise FetchRefused(
            f"{url} was still sending after {size:,} bytes when the capture's {deadline:g}-second deadline "
            "ran out; nothing was kept of it"
        )
    # http.client returns a body cut short by a closed connection without a word: the length says so.
    if (
        stated
        and stated.isdigit()
        and size < int(stated)
        and "chunked" not in response.headers.get("Transfer-Encoding", "")
    ):
        raise FetchRefused(f"{url} sent {size:,} of the {int(stated):,} bytes it announced, then stopped")


def shut_down(response) -> None:
    """End the connection under `response` from another thread, so that a read blocked on it returns."""
    stream = getattr(response.fp, "fp", response.fp)  # warcio's recorder wraps the socket's file
    if stream is None:
        return
    with contextlib.suppress(OSError, ValueError):
        # A second socket object on a copy of the descriptor: shutdown acts on the connection itself.
        with socket.fromfd(stream.fileno(), socket.AF_INET, socket.SOCK_STREAM) as connection:
            connection.shutdown(socket.SHUT_RDWR)


def describe(error: http.client.HTTPException) -> str:
    if isinstance(error, http.client.IncompleteRead):
        return f"the body stopped after {len(error.partial):,} bytes"
    return str(error)[:200] or type(error).__name__
