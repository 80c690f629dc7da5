"""The app boundary: claims builds on sources, never the other way; common/ belongs to neither app."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def printed_by_a_new_python(code: str) -> list[str]:
    """The lines a new Python process prints running `code` from the repository's root (what it imports is its own,
    not this test run's)."""
    import subprocess
    import sys

    found = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert found.returncode == 0, found.stdout + found.stderr
    return found.stdout.splitlines()


def imported_modules(folder: str) -> dict[str, set[str]]:
    """Every module that each Python file under `folder` imports, by file."""
    found = {}
    for path in sorted((ROOT / folder).rglob("*.py")):
        names = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module:
                names.add(node.module)
        found[str(path.relative_to(ROOT))] = names
    return found


@pytest.mark.parametrize("folder, forbidden", [("sources", ("claims",)), ("common", ("claims", "sources"))])
def test_a_lower_layer_never_imports_a_higher_one(folder, forbidden):
    offending = {
        path: sorted(name for name in names if name.split(".")[0] in forbidden)
        for path, names in imported_modules(folder).items()
    }
    assert {path: names for path, names in offending.items() if names} == {}


def test_the_boundary_test_sees_an_import_of_claims():
    # The scan above must be able to fail: claims' own modules import claims.
    assert "claims.models" in imported_modules("claims")["claims/admin.py"]


def test_starting_claimtrail_does_not_import_scikit_learn():
    """scikit-learn takes seconds and 80 MB to import: only a refit of the suggestions and the first suggestion
    request pay it, not every manage.py command and every server start."""
    started = (
        "import os, sys, django; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'config.settings'); "
        "django.setup(); import claims.admin, claims.api.views, claims.services, claims.exchange.importing; "
        "print(sorted(name for name in sys.modules if name.split('.')[0] == 'sklearn')[:3])"
    )
    assert printed_by_a_new_python(started) == ["[]"]


def test_the_data_commands_start_without_the_admin_the_ranker_or_the_spreadsheet_libraries():
    """export_claims, import_claims and recount_corroboration are run by scripts, often, and timed against a plain
    COPY: they
    skip the system checks (which load every page and admin) and what they import loads no admin module, no
    spreadsheet library (openpyxl), no numpy and no HTTP client (issue 26's start-up, 1.4 -> 0.6 CPU-seconds)."""
    started = (
        "import os, sys, django; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'config.settings'); "
        "django.setup(); from django.core.management import load_command_class; "
        "names = ('export_claims', 'import_claims', 'recount_corroboration'); "
        "commands = [load_command_class('claims', name) for name in names]; "
        "print([command.requires_system_checks for command in commands]); "
        "heavy = ('claims.admin', 'import_export.admin', 'openpyxl', 'numpy', 'snowballstemmer', 'requests'); "
        "print(sorted(name for name in heavy if name in sys.modules))"
    )
    assert printed_by_a_new_python(started) == ["[[], [], []]", "[]"]


def test_the_admin_checks_see_every_admin_though_the_admin_modules_load_with_the_urls():
    """The admin's modules are found when the URLs load, so Django's checks of each ModelAdmin (a list_display
    naming no field, say) would see none of them when they run before the URL checks; they find them first."""
    started = (
        "import os, django; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'config.settings'); django.setup(); "
        "from django.core import checks; print(checks.run_checks(tags=[checks.Tags.admin])); "
        "from django.contrib import admin; from claims.models import Claim; print(Claim in admin.site._registry)"
    )
    assert printed_by_a_new_python(started) == ["[]", "True"]


def test_every_benchmark_measures_with_debug_off_whatever_the_local_env_file():
    # A development .env (make run writes one) turns DEBUG on, and DEBUG keeps every query's SQL: a benchmark that
    # starts Django or runs manage.py turns the file off itself, or through the harness that does.
    starting = [
        path
        for path in sorted((ROOT / "benchmarks").glob("*.py"))
        if "django.setup()" in (text := path.read_text()) or "manage.py" in text
    ]
    assert len(starting) >= 6
    for path in starting:
        text = path.read_text()
        assert 'os.environ["ENV_FILE"] = ""' in text or '"ENV_FILE": ""' in text or "import harness" in text, path
    assert 'os.environ["ENV_FILE"] = ""' in (ROOT / "benchmarks" / "harness.py").read_text()


def test_registered_domains_come_from_the_bundled_list_without_an_http_client():
    """A full recount works out every source's registered domain: the public-suffix list it reads is bundled, and
    finding one loads no HTTP client (tldextract brought requests: 0.16 s of every recount, issue 26)."""
    started = (
        "import sys; from sources.domains import registered_domain; "
        "print(registered_domain('https://asia.nikkei.com/politics'), registered_domain('www.bbc.co.uk/news'), "
        "repr(registered_domain('http://127.0.0.1/')), repr(registered_domain('https://intranet.unknowntld/'))); "
        "print(sorted(name for name in ('requests', 'urllib3', 'tldextract') if name in sys.modules))"
    )
    assert printed_by_a_new_python(started) == ["nikkei.com bbc.co.uk '' ''", "[]"]
