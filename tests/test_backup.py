"""`make backup` and `make restore`: a backup restored into an empty database holds every row."""

import json
import subprocess

import pytest

from tests.serving import BASE_DIR, manage, server_env, throwaway_database

COUNT_ROWS = """
import json
from django.apps import apps
from django.db import connection
tables = {}
for label in ("sources.Source", "sources.Capture", "sources.HistoricalSource", "claims.Claim",
              "claims.HistoricalClaim", "claims.Link", "claims.HistoricalLink"):
    model = apps.get_model(label)
    tables[label] = sorted(model.objects.values_list("pk", flat=True))
tables["capture sha256"] = sorted(apps.get_model("sources.Capture").objects.values_list("sha256", flat=True))
tables["claim quotes"] = sorted(apps.get_model("claims.Claim").objects.values_list("quote", flat=True))
print("ROWS " + json.dumps(tables))
"""

MAKE_HISTORY = """
from claims.models import Claim
from sources.models import Capture, Source
claim = Claim.objects.order_by("pk").first()
claim.statement = "Edited once, so the claim has two history rows."
claim.save()
Claim.objects.order_by("pk").last().delete()  # a deleted claim lives on in its history
Capture.objects.create(source=Source.objects.first(), file_name="a.txt", size=3, sha256="0" * 64, raw=b"abc",
    encoding="utf-8", method="text", software_version="test", imported_by="test", clean_text="abc")
"""


def rows(env: dict[str, str]) -> dict[str, list]:
    out = manage("shell", "-c", COUNT_ROWS, env=env)
    return json.loads(out.split("ROWS ", 1)[1])


def make(target: str, env: dict[str, str], backup) -> None:
    result = subprocess.run(
        ["make", "--no-print-directory", target, f"BACKUP={backup}"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.django_db
def test_a_backup_restored_into_an_empty_database_has_every_source_capture_claim_link_and_history_row(tmp_path):
    backup = tmp_path / "claimtrail.backup"
    with (
        throwaway_database(tmp_path, "backup_from") as source_url,
        throwaway_database(tmp_path, "backup_to") as target_url,
    ):
        original = server_env(source_url)
        manage("migrate", "--noinput", "-v0", env=original)
        manage("load_demo", env=original)
        manage("shell", "-c", MAKE_HISTORY, env=original)
        before = rows(original)
        make("backup", original, backup)
        assert backup.stat().st_size > 0

        empty = server_env(target_url)
        make("restore", empty, backup)
        after = rows(empty)

    assert all(before[label] for label in before), {label: len(ids) for label, ids in before.items()}
    assert len(before["claims.HistoricalClaim"]) > len(before["claims.Claim"])  # the edit and the deletion
    assert after == before
