"""Admin imports confirmed several times at once, against a live server: parallel requests released together,
then the database is checked (one import applied, no duplicates, no server error) and the trials counted.

The server is Django's threaded live server: each request is served on a thread of its own with its own
PostgreSQL connection, so the confirms really run at the same time. PostgreSQL only: SQLite lets one writer
in at a time, so the requests could not race.
"""

import io
import secrets
import threading
import unittest
from html.parser import HTMLParser

import requests
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import connection
from django.test import Client, LiveServerTestCase
from django.urls import reverse

from claims.models import Claim, Link
from claims.services import create_claim
from sources.models import Agent, Source
from sources.services import create_source
from tests.races import report

TRIALS = 4
AT_ONCE = 4


class HiddenInputs(HTMLParser):
    """The hidden inputs of a page (the confirm form's), but the CSRF token."""

    def __init__(self):
        super().__init__()
        self.values: dict[str, str] = {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "input" and attrs.get("type") == "hidden" and attrs.get("name") != "csrfmiddlewaretoken":
            self.values[attrs["name"]] = attrs.get("value") or ""


def hidden_inputs(html: str) -> dict[str, str]:
    parser = HiddenInputs()
    parser.feed(html)
    return parser.values


@unittest.skipUnless(
    connection.vendor == "postgresql",
    "SQLite lets one writer in at a time, so concurrent requests cannot race; this needs PostgreSQL (DATABASE_URL).",
)
class ConfirmedAtOnceTests(LiveServerTestCase):
    def setUp(self):
        self.root = User.objects.create_superuser("root", password="pw")
        client = Client()
        client.force_login(self.root)
        self.session = client.cookies["sessionid"].value
        self.csrf = secrets.token_hex(16)  # an unmasked token: Django compares it with the cookie's secret

    def browser(self) -> requests.Session:
        browser = requests.Session()
        browser.trust_env = False  # straight to the live server, never through a proxy
        browser.cookies.update({"sessionid": self.session, "csrftoken": self.csrf})
        return browser

    def post(self, browser: requests.Session, url: str, data: dict, files: dict | None = None) -> requests.Response:
        data = {**data, "csrfmiddlewaretoken": self.csrf}
        return browser.post(self.live_server_url + url, data=data, files=files, allow_redirects=False, timeout=120)

    def preview(self, model: str, name: str, text: str) -> dict[str, str]:
        """Upload a CSV file to the model's import page; the confirm form's fields."""
        files = {"import_file": (name, io.BytesIO(text.encode()), "text/csv")}
        response = self.post(self.browser(), reverse(f"admin:{model}_import"), {"format": "0", "resource": "0"}, files)
        self.assertEqual(response.status_code, 200, response.text[:2000])
        confirm = hidden_inputs(response.text)
        self.assertTrue(confirm, "the preview offers no confirm form: " + response.text[:2000])
        return confirm

    def at_once(self, url: str, forms: list[dict]) -> list[requests.Response]:
        """POST each form from its own thread, all released together; the answers."""
        barrier = threading.Barrier(len(forms))
        answers: list[requests.Response] = []

        def confirm(form):
            browser = self.browser()
            barrier.wait()
            answers.append(self.post(browser, url, form))

        threads = [threading.Thread(target=confirm, args=(form,)) for form in forms]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return answers

    def report(self, what: str, failures: list[str]) -> None:
        report(f"{what}: {TRIALS} trials of {AT_ONCE} confirms at once, {len(failures)} failed")
        self.assertEqual(failures, [])

    def test_the_same_agents_confirm_posted_at_once_imports_once_without_a_server_error(self):
        url = reverse("admin:sources_agent_process_import")
        failures = []
        for trial in range(TRIALS):
            name = f"Wire Agency {trial}"
            confirm = self.preview("sources_agent", f"agents-{trial}.csv", f"name,kind\n{name},organisation\n")
            answers = self.at_once(url, [confirm] * AT_ONCE)
            statuses = sorted(answer.status_code for answer in answers)
            imported = [a for a in answers if a.headers.get("Location", "").endswith("/sources/agent/")]
            refused = [a for a in answers if a.headers.get("Location", "").endswith("/sources/agent/import/")]
            count = Agent.objects.filter(name=name).count()
            if count != 1 or statuses != [302] * AT_ONCE or (len(imported), len(refused)) != (1, AT_ONCE - 1):
                failures.append(f"trial {trial}: {count} agents, answers {statuses}")
        self.report("agents import", failures)

    def test_a_resubmitted_or_unknown_agents_confirm_goes_back_with_a_message(self):
        url = reverse("admin:sources_agent_process_import")
        confirm = self.preview("sources_agent", "agents.csv", "name,kind\nWire Agency,organisation\n")
        browser = self.browser()
        self.assertEqual(self.post(browser, url, confirm).status_code, 302)
        for form in (confirm, {**confirm, "import_file_name": "claimtrail-import-nosuchfile00000"}):
            for forged in (form, {**form, "import_file_name": "../../etc/passwd"}, {**form, "format": "9"}):
                answer = self.post(browser, url, forged)
                self.assertEqual(answer.status_code, 302, answer.text[:2000])
                self.assertTrue(answer.headers["Location"].endswith("/sources/agent/import/"))
        page = browser.get(self.live_server_url + reverse("admin:sources_agent_import"), timeout=60).text
        self.assertIn("This import has already been confirmed (or is being imported now), or its file is gone", page)
        self.assertEqual(Agent.objects.filter(name="Wire Agency").count(), 1)

    def test_the_same_sources_confirm_posted_at_once_changes_the_source_once(self):
        story = create_source(title="Wire story", text="The wire story.", url="https://wire.example.org/story")
        url = reverse("admin:sources_source_process_import")
        confirm = self.preview("sources_source", "sources.csv", f"id,title\n{story.pk},Wire story (corrected)\n")
        answers = self.at_once(url, [confirm] * AT_ONCE)
        self.assertEqual(sorted(answer.status_code for answer in answers), [302] * AT_ONCE)
        done = [a for a in answers if a.headers["Location"].endswith("/sources/source/")]
        self.assertEqual(len(done), 1)
        self.assertEqual(Source.objects.get(pk=story.pk).title, "Wire story (corrected)")
        self.assertEqual(story.history.count(), 2)  # created, then changed once

    def linked_pairs(self, trial: int) -> list[tuple[Claim, Claim]]:
        one = create_source(
            title=f"One {trial}", text="The minister called the summit a step.", url=f"https://a.org/{trial}"
        )
        two = create_source(
            title=f"Two {trial}", text="Analysts saw no breakthrough at all.", url=f"https://b.org/{trial}"
        )
        return [(create_claim(source=one, quote="a step"), create_claim(source=two, quote="no breakthrough"))]

    def links_file(self, pairs: list[tuple[Claim, Claim]]) -> str:
        return "claim_a,claim_b,relation\n" + "".join(f"{a.pk},{b.pk},contradicts\n" for a, b in pairs)

    def links_problems(self, pairs, answers) -> list[str]:
        """What is wrong after one trial: a server error, a pair not linked exactly once, not one import done."""
        statuses = sorted(answer.status_code for answer in answers)
        links = [Link.objects.filter(claim_a=a, claim_b=b).count() for a, b in pairs]
        done = [a for a in answers if a.headers.get("Location", "").endswith("/claims/link/")]
        if any(status >= 500 for status in statuses) or links != [1] * len(pairs) or len(done) != 1:
            return [f"links {links}, answers {statuses}"]
        return []

    def test_the_same_links_confirm_posted_at_once_imports_once_without_a_server_error(self):
        url = reverse("admin:claims_link_process_import")
        failures = []
        for trial in range(TRIALS):
            pairs = self.linked_pairs(trial)
            confirm = self.preview("claims_link", f"links-{trial}.csv", self.links_file(pairs))
            answers = self.at_once(url, [confirm] * AT_ONCE)
            problems = self.links_problems(pairs, answers)
            refused = [a for a in answers if a.headers.get("Location", "").endswith("/claims/link/import/")]
            if len(refused) != AT_ONCE - 1:
                problems.append(f"{len(refused)} confirms sent back to the import page")
            if problems:
                failures.append(f"trial {trial}: {'; '.join(problems)}")
        self.report("links import, one preview", failures)
        call_command("recount_corroboration", "--check", stdout=io.StringIO())

    def test_separate_previews_of_one_links_file_confirmed_at_once_import_it_once_without_a_server_error(self):
        url = reverse("admin:claims_link_process_import")
        failures = []
        for trial in range(TRIALS):
            pairs = self.linked_pairs(trial)
            text = self.links_file(pairs)
            confirms = [self.preview("claims_link", f"links-{trial}.csv", text) for _ in range(AT_ONCE)]
            answers = self.at_once(url, confirms)
            problems = self.links_problems(pairs, answers)
            refused = [a for a in answers if a.status_code == 200]
            if any("at the same moment" not in a.text and "already linked" not in a.text for a in refused):
                problems.append("a refused confirm without its reason")
            if problems:
                failures.append(f"trial {trial}: {'; '.join(problems)}")
        self.report("links import, separate previews", failures)
        call_command("recount_corroboration", "--check", stdout=io.StringIO())
