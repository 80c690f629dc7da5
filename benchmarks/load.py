"""Fifty annotators at once against a real `make serve` on PostgreSQL, while full CSV exports run (issue 14).

    flock /work/bench.lock .venv/bin/python benchmarks/load.py [--annotators 50 --rounds 4 --claims 50000]

Loopback only, bounded in requests (annotators x rounds, exporters x --exports) and in time (--max-seconds).
The database (--database-url, claimtrail_load_bench by default) is dropped, migrated and seeded with
`seed_synthetic` on each run, so every run starts from the same state; then `make serve` (DEBUG off, gunicorn
with config/gunicorn.py) is started on a free port, and each simulated annotator, in a thread of its own:

  logs in through the admin's login form (CSRF token and all), then each round
  opens its source's annotate page; adds a claim on a few words of it through the editor's endpoint;
  edits one of a few shared claims through the admin's change form, which carries the version it was
  opened on; every --stale-every'th edit is deliberately stale (the form is opened twice, the second copy
  saved, then the first); links its new claim to a claim of another source through the editor;
  searches the claim list.

Meanwhile --exporters Reviewers download the full claims CSV through the admin's export, again and again
(at most --exports each) while the annotators work. First, one annotator does --solo-rounds rounds alone:
the median time of each kind of request without load, the floor the loaded p95 is set against.

It prints requests/s, p50/p95/p99 per kind of request and the 5xx count; then it checks against the database
that every acknowledged write (a claim or link answered 200, a change form answered 302) is there as sent,
that no refused write is, that the accepted edits of each shared claim were each made from the version
before it (the version rule of claims/rules.py: none saved over another) and that every deliberately
stale save was refused, and that every export is whole: the header, every line complete, and a snapshot
of the claims (every claim that existed when it was asked for, none that did not exist when it ended).
The exit status is 1 if any request got a 5xx or failed, or any of those checks fails.

The annotators are threads driving `requests` sessions rather than locust: the checks need each
acknowledged write's own answer, kept per request and read back after the run, which plain threads keep
simply; locust's gevent workers and statistics would add a second runtime for what 50 threads do here.
"""

import argparse
import io
import os
import sys

# This folder holds csv.py (the CSV benchmark): take the standard library's csv before it can shadow it.
HERE = sys.path.pop(0)
import csv  # noqa: E402

sys.path.insert(0, HERE)

DEFAULT_DATABASE = "postgres://postgres@127.0.0.1:5432/claimtrail_load_bench"


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=DEFAULT_DATABASE, help="dropped and rebuilt on each run")
    parser.add_argument("--annotators", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=4, help="rounds of work per annotator")
    parser.add_argument("--solo-rounds", type=int, default=3, help="rounds of one annotator alone first (the floor)")
    parser.add_argument("--shared", type=int, default=10, help="claims every annotator edits")
    parser.add_argument("--stale-every", type=int, default=4, help="every n-th edit is deliberately stale")
    parser.add_argument("--exporters", type=int, default=2)
    parser.add_argument("--exports", type=int, default=5, help="most exports per exporter")
    parser.add_argument("--claims", type=int, default=50_000, help="seeded claims (1 source per 100, 1 link per 5)")
    parser.add_argument("--max-seconds", type=float, default=900, help="no new round or export starts after this")
    return parser.parse_args()


ARGS = arguments()
# Django in this process reads and checks the server's database.
os.environ["DATABASE_URL"] = ARGS.database_url

import harness  # noqa: E402,F401  sets Django up: import it before anything of Django

import random  # noqa: E402
import re  # noqa: E402
import secrets  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from collections import Counter, defaultdict  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from html.parser import HTMLParser  # noqa: E402
from pathlib import Path  # noqa: E402
from tempfile import TemporaryDirectory  # noqa: E402

from django.db import connection  # noqa: E402
from served import Serve, Visitor, create_database, manage, server_env, staff_users  # noqa: E402

