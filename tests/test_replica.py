"""The read replica: exports, suggestions and the provenance page read it; everything else the primary.

The last test runs against a real streaming replica: a PostgreSQL primary and a pg_basebackup copy of
it, each on a port of its own, made and removed by the test. (The shared server on 5432 does not
accept replication connections, and a test must not change its configuration.)
"""

import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from unittest import mock

import pytest
from django.contrib.auth.models import User
from django.db import connection

from claims.models import Claim
from config.routers import ReplicaRouter, replica_reads, streamed_from_replica
from sources.models import Source
from tests.serving import free_port, manage, server_env

router = ReplicaRouter()
# As if DATABASE_REPLICA_URL were set (the routing rule only; the real replica is tested below).
with_a_replica = mock.patch("config.routers.has_replica", return_value=True)


@with_a_replica
def test_heavy_reads_of_claims_and_sources_go_to_the_replica(_):
    with replica_reads():
        assert router.db_for_read(Claim) == "replica"
        assert router.db_for_read(Source) == "replica"
        assert router.db_for_read(Claim.history.model) == "replica"


@with_a_replica
def test_logins_and_every_other_read_stay_on_the_primary(_):
    assert router.db_for_read(Claim) == "default"
    with replica_reads():
        assert router.db_for_read(User) == "default"


@with_a_replica
def test_writes_go_to_the_primary_even_inside_a_heavy_read(_):
    with replica_reads():
        assert router.db_for_write(Claim) == "default"
    assert router.allow_migrate("replica", "claims") is False


@with_a_replica
def test_a_streamed_export_reads_the_replica_only_while_it_makes_a_chunk(_):
    def chunks():
        for _ in range(2):
            yield router.db_for_read(Claim)

    seen_between = []
    for chunk in streamed_from_replica(chunks()):
        seen_between.append((chunk, router.db_for_read(Claim)))
    assert seen_between == [("replica", "default"), ("replica", "default")]


def test_without_a_replica_heavy_reads_use_the_primary():
    with replica_reads():
        assert router.db_for_read(Claim) == "default"


# --- a real streaming replica -------------------------------------------------------------------------

POSTGRES_BINS = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_basebackup"), reverse=True)
ON_POSTGRES = connection.vendor == "postgresql"
CAN_RUN_SERVER = os.geteuid() == 0 and shutil.which("runuser") is not None

PROBE = """
import json
from unittest import mock
from django.contrib.auth.models import User
from django.db import connections
from django.test import Client
from django.test.utils import CaptureQueriesContext
from claims.models import Claim
from claims.corroboration.suggestions import suggestions_for
from config.routers import replica_reads
from claims.exchange.columns import claims_csv
claim = Claim.objects.order_by("pk").first()
admin = User.objects.get(username="admin")
client = Client(HTTP_HOST="localhost")
client.force_login(admin)
result = {"has_replica": "replica" in connections.databases}
with replica_reads():
    result["export"] = b"".join(claims_csv()).decode()
    # A claim a chunk: the one COPY read a row at a time, in the replica's snapshot.
    with mock.patch("claims.exchange.columns.CHUNK_ROWS", 1):
        result["export_in_chunks"] = b"".join(claims_csv()).decode()
for name, url in [("provenance", f"/sources/{claim.source_id}/provenance/"),
                  ("admin_page", f"/admin/claims/claim/{claim.pk}/change/")]:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    result[name] = response.content.decode()
if result["has_replica"]:
    with CaptureQueriesContext(connections["replica"]) as on_replica:
        suggestions_for(claim)
    result["suggestion_queries_on_replica"] = len(on_replica)
print("PROBE " + json.dumps(result))
"""


