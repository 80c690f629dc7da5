import os
import secrets
import subprocess
import sys

from django.conf import settings


def test_the_deploy_check_is_clean_with_production_settings():
    # Browser tests set DJANGO_ALLOW_ASYNC_UNSAFE for Playwright; production does not.
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "HTTPS", "DJANGO_ALLOW_ASYNC_UNSAFE"}}
    env.update(SECRET_KEY=secrets.token_urlsafe(50), DEBUG="0", ALLOWED_HOSTS="claimtrail.example.org")
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_settings_refuse_to_start_without_a_secret_key():
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY"}}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "Set SECRET_KEY" in result.stderr


def manage(*args: str, env: dict[str, str], cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(settings.BASE_DIR / "manage.py"), *args],
        cwd=cwd or settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
    )


def production_env(**values: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE"}}
    env.update(DEBUG="0", **values)
    return env


def test_production_settings_refuse_a_short_secret_key():
    result = manage("check", env=production_env(SECRET_KEY="x"))
    assert result.returncode != 0
    assert "SECRET_KEY is too weak" in result.stderr


def test_production_settings_refuse_a_development_key_however_long():
    result = manage("check", env=production_env(SECRET_KEY="django-insecure-" + secrets.token_urlsafe(50)))
    assert result.returncode != 0
    assert "SECRET_KEY is too weak" in result.stderr


def test_production_settings_accept_a_long_random_key():
    result = manage("check", env=production_env(SECRET_KEY=secrets.token_urlsafe(50)))
    assert result.returncode == 0, result.stderr


def test_every_response_of_the_production_server_has_a_content_security_policy():
    env = production_env(SECRET_KEY=secrets.token_urlsafe(50))
    script = (
        "from django.test import Client\n"
        "for host in ('localhost', 'unknown.example'):\n"
        "    r = Client(HTTP_HOST=host).get('/no/such/page/')\n"
        "    print(r.status_code, r.headers.get('Content-Security-Policy'))"
    )
    result = manage("shell", "-c", script, env=env)
    assert result.returncode == 0, result.stderr
    not_found, refused_host = result.stdout.strip().splitlines()[-2:]
    assert not_found.startswith("404 ") and "script-src 'self'" in not_found
    assert refused_host.startswith("400 ") and "script-src 'self'" in refused_host


def test_production_settings_refuse_a_long_key_that_repeats_a_pattern():
    for key in ("changeme" * 7, "0123456789" * 6, "tests-only-" + "k3y-n0t-f0r-any-server-" * 3):
        result = manage("check", env=production_env(SECRET_KEY=key))
        assert result.returncode != 0, key
        assert "SECRET_KEY is too weak for DEBUG off" in result.stderr, key


def test_production_settings_refuse_a_long_key_of_few_characters():
    result = manage("check", env=production_env(SECRET_KEY="ab" * 10 + "ba" * 10 + "aabb" * 5))
    assert result.returncode != 0
    assert "SECRET_KEY is too weak" in result.stderr


def test_production_settings_accept_a_long_random_hex_key():
    result = manage("check", env=production_env(SECRET_KEY=secrets.token_hex(32)))
    assert result.returncode == 0, result.stderr


def test_the_test_suites_own_key_would_pass_the_production_check():
    result = manage("check", env=production_env(SECRET_KEY=settings.SECRET_KEY))
    assert result.returncode == 0, result.stderr