from claims.exchange.columns import HEADER, csv_line  # noqa: E402
from claims.models import Claim, Link  # noqa: E402
from claims.rules import STALE_MESSAGE  # noqa: E402
from sources.models import Source  # noqa: E402

PASSWORD = secrets.token_urlsafe(16)
RUN = secrets.token_hex(4)  # in every statement and note written, to find them again
STALE_SIGN = STALE_MESSAGE.split(".")[0]  # "Someone else saved this claim after you opened it"
SEARCH_WORDS = ["harbour", "budget", "bridge", "election", "strike", "Northport", "2017", "grain price"]


# What was sent and what the server answered -------------------------------------------------------------


@dataclass
class Ledger:
    """Every request's time and status, and every write with its answer, from all threads."""

    timings: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    failures: list[str] = field(default_factory=list)
    added: list[dict] = field(default_factory=list)  # {"ok", "claim", "source", "start", "end", "quote", "statement"}
    edits: list[dict] = field(default_factory=list)  # {"ok", "claim", "seen", "statement", "stale_on_purpose", "why"}
    links: list[dict] = field(default_factory=list)  # {"ok", "claims", "note"}
    exports: list[dict] = field(default_factory=list)  # {"status", "error", "body", "before", "after"}
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, kind: str, seconds: float, status: int) -> None:
        with self.lock:
            self.timings[kind].append(seconds * 1000)
            self.statuses[kind][status] += 1

    def write(self, into: list, entry: dict) -> None:
        with self.lock:
            into.append(entry)

    def fail(self, message: str) -> None:
        with self.lock:
            self.failures.append(message)


class FormFields(HTMLParser):
    """The (name, value) pairs a browser submits from the form with this id, as the page was served."""

    def __init__(self, form_id: str):
        super().__init__(convert_charrefs=True)
        self.form_id, self.inside, self.select, self.textarea = form_id, False, None, None
        self.fields: list[tuple[str, str]] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.inside = attrs.get("id") == self.form_id
        elif not self.inside or "disabled" in attrs:
            return
        elif tag == "input" and attrs.get("name"):
            kind = attrs.get("type", "text")
            if kind in {"checkbox", "radio"} and "checked" not in attrs:
                return
            if kind not in {"submit", "button", "image", "file", "reset"}:
                self.fields.append((attrs["name"], attrs.get("value") or ("on" if kind == "checkbox" else "")))
        elif tag == "select" and attrs.get("name"):
            self.select = attrs["name"]
        elif tag == "option" and self.select and "selected" in attrs:
            self.fields.append((self.select, attrs.get("value", "")))
        elif tag == "textarea" and attrs.get("name"):
            self.textarea = (attrs["name"], [])

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self.select = None
        elif tag == "textarea" and self.textarea:
            name, parts = self.textarea
            self.fields.append((name, "".join(parts).removeprefix("\n")))  # as a browser drops the first newline
            self.textarea = None

    def handle_data(self, data):
        if self.textarea:
            self.textarea[1].append(data)


def form_fields(html: str, form_id: str) -> list[tuple[str, str]]:
    reader = FormFields(form_id)
    reader.feed(html)
    return reader.fields


# The people ---------------------------------------------------------------------------------------------


@dataclass
class World:
    """What the annotators work on, read from the database before the run."""

    sources: list[tuple[int, str]]  # (id, text)
    shared: list[int]  # claim ids every annotator edits
    others: list[tuple[int, int]]  # (claim id, source id) to link to
    deadline: float


