"""The cells a claim keeps from other rows (claims.exchange.stored_cells: its source's title, publisher and authors,
its speaker's and annotator's names) stay right when those rows change while the claim is written (PostgreSQL: SQLite
keeps no cells, and lets one writer in at a time).

At the database, each pair of writes is run both ways: the first is written and its transaction held open while
the second runs in another, then the first commits. Without the triggers' locks (LENDERS_LOCKED) the pairs in which
a person or an account is renamed leave a claim with the old name; those in which a source changes are also held by
the source's row, which the services lock to anchor claims. Then writes that change no cell, which wait for nothing; and
requests at once against a live server, through the API, which must leave no stale cell and meet no deadlock.
"""

import random
import threading
import unittest
from collections.abc import Callable

from django.contrib.auth.models import User
from django.db import connection, transaction
from django.test import LiveServerTestCase, TestCase, TransactionTestCase
from django.utils import timezone

from claims.corroboration.counting import recount_all
from claims.exchange.stored_cells import stale_cells, stored_columns
from claims.models import Claim
from claims.services import create_claim, save_claim
from common.history import recorded_as
from common.locks import LENDER_CLASSES, LENDER_SLOTS
from sources.models import Agent, Source
from sources.services import agent_named, create_source, merge_agents, save_agent, update_source
from tests.races import TRIALS, ApiRequestsAtOnce
from tests.test_csv_import import csv_text, import_text
from tests.test_races_rules import capture_page

ONLY_POSTGRESQL = unittest.skipUnless(
    connection.vendor == "postgresql",
    "the cells are kept by PostgreSQL's triggers, and SQLite lets one writer in at a time; this needs DATABASE_URL",
)
HELD_FOR = 1.0  # seconds the second write is given while the first one's transaction is held open


def held_open_while(first: Callable[[], object], second: Callable[[], object]) -> bool:
    """Write `first` in a transaction held open while `second` runs in another (each on a thread, so a connection, of
    its own), then commit `first`; raise what either raised. Whether `second` was still waiting when `first` was let
    go (HELD_FOR later)."""
    written, release, errors = threading.Event(), threading.Event(), []

    def hold() -> None:
        try:
            with transaction.atomic():
                first()
                written.set()
                release.wait(30)
        except Exception as error:  # noqa: BLE001 - raised again in the test's thread
            errors.append(error)
        finally:
            written.set()
            connection.close()

    def then() -> None:
        try:
            with transaction.atomic():
                second()
        except Exception as error:  # noqa: BLE001 - raised again in the test's thread
            errors.append(error)
        finally:
            connection.close()

    holder = threading.Thread(target=hold)
    holder.start()
    written.wait(30)
    follower = threading.Thread(target=then)
    follower.start()
    follower.join(HELD_FOR)  # it finishes now unless a lock makes it wait for the first one's commit
    waited = follower.is_alive()
    release.set()
    holder.join()
    follower.join()
    if errors:
        raise errors[0]
    return waited


def kept(claim_quote: str) -> dict[str, str | None]:
    """The cells the claim with this quote keeps, by the CSV's column."""
    stored = {f"stored_{name}": cell for name, cell in stored_columns().items()}
    row = Claim.objects.filter(quote=claim_quote).annotate(**stored).values(*stored).get()
    return {name.removeprefix("stored_"): cell for name, cell in row.items()}


def claim_in_the_source(trial: int, **fields) -> None:
    """A claim in the only source: on its first sentence in trial 1, on its second in trial 0."""
    create_claim(source=Source.objects.get(), quote="The pier" if trial else "The ferry", **fields)


def rename(agent_id: int, name: str) -> None:
    """Rename a person or organisation through its one door."""
    agent = Agent.objects.get(pk=agent_id)
    agent.name = name
    save_agent(agent, user=None)


def lock_table_size() -> int:
    """How many locks PostgreSQL's shared lock table holds, for every transaction together: max_locks_per_transaction
    for each process that may take them (its backends, prepared transactions, autovacuum and other workers)."""
    settings = ["max_connections", "max_prepared_transactions", "autovacuum_max_workers", "max_worker_processes"]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_setting('max_locks_per_transaction')::int * ("
            + " + ".join(f"current_setting('{name}')::int" for name in settings)
            + " + 1)"
        )
        return cursor.fetchone()[0]


