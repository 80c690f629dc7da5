"""The leak crawler of tests/test_project_leaks.py: one person's client walks every page it can reach and every
object URL it is given, and keeps what each answer said.

It starts at the admin index and the API root and follows every same-site link: `href`s and GET forms in HTML,
every string naming a URL of the site in JSON (the API's links and cursor pages). It reads every body whole: a
streamed answer to its end, a zip (an XLSX export, the evidence bundle) member by member, a gzipped member (the
WARC) unzipped. Nothing it does writes: it never follows logout or delete links, and it only POSTs the export
forms, which read.
"""

import gzip
import io
import json
import re
import zipfile
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from django.urls import Resolver404, resolve

SITE = "testserver"
# Links that would end the session or lead to a deletion, and pages that hold nothing of a project.
NOT_FOLLOWED = re.compile(r"/logout/|/delete/|/password_change/|^/static/|^/media/|/jsi18n/|^/api/schema/|^/api/docs/")
# Query parameters that only sort a list, carry a list's filters back to it or say where to return: the same rows
# either way.
IGNORED_PARAMETERS = {"o", "_changelist_filters", "next"}
# Parameters that page through a list: a link may add them to a filter.
PAGING_PARAMETERS = {"p", "page", "cursor", "page_size"}


@dataclass
class Answer:
    method: str
    url: str
    status: int
    body: str
    location: str = ""


@dataclass
class Crawl:
    """What one person's crawl asked and was answered."""

    client: object
    limit: int = 600
    walked: int = 0
    answers: list[Answer] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)
    queue: list[str] = field(default_factory=list)

    # Walking ------------------------------------------------------------------------------------------------

    def walk(self, *starts: str) -> None:
        """Visit the start URLs and every same-site URL found in their answers, at most `limit` pages in all;
        what is left when the limit stops it stays in `queue`."""
        self.queue.extend(starts)
        while self.queue and self.walked < self.limit:
            url = self.queue.pop(0)
            if url in self.seen:
                continue
            self.walked += 1
            self.get(url)

    def get(self, url: str, **headers) -> Answer:
        """GET one URL (followed or not), remember it and queue the links its answer holds."""
        url = canonical(url)
        self.seen.add(url)
        response = self.client.get(url, **headers)
        answer = self.keep("GET", url, response)
        for link in links_in(answer, response):
            if link not in self.seen and link not in self.queue:
                self.queue.append(link)
        return answer

    def post(self, url: str, data: dict) -> Answer:
        return self.keep("POST", url, self.client.post(url, data))

    def keep(self, method: str, url: str, response) -> Answer:
        answer = Answer(method, url, response.status_code, body_of(response), response.get("Location", ""))
        self.answers.append(answer)
        return answer

    # What was found ---------------------------------------------------------------------------------------

    def holding(self, marker: str) -> list[str]:
        """The requests whose answer holds the marker word."""
        return [f"{a.method} {a.url} ({a.status})" for a in self.answers if marker.casefold() in a.body.casefold()]

    def server_errors(self) -> list[str]:
        return [f"{a.method} {a.url} ({a.status})" for a in self.answers if a.status >= 500]


def canonical(url: str) -> str:
    """The site path and query of a URL, without what only sorts or returns to a list."""
    parts = urlsplit(url)
    # An empty value filters nothing; the facet counts are asked for once per list (`?_facets=True`), not again
    # with every filter.
    query = [(k, v) for k, v in parse_qsl(parts.query) if k not in IGNORED_PARAMETERS]
    if len(query) > 1:
        query = [(k, v) for k, v in query if k != "_facets"]
    if parts.path.endswith("/export/"):
        query = []  # the export page is a form; the list's filters it carries are read only when it is posted
    return urlunsplit(("", "", parts.path, urlencode(query), ""))


def same_site(base: str, href: str) -> str | None:
    """The canonical URL `href` names from the page at `base` when it is a page of this site worth following."""
    href = href.strip()
    if not href or href.startswith(("#", "javascript:", "mailto:", "data:")):
        return None
    absolute = urljoin(f"http://{SITE}{base}", href)
    parts = urlsplit(absolute)
    if parts.scheme not in ("http", "https") or parts.netloc != SITE:
        return None
    if NOT_FOLLOWED.search(parts.path):
        return None
    # Each filter is followed from the whole list, not combined with every other (their combinations only narrow
    # what each one shows, and would be thousands of pages).
    if len({k for k, _ in parse_qsl(parts.query) if k not in PAGING_PARAMETERS | IGNORED_PARAMETERS}) > 1:
        return None
    try:
        resolve(parts.path)
    except Resolver404:
        return None
    return canonical(absolute)