class Annotator:
    def __init__(self, number: int, base: str, world: World, ledger: Ledger, rounds: int):
        self.number, self.world, self.ledger, self.rounds = number, world, ledger, rounds
        self.visitor = Visitor(base, ledger.record)
        self.random = random.Random(number)
        self.source_id, self.text = world.sources[number % len(world.sources)]
        self.edits = 0

    def run(self, stale_every: int) -> None:
        try:
            self.visitor.log_in(f"load-annotator-{self.number}", PASSWORD)
            for round_number in range(self.rounds):
                if time.monotonic() > self.world.deadline:
                    return
                self.one_round(round_number, stale_every)
        except Exception as error:  # a broken connection or an unexpected answer: reported, and the run fails
            self.ledger.fail(f"annotator {self.number}: {error!r}")

    def one_round(self, round_number: int, stale_every: int) -> None:
        tag = f"load {RUN} annotator {self.number} round {round_number}"
        annotate = self.visitor.get("annotate page", f"/admin/annotate/source/{self.source_id}/")
        self.expect(annotate, {200})
        new_claim = self.add_claim(f"{tag} added")
        shared = self.world.shared[(self.number + round_number) % len(self.world.shared)]
        self.edits += 1
        if self.edits % stale_every == 0:
            self.stale_edit(shared, tag)
        else:
            self.edit(shared, self.change_form(shared), f"{tag} edit", stale_on_purpose=False)
        if new_claim is not None:
            self.link(new_claim, f"{tag} link")
        word = self.random.choice(SEARCH_WORDS)
        self.expect(self.visitor.get("search claim list", "/admin/claims/claim/", params={"q": word}), {200})

    def expect(self, response, statuses: set[int]) -> None:
        if response.status_code not in statuses:
            self.ledger.fail(f"{response.request.method} {response.url}: HTTP {response.status_code}")

    def add_claim(self, statement: str) -> int | None:
        words = [m.span() for m in re.finditer(r"\S+", self.text)]
        first = self.random.randrange(len(words))
        last = min(len(words) - 1, first + self.random.randint(2, 9))
        start, end = words[first][0], words[last][1]
        form = {"quote": self.text[start:end], "start": start, "end": end, "speaker": "", "claimed_on": "2017"}
        form.update({"kind": "", "statement": statement})
        response = self.visitor.post("add claim", f"/admin/annotate/source/{self.source_id}/claims/", form)
        self.expect(response, {200, 422})  # 422: these words are already a claim
        claim = response.json()["claim"] if response.status_code == 200 else None
        entry = {"ok": claim is not None, "claim": claim, "source": self.source_id, "start": start, "end": end}
        self.ledger.write(self.ledger.added, {**entry, "quote": form["quote"], "statement": statement})
        return claim

    def change_form(self, claim: int) -> list[tuple[str, str]]:
        response = self.visitor.get("open change form", f"/admin/claims/claim/{claim}/change/")
        response.raise_for_status()
        return form_fields(response.text, "claim_form")

    def edit(self, claim: int, fields: list[tuple[str, str]], statement: str, *, stale_on_purpose: bool) -> bool:
        """Save the change form as it was opened, with a new statement: True when the save was acknowledged."""
        seen = int(dict(fields)["seen_version"])
        data = [(name, statement if name == "statement" else value) for name, value in fields] + [("_save", "Save")]
        kind = "save stale change form" if stale_on_purpose else "save change form"
        response = self.visitor.post(kind, f"/admin/claims/claim/{claim}/change/", data)
        self.expect(response, {200, 302})  # 200: the form again, with why it was refused
        saved = response.status_code == 302
        why = "" if saved else ("stale" if STALE_SIGN in response.text else "other")
        entry = {"ok": saved, "claim": claim, "seen": seen, "statement": statement, "why": why}
        self.ledger.write(self.ledger.edits, {**entry, "stale_on_purpose": stale_on_purpose})
        return saved

    def stale_edit(self, claim: int, tag: str) -> None:
        """Open the form twice, save the second copy; saving the first then is saving over someone's change."""
        first, second = self.change_form(claim), self.change_form(claim)
        if self.edit(claim, second, f"{tag} edit", stale_on_purpose=False):
            self.edit(claim, first, f"{tag} stale edit", stale_on_purpose=True)

    def link(self, claim: int, note: str) -> None:
        other, _ = self.random.choice([o for o in self.world.others if o[1] != self.source_id])
        relation = self.random.choice(["corroborates", "contradicts"])
        form = {"other": other, "relation": relation, "note": note}
        response = self.visitor.post("link", f"/admin/annotate/claim/{claim}/links/", form)
        self.expect(response, {200, 422})  # 422: refused by the link rule (already linked)
        self.ledger.write(
            self.ledger.links, {"ok": response.status_code == 200, "claims": {claim, other}, "note": note}
        )