def sharing_slots(project, name: str, *, each: int, groups: int) -> list[list[Agent]]:
    """`groups` groups of `each` new people whose ids fall in the same lock slot (common.locks.LENDER_SLOTS)."""
    people = Agent.objects.bulk_create(
        Agent(name=f"{name} {i}", project=project) for i in range((each - 1) * LENDER_SLOTS + groups)
    )
    by_slot = {}
    for person in people:
        by_slot.setdefault(person.pk % LENDER_SLOTS, []).append(person)
    return [mates[:each] for mates in by_slot.values() if len(mates) >= each][:groups]


@ONLY_POSTGRESQL
class ManyLendersInOneTransactionTests(TestCase):
    def test_a_transaction_naming_more_sources_and_people_than_the_lock_table_holds_goes_through(self):
        # Seeding or importing a million claims of 10,000 sources names that many in one transaction: with a lock a
        # lender, the lock table overflowed ("out of shared memory") and the whole write failed.
        many = lock_table_size() * 3 // 2
        first = create_source(title="Pier notes", text="Pier.", url="https://pier.example/")
        people = Agent.objects.bulk_create(Agent(name=f"Author {i}", project=first.project) for i in range(many))
        sources = Source.objects.bulk_create(
            Source(title=f"Pier notes {i}", text="Pier.", url=f"https://pier.example/{i}", project=first.project)
            for i in range(many)
        )
        Source.authors.through.objects.bulk_create(  # a change of what a source lends: locks each source
            Source.authors.through(source=source, agent=person) for source, person in zip(sources, people, strict=True)
        )
        # Statistics for these rows, as autovacuum keeps them once rows are committed: planned for empty tables, the
        # claims' cells were read by scanning every person for each source (49 s here).
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE sources_agent, sources_source, sources_source_authors")
        Claim.objects.bulk_create(  # claims' cells computed: locks each source and speaker
            Claim(source=source, quote="Pier", start=0, end=4, speaker=person, kind="direct_quote")
            for source, person in zip(sources, people, strict=True)
        )
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT classid, count(DISTINCT objid) FROM pg_locks WHERE locktype = 'advisory' "
                "AND pid = pg_backend_pid() GROUP BY classid ORDER BY classid"
            )
            held = dict(cursor.fetchall())
        # a slot held shared and exclusive is two of PostgreSQL's locks, one lock-table entry
        self.assertEqual(held, {LENDER_CLASSES["source"]: LENDER_SLOTS, LENDER_CLASSES["agent"]: LENDER_SLOTS})
        self.assertEqual(stale_cells(), {})  # every claim keeps its source's author