# Bodies -------------------------------------------------------------------------------------------------------


def body_of(response) -> str:
    """The whole answer as text: streamed to its end, zips and gzipped members opened."""
    if getattr(response, "streaming", False):
        content = b"".join(response.streaming_content)
    else:
        content = response.content
    return opened(content).decode("utf-8", errors="replace")


def opened(content: bytes) -> bytes:
    if content.startswith(b"PK\x03\x04"):
        with zipfile.ZipFile(io.BytesIO(content)) as bundle:
            return b"\n".join(opened(bundle.read(name)) for name in bundle.namelist())
    if content.startswith(b"\x1f\x8b"):
        return opened(gzip.decompress(content))
    return content


# Links --------------------------------------------------------------------------------------------------------


class LinkParser(HTMLParser):
    """Every `href`, and every GET form as the URL its submit button would ask with the values it holds."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.hrefs: list[str] = []
        self.forms: list[tuple[str, list[tuple[str, str]]]] = []
        self.autocompletes: set[tuple[str, str, str]] = set()
        self._form = None

    def handle_starttag(self, tag, attrs):
        attrs = {name: value or "" for name, value in attrs}
        if tag == "a" and attrs.get("href"):
            self.hrefs.append(attrs["href"])
        elif tag == "form":
            get = attrs.get("method", "get").lower() == "get"
            self._form = (attrs.get("action", ""), []) if get else None
            if self._form is not None:
                self.forms.append(self._form)
        elif tag in ("input", "select") and self._form is not None and attrs.get("name"):
            kind = attrs.get("type", "text").lower()
            if kind not in ("submit", "button", "checkbox", "radio", "file", "image", "reset"):
                self._form[1].append((attrs["name"], attrs.get("value", "")))
        if tag == "select" and "data-app-label" in attrs:  # Django's autocomplete widget
            self.autocompletes.add((attrs["data-app-label"], attrs["data-model-name"], attrs["data-field-name"]))

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None


def links_in(answer: Answer, response) -> list[str]:
    content_type = response.get("Content-Type", "")
    found: list[str] = []
    if answer.location:
        found.append(answer.location)
    if "html" in content_type:
        parser = LinkParser()
        parser.feed(answer.body)
        found += parser.hrefs
        for action, values in parser.forms:
            target = urljoin(f"http://{SITE}{answer.url}", action or answer.url)
            found.append(f"{target.split('?')[0]}?{urlencode([(k, v) for k, v in values if v])}")
    elif "json" in content_type:
        try:
            found += list(strings_in(json.loads(answer.body)))
        except ValueError:
            pass
    return [link for link in (same_site(answer.url, href) for href in found) if link]


def autocompletes_in(body: str) -> set[tuple[str, str, str]]:
    parser = LinkParser()
    parser.feed(body)
    return parser.autocompletes


def strings_in(value):
    if isinstance(value, str):
        if value.startswith(("/", f"http://{SITE}/")):
            yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings_in(item)


class PostForm(HTMLParser):
    """A POST form's fields (the export page's): checkboxes on, each select's options."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.fields: list[tuple[str, str]] = []
        self.selects: dict[str, list[str]] = {}
        self._select = None

    def handle_starttag(self, tag, attrs):
        attrs = {name: value or "" for name, value in attrs}
        if tag == "input" and attrs.get("name"):
            kind = attrs.get("type", "text").lower()
            if kind == "checkbox":
                self.fields.append((attrs["name"], attrs.get("value") or "on"))
            elif kind not in ("submit", "button", "file"):
                self.fields.append((attrs["name"], attrs.get("value", "")))
        elif tag == "select":
            self._select = attrs.get("name")
            self.selects.setdefault(self._select, [])
        elif tag == "option" and self._select and attrs.get("value", "") != "":
            self.selects[self._select].append(attrs["value"])

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
