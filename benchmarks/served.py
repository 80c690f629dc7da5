"""What the benchmarks that drive a real `make serve` over loopback share: a PostgreSQL database of their own,
staff users in a role, a visitor that logs in through the admin's login form, and the claims CSV export.

Import it after `harness` (Django set up on the benchmark's DATABASE_URL). The server itself is
tests/serving.py's `Serve` (`make serve PORT=…` in its own process group), as the tests start it.
"""

import time
import urllib.parse
from collections.abc import Callable
from typing import BinaryIO

import psycopg
import requests
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, User
from psycopg import sql

from claims.exchange.columns import HEADER
from tests.serving import Serve, manage, server_env

__all__ = ["Serve", "Visitor", "create_database", "database_exists", "manage", "server_env", "staff_users"]

# The admin's export form with every column, CSV (the first format), as the Export button posts it.
EXPORT_FORM = {"format": "0", "resource": "0", **{f"claimresource_{name}": "on" for name in HEADER}}


def _server_and_name(url: str) -> tuple[str, str]:
    parts = urllib.parse.urlsplit(url)
    name = parts.path.lstrip("/")
    if not name.startswith("claimtrail_"):
        raise SystemExit(f"{url}: use a database of its own, named claimtrail_…")
    return urllib.parse.urlunsplit(parts._replace(path="/postgres")), name


def database_exists(url: str) -> bool:
    server, name = _server_and_name(url)
    with psycopg.connect(server, autocommit=True) as admin:
        return admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is not None


def create_database(url: str, *, drop: bool) -> None:
    """An empty database at `url` (dropped first with `drop`, else only created when missing)."""
    server, name = _server_and_name(url)
    with psycopg.connect(server, autocommit=True) as admin:
        if drop:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        if admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is None:
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def staff_users(names: list[str], *, role: str, password: str) -> None:
    """Active staff accounts in one of the roles (claims/migrations/0002_roles.py), all with `password`:
    hashed once, as each hash costs the login's full key stretching."""
    hashed = make_password(password)
    group = Group.objects.get(name=role)
    for name in names:
        user, _ = User.objects.update_or_create(
            username=name, defaults={"is_staff": True, "is_active": True, "password": hashed}
        )
        user.groups.set([group])


class Visitor:
    """One person's browser: its cookies, CSRF token and requests, each told to `record(kind, seconds, status)`."""

    def __init__(self, base: str, record: Callable[[str, float, int], None] | None = None):
        self.base = base
        self.session = requests.Session()
        self.record = record or (lambda kind, seconds, status: None)

    def request(self, kind: str, method: str, path: str, **kwargs) -> requests.Response:
        kwargs.setdefault("allow_redirects", False)
        kwargs.setdefault("timeout", 300)
        began = time.perf_counter()
        try:
            response = self.session.request(method, self.base + path, **kwargs)
        except requests.RequestException:
            self.record(kind, time.perf_counter() - began, 0)
            raise
        self.record(kind, time.perf_counter() - began, response.status_code)
        return response

    def get(self, kind: str, path: str, **kwargs) -> requests.Response:
        return self.request(kind, "GET", path, **kwargs)

    def post(self, kind: str, path: str, data, **kwargs) -> requests.Response:
        """POST as the page's form would: with the CSRF token of this browser's cookie."""
        if isinstance(data, dict):
            data = list(data.items())
        data = [*data, ("csrfmiddlewaretoken", self.session.cookies.get("csrftoken", ""))]
        return self.request(kind, "POST", path, data=data, **kwargs)

    def log_in(self, username: str, password: str) -> None:
        """Through the admin's login form, CSRF token and all."""
        self.get("login page", "/admin/login/").raise_for_status()
        response = self.post("log in", "/admin/login/", {"username": username, "password": password, "next": "/admin/"})
        if response.status_code != 302:
            raise AssertionError(f"{username} could not log in: HTTP {response.status_code}")

    def export_claims(self, out: BinaryIO, kind: str = "export") -> tuple[int, str]:
        """Download the full claims CSV through the admin's export into `out`: (HTTP status, error or "").
        The time recorded is the whole download's."""
        began = time.perf_counter()
        data = [*EXPORT_FORM.items(), ("csrfmiddlewaretoken", self.session.cookies.get("csrftoken", ""))]
        status, error = 0, ""
        try:
            with self.session.post(
                self.base + "/admin/claims/claim/export/", data=data, stream=True, timeout=300, allow_redirects=False
            ) as response:
                status = response.status_code
                for chunk in response.iter_content(1 << 16):
                    out.write(chunk)
        except requests.RequestException as broken:
            error = repr(broken)
        self.record(kind, time.perf_counter() - began, status)
        return status, error