def as_postgres(*command: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(["runuser", "-u", "postgres", "--", *command], capture_output=True, text=True, **kwargs)


class Cluster:
    """A PostgreSQL server of the test's own, in a temporary folder, on a free port."""

    def __init__(self, bin_dir: Path, data: Path, port: int):
        self.bin, self.data, self.port = bin_dir, data, port

    def start(self) -> None:
        options = f"-p {self.port} -k {self.data.parent} -c listen_addresses=127.0.0.1"
        result = as_postgres(
            str(self.bin / "pg_ctl"), "-D", str(self.data), "-o", options, "-l", f"{self.data}.log", "-w", "start"
        )
        assert result.returncode == 0, result.stdout + result.stderr + Path(f"{self.data}.log").read_text()

    def stop(self) -> None:
        as_postgres(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def sql(self, query: str, database: str = "postgres") -> str:
        result = as_postgres(
            str(self.bin / "psql"), "-h", "127.0.0.1", "-p", str(self.port), "-d", database, "-Atc", query
        )
        assert result.returncode == 0, result.stderr
        return result.stdout.strip()

    def url(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"


def probe(env: dict[str, str]) -> dict:
    return json.loads(manage("shell", "-c", PROBE, env=env).split("PROBE ", 1)[1])


@pytest.mark.skipif(not ON_POSTGRES, reason="the read replica is a PostgreSQL streaming replica (DATABASE_URL)")
@pytest.mark.skipif(not POSTGRES_BINS, reason="no PostgreSQL server binaries in /usr/lib/postgresql/*/bin")
@pytest.mark.skipif(not CAN_RUN_SERVER, reason="starting a PostgreSQL server needs root and runuser (as postgres)")
def test_heavy_reads_come_from_a_real_streaming_replica_and_the_rest_from_the_primary():
    bin_dir = POSTGRES_BINS[0].parent
    folder = Path(tempfile.mkdtemp(prefix="claimtrail-replica-"))
    shutil.chown(folder, "postgres", "postgres")
    primary = Cluster(bin_dir, folder / "primary", free_port())
    replica = Cluster(bin_dir, folder / "replica", free_port())
    try:
        result = as_postgres(str(bin_dir / "initdb"), "-D", str(primary.data), "--auth=trust", "-U", "postgres")
        assert result.returncode == 0, result.stderr
        primary.start()
        primary.sql("CREATE DATABASE claimtrail")
        alone = server_env(primary.url("claimtrail"), DEBUG="1")
        manage("migrate", "--noinput", "-v0", env=alone)
        manage("load_demo", env=alone)
        manage("local_admin", env=alone)
        result = as_postgres(
            str(bin_dir / "pg_basebackup"),
            *(
                "-h",
                "127.0.0.1",
                "-p",
                str(primary.port),
                "-U",
                "postgres",
                "-D",
                str(replica.data),
                "-R",
                "-X",
                "stream",
                # A checkpoint at once: the default waits for a spread one, minutes on an idle server.
                "--checkpoint=fast",
            ),
        )
        assert result.returncode == 0, result.stderr
        replica.start()
        assert replica.sql("SELECT pg_is_in_recovery()") == "t"

        # Hold the replica still, then change a claim and its source on the primary only.
        replica.sql("SELECT pg_wal_replay_pause()")
        primary.sql(
            "UPDATE claims_claim SET statement = 'Changed on the primary' "
            "WHERE id = (SELECT min(id) FROM claims_claim);"
            "UPDATE sources_source SET title = 'Retitled on the primary' WHERE id = "
            "(SELECT source_id FROM claims_claim ORDER BY id LIMIT 1)",
            database="claimtrail",
        )
        both = {**alone, "DATABASE_REPLICA_URL": replica.url("claimtrail")}
        paused = probe(both)
        assert paused["has_replica"]
        assert "Changed on the primary" not in paused["export"]
        assert paused["export_in_chunks"] == paused["export"]
        assert "Retitled on the primary" not in paused["provenance"]
        assert "Provenance: " in paused["provenance"]
        assert paused["suggestion_queries_on_replica"] > 0
        assert "Changed on the primary" in paused["admin_page"]  # an ordinary page reads the primary

        without_replica = probe(alone)
        assert "Changed on the primary" in without_replica["export"]
        assert "Retitled on the primary" in without_replica["provenance"]

        # Streaming resumes: the replica catches up, and so do the heavy reads.
        replica.sql("SELECT pg_wal_replay_resume()")
        for _ in range(50):
            if (
                replica.sql(
                    "SELECT count(*) FROM claims_claim WHERE statement = 'Changed on the primary'", "claimtrail"
                )
                == "1"
            ):
                break
            time.sleep(0.2)
        caught_up = probe(both)
        assert "Changed on the primary" in caught_up["export"]
        assert "Retitled on the primary" in caught_up["provenance"]
    finally:
        replica.stop()
        primary.stop()
        shutil.rmtree(folder, ignore_errors=True)
