"""Back the database up to one file, and restore it: `make backup` and `make restore` (BACKUP=path).

    python -m config.backup backup PATH     # PostgreSQL: pg_dump's custom format; SQLite: an online copy
    python -m config.backup restore PATH    # into DATABASE_URL's database, replacing what is there

PostgreSQL goes through pg_dump and pg_restore (a consistent snapshot while the server keeps running);
SQLite through its online backup API (a consistent copy while others read and write). Everything is
in the file: sources, captures, claims, links, people, users and every history row.
"""

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path


def settings_database() -> dict:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django
    from django.conf import settings

    django.setup()
    return settings.DATABASES["default"]


def postgres_tool(name: str) -> str:
    """pg_dump or pg_restore from PATH, else from the newest server install."""
    found = shutil.which(name) or next(
        iter(sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), reverse=True)), None
    )
    if not found:
        sys.exit(f"{name} is not installed (Debian: apt-get install postgresql-client)")
    return str(found)


def connection_args(database: dict) -> tuple[list[str], dict[str, str]]:
    args = ["--dbname", database["NAME"], "--host", database["HOST"] or "127.0.0.1"]
    args += ["--port", str(database["PORT"] or 5432), "--username", database["USER"] or "postgres"]
    env = {**os.environ, "PGPASSWORD": database["PASSWORD"]} if database["PASSWORD"] else dict(os.environ)
    return args, env


def backup(path: Path) -> None:
    database = settings_database()
    path.parent.mkdir(parents=True, exist_ok=True)
    if database["ENGINE"] == "django.db.backends.postgresql":
        args, env = connection_args(database)
        subprocess.run([postgres_tool("pg_dump"), "--format=custom", "--file", str(path), *args], env=env, check=True)
    else:
        with sqlite3.connect(database["NAME"]) as source, sqlite3.connect(path) as target:
            source.backup(target)
        target.close()
    print(f"Backed up {database['NAME']} to {path} ({path.stat().st_size:,} bytes)")


def restore(path: Path) -> None:
    if not path.is_file():
        sys.exit(f"No backup at {path}")
    database = settings_database()
    if database["ENGINE"] == "django.db.backends.postgresql":
        args, env = connection_args(database)
        # --clean --if-exists: what the database holds now is replaced; one transaction, all or nothing.
        command = [postgres_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--single-transaction"]
        subprocess.run([*command, *args, str(path)], env=env, check=True)
    else:
        with sqlite3.connect(path) as source, sqlite3.connect(database["NAME"]) as target:
            source.backup(target)
        target.close()
    print(f"Restored {database['NAME']} from {path}")


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in {"backup", "restore"}:
        sys.exit(__doc__)
    {"backup": backup, "restore": restore}[sys.argv[1]](Path(sys.argv[2]))