@ONLY_POSTGRESQL
class CellsUnderTwoWritersTests(TransactionTestCase):
    def setUp(self):
        self.source = create_source(
            title="Old title", text="The pier would close in spring. The ferry sails at dawn.", url="https://a.example/"
        )
        self.source_quote = "The pier would close in spring."

    def both_ways(self, write_claim: Callable[[int], object], change: Callable[[int], object]) -> None:
        """The claim first and the change second, then the change first (trial 1): each claim's cells right after."""
        for trial, (first, second) in enumerate([(write_claim, change), (change, write_claim)]):
            with self.subTest("the claim first" if trial == 0 else "the change first"):
                held_open_while(lambda first=first, trial=trial: first(trial), lambda s=second, t=trial: s(t))
                self.assertEqual(stale_cells(), {})

    def test_a_claim_written_while_its_source_is_renamed_keeps_the_new_title(self):
        self.both_ways(
            claim_in_the_source, lambda trial: update_source(source=Source.objects.get(), title=f"Title {trial}")
        )
        self.assertEqual(kept("The pier")["source_title"], "Title 1")

    def test_a_claim_written_while_its_source_gains_an_author_keeps_the_author(self):
        authors = [agent_named("Ann Author"), agent_named("Bo Author")]
        self.both_ways(
            claim_in_the_source, lambda trial: update_source(source=Source.objects.get(), authors=authors[: trial + 1])
        )
        self.assertEqual(kept("The pier")["authors"], "Ann Author; Bo Author")

    def test_a_claim_written_while_its_speaker_is_renamed_keeps_the_new_name(self):
        speaker = agent_named("Old Speaker")
        self.both_ways(
            lambda trial: claim_in_the_source(trial, speaker=speaker),
            lambda trial: rename(speaker.pk, f"Speaker {trial}"),
        )
        self.assertEqual(kept("The pier")["speaker"], "Speaker 1")

    def test_a_claim_written_while_its_sources_publisher_is_renamed_keeps_the_new_name(self):
        publisher = agent_named("Old Ledger", kind=Agent.Kind.ORGANISATION)
        update_source(source=self.source, publisher=publisher)
        self.both_ways(claim_in_the_source, lambda trial: rename(publisher.pk, f"Ledger {trial}"))
        self.assertEqual(kept("The pier")["publisher"], "Ledger 1")

    def test_a_claim_written_while_its_annotator_is_renamed_keeps_the_new_name(self):
        annotator = User.objects.create_user("old_name")

        def write_claim(trial):
            Claim.objects.create(
                source=Source.objects.get(),
                quote="The pier" if trial else "The ferry",
                start=0 if trial else 32,
                end=8 if trial else 41,
                created_by_id=annotator.pk,
            )

        self.both_ways(
            write_claim, lambda trial: User.objects.filter(pk=annotator.pk).update(username=f"annotator_{trial}")
        )
        self.assertEqual(kept("The pier")["annotator"], "annotator_1")

    def test_a_claim_moved_into_a_source_being_renamed_keeps_the_new_title(self):
        elsewhere = create_source(title="Elsewhere", text=self.source.text, url="https://elsewhere.example/")
        claims = [create_claim(source=elsewhere, quote=quote) for quote in ("The ferry", "The pier")]

        def move(trial):
            claim = Claim.objects.get(pk=claims[trial].pk)
            claim.source = Source.objects.get(pk=self.source.pk)
            save_claim(claim, user=None, seen_version=claim.version)

        self.both_ways(
            move, lambda trial: update_source(source=Source.objects.get(pk=self.source.pk), title=f"T {trial}")
        )
        self.assertEqual(kept("The pier")["source_title"], "T 1")

    def test_a_source_given_a_publisher_being_renamed_lends_its_claims_the_new_name(self):
        create_claim(source=self.source, quote="The pier")
        publishers = [agent_named(f"Paper {n}", kind=Agent.Kind.ORGANISATION) for n in range(2)]

        def give(trial):
            update_source(source=Source.objects.get(), publisher=Agent.objects.get(pk=publishers[trial].pk))

        self.both_ways(give, lambda trial: rename(publishers[trial].pk, f"Renamed paper {trial}"))
        self.assertEqual(kept("The pier")["publisher"], "Renamed paper 1")

    def test_a_person_made_an_author_while_being_renamed_lends_the_sources_claims_the_new_name(self):
        create_claim(source=self.source, quote="The pier")
        people = [agent_named(f"Writer {n}") for n in range(2)]

        def make_author(trial):
            update_source(source=Source.objects.get(), authors=[Agent.objects.get(pk=people[trial].pk)])

        self.both_ways(make_author, lambda trial: rename(people[trial].pk, f"Renamed writer {trial}"))
        self.assertEqual(kept("The pier")["authors"], "Renamed writer 1")

    def test_writes_to_a_lender_that_change_no_cell_do_not_wait_for_a_claim_being_written(self):
        speaker, annotator = agent_named("Harbour master"), User.objects.create_user("annotator")

        def write_claim(quote: str):
            text = Source.objects.get().text
            start = text.index(quote)
            Claim.objects.create(
                source=Source.objects.get(),
                quote=quote,
                start=start,
                end=start + len(quote),
                speaker=speaker,
                created_by=annotator,
            )

        aliases = lambda: Agent.objects.filter(pk=speaker.pk).update(aliases="The master")  # noqa: E731
        login = lambda: User.objects.filter(pk=annotator.pk).update(last_login=timezone.now())  # noqa: E731
        self.assertFalse(held_open_while(lambda: write_claim("The pier"), aliases))
        self.assertFalse(held_open_while(lambda: write_claim("The ferry"), login))
        self.assertEqual(stale_cells(), {})

    def test_claims_imported_while_their_source_is_renamed_keep_the_new_title(self):
        root = User.objects.create_superuser("root")

        def import_claims(trial):
            quote = "The pier" if trial else "The ferry"
            imported = import_text(csv_text(["source_id", "quote"], [[str(self.source.pk), quote]]), user=root)
            self.assertTrue(imported.ok, imported.problems)

        self.both_ways(import_claims, lambda trial: update_source(source=Source.objects.get(), title=f"Import {trial}"))
        self.assertEqual(kept("The pier")["source_title"], "Import 1")


