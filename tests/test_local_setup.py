"""`make run` on a developer's machine: the .env it writes, the port, and the local admin's login."""

import io
import os
import socket
import subprocess
import sys
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import TestCase

BASE_DIR = Path(settings.BASE_DIR)


def without(*names: str) -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in {*names, "DJANGO_ALLOW_ASYNC_UNSAFE"}}


def make(*args: str, cwd: Path = BASE_DIR, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["make", "--no-print-directory", "-f", str(BASE_DIR / "Makefile"), *args],
        cwd=cwd,
        env=env or without(),
        capture_output=True,
        text=True,
    )


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "manage.py", *args], cwd=BASE_DIR, env=env, capture_output=True, text=True)


def test_the_env_file_make_run_writes_lets_readme_commands_run_without_any_variable(tmp_path):
    assert make(".env", "PYTHON=" + sys.executable, cwd=tmp_path).returncode == 0
    env = without("DEBUG", "SECRET_KEY", "HTTPS")
    env["ENV_FILE"] = str(tmp_path / ".env")
    # What the README shows, copied as is (here with a database of its own, empty).
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    result = manage("migrate", "--noinput", "-v0", env=env)
    assert result.returncode == 0, result.stderr
    result = manage("export_claims", "-o", str(tmp_path / "claims.csv"), env=env)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "claims.csv").read_text().startswith("id,version,source_id,")


def test_the_env_files_key_is_never_used_with_debug_off(tmp_path):
    assert make(".env", "PYTHON=" + sys.executable, cwd=tmp_path).returncode == 0
    env = without("SECRET_KEY")
    env.update(ENV_FILE=str(tmp_path / ".env"), DEBUG="0")
    result = manage("check", env=env)
    assert result.returncode != 0
    assert "Set SECRET_KEY" in result.stderr


def test_the_environment_wins_over_the_env_file(tmp_path):
    (tmp_path / ".env").write_text("DEBUG=1\nALLOWED_HOSTS=from-file.example\n")
    env = without("DEBUG", "ALLOWED_HOSTS")
    env.update(ENV_FILE=str(tmp_path / ".env"), ALLOWED_HOSTS="from-env.example")
    script = "from django.conf import settings; print(settings.DEBUG, settings.ALLOWED_HOSTS)"
    result = manage("shell", "-c", script, env=env)
    assert result.stdout.strip().splitlines()[-1] == "True ['from-env.example']", result.stderr


def test_make_run_and_make_serve_use_the_port_given():
    run = make("-n", "run", "PORT=8001")
    assert "runserver 127.0.0.1:8001" in run.stdout
    assert "Serving on http://127.0.0.1:8001/admin/" in run.stdout
    serve = make("-n", "serve", "PORT=8001")
    assert "PORT=8001" in serve.stdout
    assert "gunicorn -c config/gunicorn.py" in serve.stdout


def test_the_gunicorn_settings_bind_the_port_given():
    env = without()
    env["PORT"] = "8001"
    script = "import runpy; print(runpy.run_path('config/gunicorn.py')['bind'])"
    result = subprocess.run([sys.executable, "-c", script], cwd=BASE_DIR, env=env, capture_output=True, text=True)
    assert result.stdout.strip() == "127.0.0.1:8001"


def test_make_run_on_a_port_in_use_says_so_and_which_to_try():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = make("run", f"PORT={port}")
    assert result.returncode != 0
    assert f"Port {port} is in use: choose another, e.g. make run PORT=8001" in result.stdout


class LocalAdminTests(TestCase):
    def run_command(self, *args: str) -> str:
        out = io.StringIO()
        call_command("local_admin", *args, stdout=out)
        return out.getvalue()

    def test_the_first_run_creates_the_admin_and_prints_the_login(self):
        output = self.run_command()
        password = output.strip().rsplit(" / ", 1)[1]
        self.assertTrue(output.startswith("Local admin login: admin / "))
        self.assertTrue(User.objects.get(username="admin").check_password(password))

    def test_a_second_run_keeps_the_password_and_says_how_to_reset_it(self):
        password = self.run_command().strip().rsplit(" / ", 1)[1]
        output = self.run_command()
        self.assertTrue(User.objects.get(username="admin").check_password(password))
        self.assertNotIn(password, output)
        self.assertIn("password is unchanged", output)
        self.assertIn("manage.py local_admin --reset", output)

    def test_reset_gives_a_new_password(self):
        old = self.run_command().strip().rsplit(" / ", 1)[1]
        new = self.run_command("--reset").strip().rsplit(" / ", 1)[1]
        self.assertNotEqual(old, new)
        self.assertTrue(User.objects.get(username="admin").check_password(new))