def claim_ids() -> set[int]:
    return set(Claim.objects.values_list("pk", flat=True))


def exporter(number: int, base: str, ledger: Ledger, most: int, deadline: float, annotating: threading.Event) -> None:
    visitor = Visitor(base, ledger.record)
    try:
        visitor.log_in("load-reviewer", PASSWORD)
        for done in range(most):
            if done and (not annotating.is_set() or time.monotonic() > deadline):
                return
            before = claim_ids()
            body = io.BytesIO()
            status, error = visitor.export_claims(body, kind="full CSV export")
            ledger.write(
                ledger.exports,
                {"status": status, "error": error, "body": body.getvalue(), "before": before, "after": claim_ids()},
            )
    except Exception as error:
        ledger.fail(f"exporter {number}: {error!r}")
    finally:
        connection.close()


# The checks ---------------------------------------------------------------------------------------------


def check_writes(ledger: Ledger, initial_versions: dict[int, int]) -> list[str]:
    """Every acknowledged write is in the database as sent; no refused write is; the version rule held."""
    problems = []
    acknowledged = [a for a in ledger.added if a["ok"]]
    stored = {
        c["pk"]: c
        for c in Claim.objects.filter(pk__in=[a["claim"] for a in acknowledged]).values(
            "pk", "source", "start", "end", "quote", "statement"
        )
    }
    for added in acknowledged:
        row = stored.get(added["claim"])
        wanted = {k: added[k] for k in ("source", "start", "end", "quote", "statement")}
        if row is None or {k: row[k] for k in wanted} != wanted:
            problems.append(f"lost write: added claim {added['claim']} is {row}, sent {wanted}")
    refused = [a["statement"] for a in ledger.added if not a["ok"]]
    for pk in Claim.objects.filter(statement__in=refused).values_list("pk", flat=True):
        problems.append(f"a refused claim was stored: #{pk}")

    links = {
        note: {a, b} for a, b, note in Link.objects.filter(note__contains=RUN).values_list("claim_a", "claim_b", "note")
    }
    for link in ledger.links:
        if link["ok"] and links.get(link["note"]) != link["claims"]:
            problems.append(f"lost write: link {link['note']!r} is {links.get(link['note'])}, sent {link['claims']}")
        if not link["ok"] and link["note"] in links:
            problems.append(f"a refused link was stored: {link['note']!r}")

    history = set(Claim.history.filter(statement__contains=RUN).values_list("id", "statement"))
    current = dict(Claim.objects.filter(pk__in=initial_versions).values_list("pk", "version"))
    statements = dict(Claim.objects.filter(pk__in=initial_versions).values_list("pk", "statement"))
    for claim, initial in initial_versions.items():
        edits = [e for e in ledger.edits if e["claim"] == claim]
        accepted = sorted((e for e in edits if e["ok"]), key=lambda e: e["seen"])
        # Each accepted save took the version it was opened on to the next: one per version, none skipped.
        if [e["seen"] for e in accepted] != list(range(initial, current[claim])):
            seen = [e["seen"] for e in accepted]
            problems.append(f"claim {claim}: accepted saves opened on versions {seen}, went {initial}→{current[claim]}")
        if accepted and statements[claim] != accepted[-1]["statement"]:
            problems.append(f"claim {claim}: the last accepted save is not what the claim says")
        for edit in edits:
            if edit["ok"] and (claim, edit["statement"]) not in history:
                problems.append(f"lost write: claim {claim}'s save {edit['statement']!r} has no history row")
            if not edit["ok"] and (claim, edit["statement"]) in history:
                problems.append(f"a refused save went through: claim {claim}, {edit['statement']!r}")
            if edit["stale_on_purpose"] and (edit["ok"] or edit["why"] != "stale"):
                problems.append(f"stale save not refused as stale: claim {claim}, {edit['statement']!r}")
    return problems


