"""A real `make serve` (gunicorn) on a database of its own, for tests that need the production server.

The database is a throwaway: a SQLite file, or on PostgreSQL a database named after the test database.
"""

import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
from contextlib import contextmanager
from pathlib import Path

import psycopg
from django.conf import settings

BASE_DIR = Path(settings.BASE_DIR)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def throwaway_database(tmp_path: Path, suffix: str):
    """A URL to an empty database on the same server as the test database; dropped afterwards."""
    default = settings.DATABASES["default"]
    if default["ENGINE"] != "django.db.backends.postgresql":
        yield f"sqlite:///{tmp_path / f'{suffix}.sqlite3'}"
        return
    name = f"{default['NAME']}_{suffix}"
    server = f"postgres://{default['USER']}@{default['HOST'] or '127.0.0.1'}:{default['PORT'] or 5432}"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{server}/{name}"
    finally:
        with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def server_env(database_url: str, **extra: str) -> dict[str, str]:
    """What a production-like process sees: DEBUG off, its own key, no developer's .env."""
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE", "SECRET_KEY"}}
    env.update(DATABASE_URL=database_url, ENV_FILE="", DEBUG="0", HTTPS="0", SECRET_KEY=secrets.token_urlsafe(50))
    env.update(extra)
    return env


def manage(*args: str, env: dict[str, str]) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=BASE_DIR, env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, f"manage.py {' '.join(args)}: {result.stdout}{result.stderr}"
    return result.stdout


class Serve:
    """`make serve PORT=…` started in its own process group, stopped (the whole group) on exit."""

    def __init__(self, env: dict[str, str], log: Path, startup_seconds: float = 180):
        self.port = free_port()
        self.log_path = log
        self.env = env
        self.startup_seconds = startup_seconds

    def __enter__(self) -> "Serve":
        self.log = self.log_path.open("w")
        self.process = subprocess.Popen(
            ["make", "--no-print-directory", "serve", f"PORT={self.port}"],
            cwd=BASE_DIR,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + self.startup_seconds
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"make serve stopped: {self.output()}"
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                time.sleep(0.3)
        self.__exit__()
        raise AssertionError(f"make serve did not listen on {self.port} in time: {self.output()}")

    def __exit__(self, *exc) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.log.close()

    def output(self) -> str:
        return self.log_path.read_text()

    def admin_login(self) -> tuple[str, str]:
        found = re.search(r"Local admin login: (\S+) / (\S+)", self.output())
        assert found, f"no login printed: {self.output()}"
        return found.group(1), found.group(2)

    def log_in(self, username: str, password: str, csrf_token: str) -> str:
        """Log in through the login page; return the session cookie's value."""
        import http.client

        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        body = urllib.parse.urlencode(
            {"username": username, "password": password, "csrfmiddlewaretoken": csrf_token, "next": "/admin/"}
        )
        connection.request(
            "POST",
            "/admin/login/",
            body,
            {"Cookie": f"csrftoken={csrf_token}", "Content-Type": "application/x-www-form-urlencoded"},
        )
        response = connection.getresponse()
        response.read()
        assert response.status == 302, f"login refused: {response.status}"
        cookie = next(v for k, v in response.getheaders() if k.lower() == "set-cookie" and v.startswith("sessionid="))
        return cookie.split(";", 1)[0].split("=", 1)[1]
