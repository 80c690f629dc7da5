"""Timing a command as a whole process against its floor, the way a user runs it (issue 26).

`timed` runs one process and returns its wall time, its CPU-seconds (user + system, from wait4), the CPU-seconds
of its PostgreSQL backends (read from /proc/PID/stat of the backends that carry the run's application_name, every
20 ms until it ends: the last 20 ms can be missed), its peak memory (GNU time) and the load average before it.
`show` prints rounds of a case against rounds of its floor, run in turns, with the medians of their ratios and,
given its `Target` (issue 26's), whether each limit is met and by how much it is missed.
Imported by the benchmarks that time whole processes (`from benchmarks.processes import …`, the repository's
root on the path: the benchmarks folder must not be, for it holds a csv.py).
"""

import os
import statistics
import subprocess
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PEAK = ["/usr/bin/time", "-f", "%M"]  # GNU time: the peak resident memory in KB
TICKS = os.sysconf("SC_CLK_TCK")


def claims_own_columns(alias: str = "c") -> str:
    """The claims' own columns (the model's), for the COPY floors' "every claim with its source": not the CSV cells
    PostgreSQL keeps on each claim for the export (claims.exchange.stored_cells), which the floor would otherwise
    write too, making itself slower and the export's ratio better. Django must be set up."""
    from claims.models import Claim

    return ", ".join(f'{alias}."{field.column}"' for field in Claim._meta.concrete_fields)


def psql_args() -> list[str]:
    return ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", os.environ["DATABASE_URL"]]


def backend_cpu(name: str, done: threading.Event, result: list) -> None:
    """CPU-seconds of the PostgreSQL backends whose application_name is `name`, polled until `done`."""
    import psycopg

    seen: dict[int, float] = {}
    with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as watcher:
        while not done.is_set():
            pids = [
                r[0] for r in watcher.execute("SELECT pid FROM pg_stat_activity WHERE application_name = %s", [name])
            ]
            for pid in pids:
                try:
                    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                seen[pid] = (int(fields[11]) + int(fields[12])) / TICKS
            time.sleep(0.02)
    result.append(sum(seen.values()))


def timed(args: list[str], *, stdout=subprocess.DEVNULL) -> dict:
    """Run one process (from the repository's root); its wall time, CPU, peak memory and its backends' CPU."""
    name = f"bench-{uuid.uuid4().hex[:12]}"
    env = {**os.environ, "PGAPPNAME": name}
    done, cpu = threading.Event(), []
    watcher = threading.Thread(target=backend_cpu, args=(name, done, cpu))
    watcher.start()
    load = os.getloadavg()[0]
    # The peak is read by GNU time, which starts the process: a child forked from this one (which holds the files
    # it checks) starts with its pages, and the kernel counts them in the child's own peak.
    peak = tempfile.NamedTemporaryFile(suffix=".peak")
    start = time.perf_counter()
    child = subprocess.Popen([*PEAK, "-o", peak.name, *args], env=env, cwd=ROOT, stdout=stdout)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    done.set()
    watcher.join()
    if child.returncode:
        raise SystemExit(f"{args} failed ({child.returncode})")
    return {
        "wall": wall,
        "cpu": usage.ru_utime + usage.ru_stime,
        "db_cpu": cpu[0],
        "rss_mb": int(Path(peak.name).read_text().split()[-1]) / 1024,
        "load": load,
    }


@dataclass(frozen=True)
class Target:
    """An issue's limits for a case: its wall time and CPU-seconds as multiples of its floor's, its peak memory."""

    wall: float | None = None
    cpu: float | None = None
    mb: float | None = None

    def verdict(self, wall: float, cpu: float, mb: float) -> str:
        """Each limit beside the figure: "wall 1.22x (target 1.3x: met)", "… (target 2x: MISSED by 0.65x)"."""
        said = []
        for name, value, limit, unit in (
            ("wall", wall, self.wall, "x"),
            ("CPU", cpu, self.cpu, "x"),
            ("peak", mb, self.mb, " MB"),
        ):
            if limit is None:
                continue
            shown = f"{value:.0f}{unit}" if unit == " MB" else f"{value:.2f}{unit}"
            missed = f"MISSED by {value - limit:.{0 if unit == ' MB' else 2}f}{unit}" if value > limit else "met"
            said.append(f"{name} {shown} (target {limit:g}{unit}: {missed})")
        return "; ".join(said)


def show(
    label: str, runs: list[dict], floors: list[dict], *, startup: dict | None = None, target: Target | None = None
) -> None:
    """Each round of `runs` beside its floor's, then the medians of their ratios (and, given Django's `startup`
    alone, the same less it), and given a `target`, each of its limits against the figure."""
    for n, (run, floor) in enumerate(zip(runs, floors, strict=True), 1):
        print(
            f"  {label} round {n}: {run['wall']:.2f} s wall, {run['cpu']:.2f} + {run['db_cpu']:.2f} (db) CPU-s, "
            f"{run['rss_mb']:.0f} MB | floor {floor['wall']:.2f} s, {floor['cpu']:.2f} + {floor['db_cpu']:.2f} (db) "
            f"CPU-s | load {run['load']:.2f} / {floor['load']:.2f}"
        )
    pairs = list(zip(runs, floors, strict=True))
    wall = statistics.median(r["wall"] / f["wall"] for r, f in pairs)
    cpu = statistics.median((r["cpu"] + r["db_cpu"]) / (f["cpu"] + f["db_cpu"]) for r, f in pairs)
    peak = max(r["rss_mb"] for r in runs)
    print(f"  {label}: median {wall:.2f}x the floor in wall time, {cpu:.2f}x in CPU-seconds; peak {peak:.0f} MB")
    if target is not None:
        print(f"  {label} against its target: {target.verdict(wall, cpu, peak)}")
    if startup is None:
        return
    net_wall = statistics.median((r["wall"] - startup["wall"]) / f["wall"] for r, f in pairs)
    net_cpu = statistics.median((r["cpu"] - startup["cpu"] + r["db_cpu"]) / (f["cpu"] + f["db_cpu"]) for r, f in pairs)
    print(f"  {label} less Django's start-up: {net_wall:.2f}x the floor in wall time, {net_cpu:.2f}x in CPU-seconds")