def check_exports(ledger: Ledger) -> list[str]:
    """Each export is the whole CSV of one moment's claims: header, complete lines, no claim missing or made up."""
    problems = []
    header = csv_line(HEADER).encode()
    for number, export in enumerate(ledger.exports, 1):
        body, name = export["body"], f"export {number}"
        if export["status"] != 200 or export["error"]:
            problems.append(f"{name}: HTTP {export['status']} {export['error']} after {len(body):,} bytes")
            continue
        if not body.startswith(header) or not body.endswith(b"\n"):
            problems.append(f"{name}: {len(body):,} bytes, the header or the last line is cut")
            continue
        rows = list(csv.reader(io.StringIO(body.decode(), newline="")))[1:]
        ids = [int(row[0]) for row in rows if len(row) == len(HEADER)]
        if len(ids) != len(rows) or len(set(ids)) != len(ids):
            problems.append(f"{name}: {len(rows)} rows, {len(ids)} whole, {len(set(ids))} different claims")
        elif not export["before"] <= set(ids) <= export["after"]:
            missing, unknown = len(export["before"] - set(ids)), len(set(ids) - export["after"])
            problems.append(f"{name}: {missing} claims missing, {unknown} claims that did not exist")
    return problems


# The run ------------------------------------------------------------------------------------------------


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


