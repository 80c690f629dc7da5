"""The rules that span rows, under parallel requests to a live server (PostgreSQL), checked on the database after.

Each race is run for TRIALS trials; in each, the requests are released together from threads (one HTTP session
each) against Django's threaded live server, whose request threads each have a connection of their own. The
counts of trials and of failures (trials that broke the rule, and 5xx answers) are printed (`pytest -s -rA`).
"""

import threading
import time
import unittest

from django.db import connection, connections, transaction
from django.test import LiveServerTestCase, TransactionTestCase

from claims.corroboration.counting import recount_all
from claims.exchange.stored_cells import stale_cells
from claims.models import Claim, Link
from claims.rules import StaleVersion, check_version
from claims.services import create_claim, save_claim
from sources.importing import import_raw
from sources.models import MAX_PARENT_DEPTH, Agent, Capture
from sources.services import create_source
from tests.races import TRIALS, ApiRequestsAtOnce, report


def sentences(count: int) -> str:
    return " ".join(f"Sentence number {n} says the ferry sails at dawn." for n in range(count))


def capture_page(page: str, name: str, url: str, method=Capture.Method.TEXT):
    """A capture of a page at `url`, as `import_sources` makes one from a saved file."""
    return import_raw(data=page.encode(), file_name=name, method=method, url=url, imported_by="test")


