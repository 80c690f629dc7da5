"""What the browser tests share: Debian's chromium driven by Playwright against the live server.

Every page is served with the project's real Content-Security-Policy header (django-csp,
script-src 'self'): an inline script or handler would be refused and show up as a console error,
and every console error or page error fails the test. Pages whose URL matches `strict_csp_urls` are
also checked to have arrived with that header.
"""

import os
import re
import time
from importlib import import_module
from pathlib import Path
from unittest import mock

from django.conf import settings
from django.contrib.auth.models import Group, Permission, User
from django.contrib.staticfiles.testing import StaticLiveServerTestCase
from django.core.management.base import CommandError
from django.db import OperationalError
from playwright.sync_api import sync_playwright

ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def role(name: str) -> Group:
    """A role group as the roles migration defines it.

    A live-server test empties the database after each test, and the migration's groups go with it;
    serialized_rollback cannot bring them back because Playwright's event loop gives this thread
    another database connection than the one the test database was serialized on.
    """
    roles = import_module("claims.migrations.0002_roles")
    renamed = import_module(
        "claims.migrations.0021_link_and_independent_voices"
    ).RENAMED  # add_corroboration → add_link
    group, _ = Group.objects.get_or_create(name=name)
    for code in roles.ROLES[name]:
        app_label, codename = code.split(".")
        codename = renamed.get(codename, (codename,))[0]
        group.permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    return group


def give_role(user, name: str) -> None:
    """Make the user a member of the server's project with this role (made as the roles migration makes it)."""
    from common.projects import sole_project
    from sources.models import Membership

    Membership.objects.create(project=sole_project(), user=user, role=role(name))


class BrowserTestCase(StaticLiveServerTestCase):
    """One chromium per test class; each test logs someone in and gets a page whose errors are kept."""

    viewport = {"width": 1280, "height": 800}
    strict_csp_urls: re.Pattern | None = None
    # Console errors a test expects (a form refused with 422 is logged by the browser as a failed fetch).
    expected_console_errors: tuple[str, ...] = ()

    @classmethod
    def setUpClass(cls):
        # Playwright's sync API runs an event loop in this thread; the ORM calls here stay synchronous.
        # Set for the class only: a process started by another test (manage.py check --deploy) must not see it.
        cls.async_unsafe = mock.patch.dict(os.environ, {"DJANGO_ALLOW_ASYNC_UNSAFE": "true"})
        cls.async_unsafe.start()
        super().setUpClass()
        cls.playwright = sync_playwright().start()
        cls.browser = cls.playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_FLAGS)
        ARTIFACTS.mkdir(exist_ok=True)

    @classmethod
    def tearDownClass(cls):
        cls.browser.close()
        cls.playwright.stop()
        super().tearDownClass()
        cls.async_unsafe.stop()

    def log_in(self, user: User) -> None:
        """Open a browser context with this user's session, and a first page in it."""
        self.problems = []
        self.context = self.browser.new_context(viewport=self.viewport)
        self.client.force_login(user)
        session = self.client.cookies[settings.SESSION_COOKIE_NAME].value
        self.context.add_cookies(
            [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": self.live_server_url}]
        )
        self.page = self.new_page()

    def new_page(self):
        page = self.context.new_page()
        if self.strict_csp_urls is not None:
            page.on("response", self.check_policy)
        page.on("console", self.note_console_error)
        page.on("pageerror", lambda e: self.problems.append(str(e)))
        return page

    def note_console_error(self, message) -> None:
        if message.type == "error" and not any(text in message.text for text in self.expected_console_errors):
            self.problems.append(message.text)

    def check_policy(self, response) -> None:
        """A page the test counts on running under script-src 'self' came with that header."""
        if response.request.resource_type == "document" and self.strict_csp_urls.match(response.url):
            directives = [d.strip() for d in response.headers.get("content-security-policy", "").split(";")]
            if "script-src 'self'" not in directives:
                self.problems.append(f"{response.url} came without script-src 'self': {directives}")

    def tearDown(self):
        self.context.close()
        self.assertEqual(self.problems, [], "console errors (an inline script refused by the CSP shows here)")

    def _fixture_teardown(self):
        """Empty the database as Django does, waiting out a request the closed page left running.

        Under load, a request a page started (a panel loading after the page) can still be finishing in
        the live server's thread when the test ends; on SQLite's shared in-memory database its table
        lock then makes the flush fail with "database table is locked", and on PostgreSQL the flush's
        TRUNCATE and that request's reads can take their locks in opposite orders ("deadlock detected",
        seen in CI). The flush runs in a transaction, so trying it again a moment later is safe.
        """
        for attempt in range(100):
            try:
                return super()._fixture_teardown()
            except (CommandError, OperationalError) as e:
                reason = str(e.__cause__ or e)
                if not ("is locked" in reason or "deadlock detected" in reason) or attempt == 99:
                    raise
                time.sleep(0.1)