def prepare(env: dict[str, str]) -> None:
    started = time.perf_counter()
    create_database(ARGS.database_url, drop=True)
    manage("migrate", "--noinput", "-v0", env=env)
    claims = ARGS.claims
    seeded = ["--sources", str(max(1, claims // 100)), "--claims", str(claims), "--links", str(claims // 5)]
    manage("seed_synthetic", *seeded, "--seed", "1", env=env)
    staff_users([f"load-annotator-{n}" for n in range(ARGS.annotators + 1)], role="Annotator", password=PASSWORD)
    staff_users(["load-reviewer"], role="Reviewer", password=PASSWORD)
    print(
        f"database {ARGS.database_url.rsplit('/', 1)[1]}: {claims:,} claims, seeded in "
        f"{time.perf_counter() - started:.0f} s"
    )


def the_world(deadline: float) -> World:
    synthetic = Source.objects.filter(url__contains="synthetic-paper").order_by("pk")
    sources = list(synthetic.values_list("pk", "text")[: ARGS.annotators + 1])
    drafts = Claim.objects.filter(status=Claim.Status.DRAFT, source__in=synthetic).order_by("pk")
    shared = list(drafts.values_list("pk", flat=True)[: ARGS.shared])
    others = list(Claim.objects.order_by("?").values_list("pk", "source_id")[:2000])
    return World(sources=sources, shared=shared, others=others, deadline=deadline)


def report(ledger: Ledger, floor: dict[str, float], seconds: float) -> int:
    total = sum(len(times) for times in ledger.timings.values())
    print(
        f"\n{'request':<24} {'n':>5} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'alone ms':>9} "
        f"{'p95/alone':>9}  statuses"
    )
    for kind in sorted(ledger.timings):
        times = ledger.timings[kind]
        alone = floor.get(kind)
        ratio = f"{percentile(times, 95) / alone:9.1f}" if alone else f"{'':>9}"
        statuses = " ".join(f"{s}×{n}" for s, n in sorted(ledger.statuses[kind].items()))
        row = f"{kind:<24} {len(times):>5} {percentile(times, 50):>8.0f} {percentile(times, 95):>8.0f}"
        print(f"{row} {percentile(times, 99):>8.0f} {alone or 0:>9.0f} {ratio}  {statuses}")
    server_errors = sum(n for c in ledger.statuses.values() for s, n in c.items() if s >= 500)
    print(f"\n{total:,} requests in {seconds:.1f} s: {total / seconds:.1f} requests/s; 5xx: {server_errors}")
    added, edits, links = ledger.added, ledger.edits, ledger.links
    print(
        f"writes: claims added {sum(a['ok'] for a in added)} (refused {sum(not a['ok'] for a in added)}); "
        f"change-form saves accepted {sum(e['ok'] for e in edits)}, refused as stale "
        f"{sum(e['why'] == 'stale' for e in edits)}, refused otherwise {sum(e['why'] == 'other' for e in edits)}; "
        f"deliberately stale {sum(e['stale_on_purpose'] for e in edits)}; "
        f"links {sum(link['ok'] for link in links)} (refused {sum(not link['ok'] for link in links)})"
    )
    exported = [len(e["body"]) for e in ledger.exports]
    print(f"exports: {len(exported)}, {sum(exported) / 1e6:.1f} MB in all")
    return server_errors


def main() -> int:
    env = server_env(ARGS.database_url)
    prepare(env)
    ledger = Ledger()
    starting = time.perf_counter()
    with TemporaryDirectory() as scratch, Serve(env, Path(scratch) / "serve.log") as server:
        print(f"make serve listening after {time.perf_counter() - starting:.0f} s")
        base = f"http://127.0.0.1:{server.port}"
        world = the_world(deadline=time.monotonic() + ARGS.max_seconds)
        initial_versions = dict(Claim.objects.filter(pk__in=world.shared).values_list("pk", "version"))
        connection.close()  # the threads below use connections of their own

        for _ in range(4 * int(os.environ.get("WEB_WORKERS", "2"))):  # every worker loads its URLs and templates
            Visitor(base).get("warm-up", "/admin/login/").raise_for_status()
        solo = Ledger()
        alone = Annotator(ARGS.annotators, base, world, solo, ARGS.solo_rounds)
        alone.run(ARGS.stale_every)
        floor = {kind: percentile(times, 50) for kind, times in solo.timings.items()}
        print(f"load average before the load: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")

        annotating = threading.Event()
        annotating.set()
        annotators = [Annotator(n, base, world, ledger, ARGS.rounds) for n in range(ARGS.annotators)]
        threads = [threading.Thread(target=a.run, args=(ARGS.stale_every,)) for a in annotators]
        exporters = [
            threading.Thread(target=exporter, args=(n, base, ledger, ARGS.exports, world.deadline, annotating))
            for n in range(ARGS.exporters)
        ]
        started = time.perf_counter()
        for thread in exporters + threads:
            thread.start()
        for thread in threads:
            thread.join()
        annotating.clear()
        for thread in exporters:
            thread.join()
        seconds = time.perf_counter() - started
        print(f"load average after the load: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        log = server.output()

    print(
        f"\n{ARGS.annotators} annotators x {ARGS.rounds} rounds, {ARGS.exporters} exporters, "
        f"{ARGS.claims:,} claims; make serve: {os.environ.get('WEB_WORKERS', '2')} workers x "
        f"{os.environ.get('WEB_THREADS', '8')} threads"
    )
    server_errors = report(ledger, floor, seconds)
    # The solo pass's writes are checked with the rest.
    for name in ("added", "edits", "links", "failures"):
        getattr(ledger, name).extend(getattr(solo, name))
    problems = ledger.failures + check_writes(ledger, initial_versions) + check_exports(ledger)
    if server_errors:
        problems.append(f"{server_errors} responses were 5xx")
    if "WORKER TIMEOUT" in log:
        problems.append("gunicorn killed a worker (WORKER TIMEOUT)")
    print(
        f"checked: {sum(a['ok'] for a in ledger.added)} added claims, {sum(e['ok'] for e in ledger.edits)} saves "
        f"over {len(initial_versions)} shared claims, {sum(link['ok'] for link in ledger.links)} links, "
        f"{len(ledger.exports)} exports"
    )
    for problem in problems[:50]:
        print(f"FAILED: {problem}")
    print("FAILED" if problems else "OK: no 5xx, no lost write, no stale save accepted, no export cut short")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
