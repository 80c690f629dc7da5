"""The race tests' shared parts (tests/test_races_*.py): requests sent at once to a live server, and what the races
saw, printed at the end of the run (tests/conftest.py)."""

import secrets
import threading
import time
import traceback
from collections.abc import Callable

import requests
from django.contrib.auth.models import Permission, User
from django.db import connections, transaction
from django.test import Client
from rest_framework.authtoken.models import Token

REPORTS: list[str] = []
TRIALS = 20


def report(line: str) -> None:
    """Print a race's trials and failures now (with -s) and in the run's closing summary."""
    print(f"\n{line}")
    REPORTS.append(line)


class ApiRequestsAtOnce:
    """For a LiveServerTestCase: a reviewer with the claims' and sources' permissions, and API requests sent at once
    in their name."""

    def setUp(self):
        # A LiveServerTestCase empties the tables, the roles' groups with them: the permissions are given here.
        self.reviewer = User.objects.create_user("rita", password="pw", is_staff=True)
        self.reviewer.user_permissions.set(Permission.objects.filter(content_type__app_label__in=["claims", "sources"]))
        self.token = Token.objects.create(user=self.reviewer).key

    def at_once(
        self, *requests_to_send: tuple[str, str, dict | None] | Callable[[], object], stagger: float = 0.0
    ) -> list[int]:
        """Send these (method, path, JSON body) requests together, one thread and session each; their statuses.
        A callable among them is run in its thread (with a connection of its own) for what has no request, such as
        a new capture: 200 when it returns, 500 when it raises. With `stagger`, each request after the first waits
        that many seconds more than the one before it."""
        barrier = threading.Barrier(len(requests_to_send))
        statuses: list[int] = [0] * len(requests_to_send)

        def send(index: int, method: str, path: str, body: dict | None) -> None:
            with requests.Session() as session:
                session.headers["Authorization"] = f"Token {self.token}"
                barrier.wait()
                time.sleep(index * stagger)
                answer = session.request(method, self.live_server_url + path, json=body, timeout=60)
                statuses[index] = answer.status_code

        def run(index: int, work: Callable[[], object]) -> None:
            barrier.wait()
            time.sleep(index * stagger)
            try:
                work()
                statuses[index] = 200
            except Exception:  # noqa: BLE001 - counted as a server error, and shown
                traceback.print_exc()
                statuses[index] = 500
            finally:
                connections.close_all()

        threads = [
            threading.Thread(target=run, args=(i, request))
            if callable(request)
            else threading.Thread(target=send, args=(i, *request))
            for i, request in enumerate(requests_to_send)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return statuses

    def admin_form(self, path: str, data: dict) -> Callable[[], None]:
        """For at_once: a form posted to the admin page at `path` from the reviewer's browser (logged in, with a CSRF
        token), raising on a 5xx answer. What the admin says of it is read from the database afterwards."""
        if not hasattr(self, "admin_session"):
            client = Client()
            client.force_login(self.reviewer)
            self.admin_session = client.cookies["sessionid"].value
        csrf = secrets.token_hex(16)  # an unmasked token: Django compares it with the cookie's secret

        def post() -> None:
            with requests.Session() as browser:
                browser.cookies.update({"sessionid": self.admin_session, "csrftoken": csrf})
                form = {**data, "csrfmiddlewaretoken": csrf}
                answer = browser.post(self.live_server_url + path, data=form, allow_redirects=False, timeout=60)
            if answer.status_code >= 500:
                raise RuntimeError(f"{path} answered {answer.status_code}")

        return post

    def merged(self, keep, *others):
        """For at_once: the people admin's "Merge selected" of `others` into `keep`, confirmed."""
        chosen = [keep.pk, *(other.pk for other in others)]
        form = {"action": "merge_selected", "_selected_action": chosen, "keep": keep.pk, "merge": "Merge"}
        return self.admin_form("/admin/sources/agent/", form)

    def rename_account(self, username: str) -> None:
        """Rename the reviewer's account as the admin's change form does (one transaction, a save of the user)."""
        with transaction.atomic():
            account = User.objects.get(pk=self.reviewer.pk)
            account.username = username
            account.save()

    def report(self, race: str, broken: int, server_errors: int, statuses: list[int], trials: int = TRIALS) -> None:
        report(f"{race}: {trials} trials, {broken} broke the rule, {server_errors} answers were 5xx")
        self.assertEqual(server_errors, 0, f"5xx answers: {statuses}")
        self.assertEqual(broken, 0)