@unittest.skipUnless(
    connection.vendor == "postgresql",
    "SQLite lets one writer in at a time, so parallel requests cannot race; this needs PostgreSQL (DATABASE_URL).",
)
class RuleRaceTests(ApiRequestsAtOnce, LiveServerTestCase):
    def test_moving_a_claim_while_linking_it_never_leaves_a_link_inside_one_source(self):
        here = create_source(title="Here", text=sentences(TRIALS), url="https://here.example/a")
        there = create_source(title="There", text=sentences(TRIALS), url="https://there.example/b")
        statuses, one_wins = [], 0
        for n in range(TRIALS):
            quote = f"Sentence number {n} says"
            moving = create_claim(source=here, quote=quote)
            partner = create_claim(source=there, quote=f"number {n} says the ferry")
            answers = self.at_once(
                ("PATCH", f"/api/claims/{moving.pk}/", {"source": there.pk, "version": moving.version}),
                ("POST", "/api/links/", {"claim_a": moving.pk, "claim_b": partner.pk}),
                stagger=(n % 10) * 0.004,  # sweeps the window between the move's check and its commit
            )
            statuses += answers
            one_wins += sorted(answers) in ([200, 400], [201, 400])  # the move, or the link, is refused
        inside_one_source = [
            link.pk
            for link in Link.objects.select_related("claim_a", "claim_b")
            if link.claim_a.source_id == link.claim_b.source_id
        ]
        self.report("move and link", len(inside_one_source), sum(s >= 500 for s in statuses), statuses)
        self.assertEqual(recount_all(repair=False), {}, "stored counts wrong after the races")
        self.assertEqual(one_wins, TRIALS, statuses)

    def test_deleting_a_claim_while_linking_it_answers_every_request_without_a_server_error(self):
        here = create_source(title="Kept", text=sentences(TRIALS), url="https://kept.example/a")
        there = create_source(title="Gone", text=sentences(TRIALS), url="https://gone.example/b")
        statuses, broken = [], 0
        for n in range(TRIALS):
            kept = create_claim(source=here, quote=f"Sentence number {n} says")
            doomed = create_claim(source=there, quote=f"number {n} says the ferry")
            answers = self.at_once(
                ("DELETE", f"/api/claims/{doomed.pk}/", None),
                ("POST", "/api/links/", {"claim_a": kept.pk, "claim_b": doomed.pk}),
                stagger=(n % 10) * 0.003,  # the link's checks before and after the delete's commit
            )
            statuses += answers
            broken += Link.objects.filter(claim_b=doomed.pk).exists() or answers[0] != 204
        self.report("delete and link", broken, sum(s >= 500 for s in statuses), statuses)
        self.assertEqual(recount_all(repair=False), {}, "stored counts wrong after the races")

    def test_links_added_to_one_claim_at_once_leave_every_stored_count_right(self):
        partners = 8
        statuses, broken = [], 0
        for n in range(TRIALS // 4):
            hub_source = create_source(title=f"Hub {n}", text=sentences(1), url=f"https://hub.example/{n}")
            hub = create_claim(source=hub_source, quote="Sentence number 0 says")
            others = [
                create_claim(
                    source=create_source(title=f"Paper {n}.{i}", text=sentences(1), url=f"https://p{i}.example/{n}"),
                    quote="Sentence number 0 says",
                )
                for i in range(partners)
            ]
            statuses += self.at_once(
                *[("POST", "/api/links/", {"claim_a": hub.pk, "claim_b": other.pk}) for other in others]
            )
            hub.refresh_from_db()
            broken += hub.corroborating_sources != partners
        drift = recount_all(repair=False)
        self.report("links to one claim", broken, sum(s >= 500 for s in statuses), statuses, trials=TRIALS // 4)
        self.assertEqual(drift, {}, "stored counts wrong after the races")

    def test_a_source_text_edited_while_a_claim_is_made_in_it_leaves_every_quote_at_its_offsets(self):
        statuses, broken = [], 0
        for n in range(TRIALS):
            text = f"Trial {n}: the harbour master said the pier would close in spring."
            source = create_source(title=f"Pier {n}", text=text, url=f"https://pier.example/{n}")
            statuses += self.at_once(
                ("PATCH", f"/api/sources/{source.pk}/", {"text": f"Trial {n}: rewritten, the pier stays open."}),
                ("POST", "/api/claims/", {"source": source.pk, "quote": "the pier would close in spring"}),
            )
        for claim in Claim.objects.select_related("source"):
            broken += claim.source.text[claim.start : claim.end] != claim.quote
        self.report("edit text and add claim", broken, sum(s >= 500 for s in statuses), statuses)

    def test_ten_deletes_of_one_claim_at_once_delete_it_once(self):
        source = create_source(title="Deletes", text=sentences(TRIALS), url="https://deletes.example/")
        statuses, broken = [], 0
        for n in range(TRIALS):
            claim = create_claim(source=source, quote=f"Sentence number {n} says")
            answers = self.at_once(*[("DELETE", f"/api/claims/{claim.pk}/", None)] * 10)
            statuses += answers
            deletions = Claim.history.filter(id=claim.pk, history_type="-").count()
            broken += deletions != 1 or answers.count(204) != 1 or Claim.objects.filter(pk=claim.pk).exists()
            self.assertEqual(sorted(set(answers)), [204, 404], answers)
        self.report("parallel deletes", broken, sum(s >= 500 for s in statuses), statuses)

    def test_two_organisations_made_each_others_parent_at_once_never_form_a_loop(self):
        statuses, broken = [], 0
        for n in range(TRIALS):
            first = Agent.objects.create(name=f"Group {n} East", kind=Agent.Kind.ORGANISATION)
            second = Agent.objects.create(name=f"Group {n} West", kind=Agent.Kind.ORGANISATION)
            statuses += self.at_once(
                ("PATCH", f"/api/agents/{first.pk}/", {"parent": second.pk}),
                ("PATCH", f"/api/agents/{second.pk}/", {"parent": first.pk}),
            )
            first.refresh_from_db()
            second.refresh_from_db()
            broken += first.parent_id == second.pk and second.parent_id == first.pk
        self.assertFalse(any(in_a_loop(agent) for agent in Agent.objects.all()))
        self.report("parents of each other", broken, sum(s >= 500 for s in statuses), statuses)


def in_a_loop(agent: Agent) -> bool:
    seen, current = set(), agent
    for _ in range(MAX_PARENT_DEPTH + 2):
        if current.parent_id is None:
            return False
        if current.pk in seen:
            return True
        seen.add(current.pk)
        current = Agent.objects.get(pk=current.parent_id)
    return True


@unittest.skipUnless(
    connection.vendor == "postgresql",
    "SQLite lets one writer in at a time, so an edit and a capture cannot deadlock; this needs PostgreSQL.",
)
class EditWhileRecapturingTests(TransactionTestCase):
    """An edit of a claim and a new capture of its source at once: the edit locks the source before the claim (as
    the capture does), so one waits for the other; before, each held what the other wanted and PostgreSQL
    aborted one of them as a deadlock."""

    def test_an_edit_and_a_new_capture_of_its_source_at_once_never_deadlock(self):
        trials, failures, outcomes = 4, [], []
        for n in range(trials):
            words = sentences(40)
            source = capture_page(words, f"page{n}.txt", f"https://race.example/{n}").source
            claim = create_claim(source=source, quote=f"Sentence number {n} says")
            barrier = threading.Barrier(2)
            errors: list[BaseException] = []

            def edit(claim=claim, barrier=barrier, errors=errors, n=n):
                try:
                    barrier.wait()
                    with transaction.atomic():
                        mine = Claim.objects.get(pk=claim.pk)
                        mine.statement = "edited"
                        check_version(claim_id=mine.pk, seen_version=mine.version, source_id=mine.source_id)
                        time.sleep(1.0 + 0.2 * (n % 3))  # holding what it locked while the capture starts
                        save_claim(mine, user=None, seen_version=mine.version)
                except BaseException as error:  # noqa: BLE001 (reported below)
                    errors.append(error)
                finally:
                    connections.close_all()

            def capture(source=source, barrier=barrier, errors=errors, n=n, words=words):
                try:
                    barrier.wait()
                    time.sleep(0.01 * (n % 4))
                    capture_page("Foreword. " + words, f"page{n}.txt", source.url)
                except BaseException as error:  # noqa: BLE001
                    errors.append(error)
                finally:
                    connections.close_all()

            threads = [threading.Thread(target=edit), threading.Thread(target=capture)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            failures += [repr(problem) for problem in errors if not isinstance(problem, StaleVersion)]
            outcomes.append(len(errors))
            claim.refresh_from_db()
            source.refresh_from_db()
            if source.text[claim.start : claim.end] != claim.quote:
                failures.append(f"trial {n}: the quote is not at its offsets")
        report(f"edit and re-capture: {trials} trials, {len(failures)} failed (deadlocks or wrong anchors)")
        self.assertEqual(failures, [])


@unittest.skipUnless(
    connection.vendor == "postgresql",
    "SQLite lets one writer in at a time, so a capture and requests cannot deadlock; this needs PostgreSQL.",
)
class CaptureRaceTests(ApiRequestsAtOnce, LiveServerTestCase):
    def test_a_new_capture_while_a_claim_moves_into_its_source_and_another_is_linked_never_deadlocks(self):
        words = sentences(12)
        elsewhere = create_source(title="Elsewhere", text=sentences(TRIALS), url="https://else.where/")
        statuses = []
        for n in range(TRIALS):
            captured = capture_page(words, f"page{n}.txt", f"https://cap.example/{n}").source
            anchored = create_claim(source=captured, quote="Sentence number 3 says")
            moving = create_claim(source=elsewhere, quote=f"Sentence number {n} says the ferry")
            partner = create_source(title=f"Partner {n}", text=sentences(1), url=f"https://partner.example/{n}")
            other = create_claim(source=partner, quote="Sentence number 0 says")

            def recapture(captured=captured, n=n):
                # A new version of the page: new words before, so the claims move, and a new title.
                page = f"<html><head><title>Page {n}, updated</title></head><body><p>Foreword.</p><p>{words}</p>"
                capture_page(page, f"page{n}.html", captured.url, method=Capture.Method.HTML)

            statuses += self.at_once(
                recapture,
                (
                    "PATCH",
                    f"/api/claims/{moving.pk}/",
                    {
                        "source": captured.pk,
                        "quote": "Sentence number 5 says",
                        "start": None,
                        "end": None,
                        "version": moving.version,
                    },
                ),
                ("POST", "/api/links/", {"claim_a": anchored.pk, "claim_b": other.pk}),
                stagger=(n % 5) * 0.005,  # the capture first, then each request a little later
            )
        misplaced = [
            claim.pk
            for claim in Claim.objects.select_related("source")
            if claim.source.text[claim.start : claim.end] != claim.quote
        ]
        self.report("new capture, move and link", len(misplaced), sum(s >= 500 for s in statuses), statuses)
        self.assertEqual(recount_all(repair=False), {}, "stored counts wrong after the races")
        self.assertEqual(stale_cells(), {})