@ONLY_POSTGRESQL
class CellsUnderParallelRequestsTests(ApiRequestsAtOnce, LiveServerTestCase):
    def while_importing(self, text: str, user: User, failed: list, requests: Callable[[int], list]) -> list[int]:
        """Import `text` as `user` on a thread of its own, adding to `failed` its report's problems or the error it
        raised (a deadlock's), while `requests(n)` are sent at once again and again (n = 1, 2, …) until it ends;
        their statuses."""

        def run_import() -> None:
            report = import_text(text, user=user)
            if not report.ok:
                failed.append(report.problems)

        return self.while_running(run_import, failed, requests)

    def while_running(self, work: Callable[[], object], failed: list, requests: Callable[[int], list]) -> list[int]:
        """Run `work` on a thread of its own, adding to `failed` the error it raised (a deadlock's), while
        `requests(n)` are sent at once again and again (n = 1, 2, …) until it ends; their statuses."""

        def run() -> None:
            try:
                work()
            except Exception as error:  # noqa: BLE001 - a deadlock's error, counted by the caller
                failed.append(error)
            finally:
                connection.close()

        working = threading.Thread(target=run)
        working.start()
        statuses, again = [], 0
        while working.is_alive():
            again += 1
            statuses += self.at_once(*requests(again))
        working.join()
        return statuses

    def test_claims_posted_while_their_speaker_and_publisher_are_renamed_keep_the_new_names(self):
        statuses = []
        for n in range(TRIALS):
            publisher = agent_named(f"Harbour Gazette {n}", kind=Agent.Kind.ORGANISATION)
            source = create_source(
                title=f"Pier {n}",
                text=f"Trial {n}: the harbour master said the pier would close.",
                url=f"https://p.example/{n}",
                publisher=publisher,
            )
            speaker = agent_named(f"Harbour master {n}")
            claim = (
                "POST",
                "/api/claims/",
                {"source": source.pk, "quote": "the pier would close", "speaker": speaker.pk},
            )
            renames = [
                ("PATCH", f"/api/agents/{speaker.pk}/", {"name": f"Harbour master {n}, renamed"}),
                ("PATCH", f"/api/agents/{publisher.pk}/", {"name": f"Harbour Gazette {n}, renamed"}),
            ]
            # The claim first in even trials, the renames first in odd ones; the stagger sweeps the window between a
            # write's reading of the names and its commit.
            in_order = [claim, *renames] if n % 2 == 0 else [*renames, claim]
            statuses += self.at_once(*in_order, stagger=(n // 2 % 5) * 0.004)
        stale = stale_cells()
        self.report("rename and add a claim", len(stale), sum(s >= 500 for s in statuses), statuses)
        self.assertEqual(sorted(set(statuses)), [200, 201], statuses)
        self.assertEqual(Claim.objects.count(), TRIALS)
        self.assertFalse(Claim.objects.exclude(speaker__name__endswith="renamed").exists())
        self.assertFalse(Claim.objects.exclude(source__publisher__name__endswith="renamed").exists())

    def test_a_sources_authors_changed_while_its_speaker_is_renamed_and_a_claim_posted_never_deadlock(self):
        statuses, trials = [], 2 * TRIALS
        for n in range(trials):
            speaker, other = agent_named(f"Ann {n}"), agent_named(f"Bo {n}")
            source = create_source(
                title=f"Quay {n}",
                text=f"Trial {n}: the quay master said the quay would close.",
                url=f"https://q.example/{n}",
            )
            update_source(source=source, authors=[other])
            create_claim(source=source, quote="the quay master said", speaker=speaker)
            statuses += self.at_once(
                # The authors' change takes the other author out (touching the claims) and the speaker in.
                ("PATCH", f"/api/sources/{source.pk}/", {"authors": [speaker.pk]}),
                ("PATCH", f"/api/agents/{speaker.pk}/", {"name": f"Ann {n}, renamed"}),
                ("POST", "/api/claims/", {"source": source.pk, "quote": "the quay would close", "speaker": speaker.pk}),
                stagger=(n % 10) * 0.002,
            )
        stale = stale_cells()
        self.report("authors, rename and a claim", len(stale), sum(s >= 500 for s in statuses), statuses, trials)
        self.assertEqual(Claim.objects.filter(source__title__startswith="Quay").count(), 2 * trials)

    def test_a_claim_given_a_speaker_while_someone_sharing_that_speakers_lock_slot_is_renamed_never_deadlocks(self):
        # Lenders are locked by slot (common.locks.LENDER_SLOTS): the claim's edit takes the new speaker's slot, the
        # rename of its old speaker the same slot, exclusive. The edit took it after locking the claim's row, which
        # the rename then waited for: 22 deadlocks in 35 trials of a helper's attack.
        source = create_source(
            title="Slots", text=" ".join(f"Line {i} is here." for i in range(3 * TRIALS)), url="https://slots.example/"
        )
        pairs = sharing_slots(source.project, "Slot person", each=2, groups=3)
        statuses = []
        for n in range(TRIALS):
            requests_to_send = []
            for i, (old, new) in enumerate(pairs):
                claim = create_claim(source=source, quote=f"Line {3 * n + i} is here.", speaker=old)
                requests_to_send += [
                    ("PATCH", f"/api/claims/{claim.pk}/", {"speaker": new.pk, "version": claim.version}),
                    ("PATCH", f"/api/agents/{old.pk}/", {"name": f"Slot person {old.pk}, renamed {n}"}),
                ]
            random.Random(n).shuffle(requests_to_send)
            statuses += self.at_once(*requests_to_send, stagger=(n % 4) * 0.002)
        stale = stale_cells()
        self.report("a claim's new speaker, a slot-mate renamed", len(stale), sum(s >= 500 for s in statuses), statuses)
        self.assertEqual(sorted(set(statuses)), [200], statuses)

    def test_an_import_while_people_sharing_its_speakers_lock_slots_are_renamed_never_deadlocks(self):
        # An import holds its lenders' slots to its commit. It took the link lock after them (to recount the claims it
        # updated, even none), where a rename takes the link lock and then its slot: 15 of 16 imports failed in a
        # helper's attack.
        root = User.objects.create_superuser("root-importer")
        source = create_source(
            title="Slot rows",
            text=" ".join(f"Row {i} is here." for i in range(30 * TRIALS)),
            url="https://rows.example/",
        )
        pairs = sharing_slots(source.project, "Slot speaker", each=2, groups=3)
        statuses, failed = [], []

        for n in range(TRIALS):
            rows = [[str(source.pk), f"Row {30 * n + i} is here.", pairs[i % len(pairs)][0].name] for i in range(30)]
            statuses += self.while_importing(
                csv_text(["source_id", "quote", "speaker"], rows),
                root,
                failed,
                # The import's slot-mates renamed again and again while it runs.
                lambda again, n=n: [
                    ("PATCH", f"/api/agents/{b.pk}/", {"name": f"Mate {b.pk} {n}.{again}"}) for _, b in pairs
                ],
            )
        stale = stale_cells()
        server_errors = sum(s >= 500 for s in statuses)
        self.report("an import, its speakers' slot-mates renamed", len(stale) + len(failed), server_errors, statuses)
        self.assertEqual(Claim.objects.count(), 30 * TRIALS)

    def test_an_import_updating_claims_while_their_source_is_retitled_never_deadlocks(self):
        # An import that updates claims recounts them under the link lock. It took that lock at the end, holding its
        # source's row since its look-up, where a retitle takes the link lock and then the source's row: 24 deadlocks
        # in a helper's attack. It now takes the link lock before its sources' rows.
        root = User.objects.create_superuser("root-updater")
        source = create_source(
            title="Updated rows", text=" ".join(f"Row {i} is here." for i in range(30)), url="https://updated.example/"
        )
        claims = [create_claim(source=source, quote=f"Row {i} is here.") for i in range(30)]
        statuses, failed = [], []

        for n in range(TRIALS):
            versions = dict(Claim.objects.values_list("pk", "version"))
            rows = [[str(c.pk), str(versions[c.pk]), str(source.pk), c.quote, f"Trial {n}"] for c in claims]
            text = csv_text(["id", "version", "source_id", "quote", "statement"], rows)
            statuses += self.while_importing(
                text,
                root,
                failed,
                # The claims' source retitled again and again while the import runs.
                lambda again, n=n: [("PATCH", f"/api/sources/{source.pk}/", {"title": f"Rows {n}.{again}"})],
            )
        stale = stale_cells()
        server_errors = sum(s >= 500 for s in statuses)
        self.report("an import updating claims, its source retitled", len(stale) + len(failed), server_errors, statuses)
        self.assertEqual(Claim.objects.filter(statement=f"Trial {TRIALS - 1}").count(), 30)

    def test_people_merged_while_others_sharing_their_lock_slots_are_renamed_never_deadlock(self):
        # A merge moves claims' speakers (their rows, the kept person's slot) and took the link lock last, where a
        # rename takes it first and then its slot: 30 deadlocks in 20 trials of a helper's attack.
        source = create_source(
            title="Merges", text=" ".join(f"Said {i} here." for i in range(TRIALS)), url="https://merges.example/"
        )
        slots = sharing_slots(source.project, "Merge person", each=3, groups=TRIALS)
        statuses, failed = [], []

        def merge(keep: Agent, other: Agent) -> None:
            try:
                with transaction.atomic():
                    merge_agents(keep=keep, others=[other])
            except Exception as error:  # noqa: BLE001 - a deadlock's error, counted below
                failed.append(error)
            finally:
                connection.close()

        for n, (keep, other, mate) in enumerate(slots):
            create_claim(source=source, quote=f"Said {n} here.", speaker=other)
            # An author too, so that the merge recounts the claims its sources' voices count, under the link lock.
            authored = create_source(title=f"By {n}", text=f"Written {n}.", url=f"https://merges.example/{n}")
            update_source(source=authored, authors=[other])
            merging = threading.Thread(target=merge, args=(keep, other))
            merging.start()
            renamed = 0
            while merging.is_alive():  # a slot-mate of both renamed again and again while the merge runs
                renamed += 1
                statuses += self.at_once(("PATCH", f"/api/agents/{mate.pk}/", {"name": f"Mate {n}.{renamed}"}))
            merging.join()
        stale = stale_cells()
        server_errors = sum(s >= 500 for s in statuses)
        self.report("people merged, a slot-mate renamed", len(stale) + len(failed), server_errors, statuses, len(slots))
        self.assertEqual(len(slots), TRIALS)
        self.assertEqual(Claim.objects.filter(speaker__in=[keep for keep, *_ in slots]).count(), TRIALS)

    def test_claims_moved_while_publishers_speakers_and_the_new_source_change_never_deadlock(self):
        statuses = []
        for n in range(TRIALS):
            old, new, other = (agent_named(f"{name} {n}", kind=Agent.Kind.ORGANISATION) for name in ("Pa", "Pb", "Pq"))
            speaker = agent_named(f"Speaker {n}")
            text = " ".join(f"Bit {i} of trial {n} is here." for i in range(5))
            here = create_source(title=f"Here {n}", text=text, url=f"https://here.example/{n}", publisher=old)
            there = create_source(title=f"There {n}", text=text, url=f"https://there.example/{n}", publisher=new)
            moving = [create_claim(source=here, quote=f"Bit {i} of trial {n}", speaker=speaker) for i in range(2)]
            for i in range(2, 5):
                create_claim(source=there, quote=f"Bit {i} of trial {n}", speaker=speaker)
            requests_to_send = [
                *(("PATCH", f"/api/claims/{c.pk}/", {"source": there.pk, "version": c.version}) for c in moving),
                *(
                    ("PATCH", f"/api/agents/{agent.pk}/", {"name": f"{agent.name}, renamed"})
                    for agent in (old, new, other, speaker)
                ),
                ("PATCH", f"/api/sources/{there.pk}/", {"publisher": other.pk}),
                ("PATCH", f"/api/sources/{there.pk}/", {"title": f"There {n}, retitled"}),
            ]
            random.Random(n).shuffle(requests_to_send)
            statuses += self.at_once(*requests_to_send, stagger=(n % 4) * 0.001)
        stale = stale_cells()
        self.report("moves, renames and a new publisher", len(stale), sum(s >= 500 for s in statuses), statuses)
        self.assertEqual(Claim.objects.filter(source__title__startswith="There").count(), 5 * TRIALS)

    def test_an_account_renamed_while_it_edits_its_claims_never_deadlocks(self):
        # A write records its history in its author's name: the history row's key on the account is checked at the
        # commit (Django's foreign keys are deferred), after the write locked the claim; the rename, holding the
        # account's row, touches the account's claims (their annotator cell).
        source = create_source(
            title="Slipway",
            text=" ".join(f"Sentence number {n} says the slip is dry." for n in range(4 * TRIALS)),
            url="https://slipway.example/",
        )
        statuses = []
        for n in range(TRIALS):
            claims = [
                create_claim(source=source, quote=f"Sentence number {4 * n + k} says", created_by=self.reviewer)
                for k in range(4)
            ]

            edits = [
                ("PATCH", f"/api/claims/{c.pk}/", {"statement": f"Edit {n}", "version": c.version}) for c in claims
            ]
            statuses += self.at_once(*edits, lambda n=n: self.rename_account(f"rita_{n}"), stagger=(n % 5) * 0.003)
        stale = stale_cells()
        self.report("account renamed while it edits", len(stale), sum(s >= 500 for s in statuses), statuses)
        self.assertEqual(User.objects.get(pk=self.reviewer.pk).username, f"rita_{TRIALS - 1}")

    def test_an_account_renamed_while_a_capture_recorded_under_it_moves_its_claims_never_deadlocks(self):
        # A new capture run with --user re-anchors its source's claims (locking their rows) and records them under
        # the account, whose key its history checks at the commit; a rename of the account touches its claims.
        statuses, failed = [], []
        for n in range(TRIALS):
            text = " ".join(f"Trial {n} sentence {k} says the slip is dry." for k in range(4))
            source = create_source(title=f"Slip {n}", text=text, url=f"https://slip.example/{n}")
            for k in range(4):
                create_claim(source=source, quote=f"Trial {n} sentence {k} says", created_by=self.reviewer)

            def capture(source=source, text=text, n=n) -> None:
                with recorded_as(user=self.reviewer):
                    capture_page(f"Foreword {n}. {text}", f"slip{n}.txt", source.url)

            # The account renamed again and again while the capture runs.
            statuses += self.while_running(
                capture, failed, lambda again, n=n: [lambda: self.rename_account(f"rita_{n}_{again}")]
            )
        stale = stale_cells()
        server_errors = sum(s >= 500 for s in statuses)
        self.report("account renamed while its capture moves claims", len(stale) + len(failed), server_errors, statuses)
        self.assertEqual(Claim.objects.filter(version=1).count(), 4 * TRIALS)  # each claim re-anchored once

    def test_an_account_renamed_while_it_links_its_claims_never_deadlocks(self):
        # A link recounts (updates) both claims under the link lock; its history's key on its author's account is
        # checked at the commit, as an edit's is.
        here = create_source(title="Here", text=" ".join(f"Here {n} the slip is dry." for n in range(5 * TRIALS)))
        there = create_source(title="There", text=" ".join(f"There {n} the slip is wet." for n in range(5 * TRIALS)))
        statuses = []
        for n in range(TRIALS):
            pairs = [
                (
                    create_claim(source=here, quote=f"Here {5 * n + k} the", created_by=self.reviewer),
                    create_claim(source=there, quote=f"There {5 * n + k} the", created_by=self.reviewer),
                )
                for k in range(5)
            ]
            links = [("POST", "/api/links/", {"claim_a": a.pk, "claim_b": b.pk}) for a, b in pairs]
            statuses += self.at_once(*links, lambda n=n: self.rename_account(f"rita_{n}"), stagger=(n % 10) * 0.002)
        stale = stale_cells()
        self.report("account renamed while it links", len(stale), sum(s >= 500 for s in statuses), statuses)
        self.assertEqual(recount_all(repair=False), {}, "stored counts wrong after the races")
