import gc
import io
from unittest import mock

from django.db import connection
from django.test.utils import CaptureQueriesContext

from claims.exchange.columns import claims_csv, csv_line
from claims.exchange.importing import import_spreadsheet
from claims.exchange.reading import ClaimReader
from claims.models import Claim, Tag
from claims.services import create_claim
from claims.tagging import stale_tag_names
from common.projects import sole_project
from sources.models import Agent
from sources.services import create_source
from tests.base import BaseTestCase


def csv_text(header: list[str], rows: list[list[str]], *, versions: bool = True) -> str:
    """A claims file; rows that update a claim carry its current version, as an export does, unless told not to."""
    if versions and "id" in header and "version" not in header:
        at = header.index("id")
        header = [*header[: at + 1], "version", *header[at + 1 :]]
        current = dict(Claim.objects.values_list("pk", "version"))
        rows = [
            [*row[: at + 1], str(current.get(int(row[at]), "")) if row[at].isdigit() else "", *row[at + 1 :]]
            for row in rows
        ]
    return csv_line(header) + "".join(csv_line(row) for row in rows)


def import_text(text: str | bytes, **kwargs):
    data = text.encode() if isinstance(text, str) else text
    return import_spreadsheet("claims", io.BytesIO(data), **kwargs)


def numbered_source(n: int):
    """A source whose text holds n distinct phrases, "phrase 00001." and so on, one per line."""
    text = "\n".join(f"phrase {i:05d}." for i in range(1, n + 1))
    return create_source(title=f"{n} phrases", text=text, url=f"https://example.org/{n}-phrases")


class ImportTests(BaseTestCase):
    def test_a_file_exported_before_independent_voices_was_named_so_still_imports(self):
        old_header = ["source_id", "quote", "independent_sources"]  # the column's name before the rename
        report = import_text(csv_text(old_header, [[str(self.ledger.pk), "Talks on joint", "7"]]))
        self.assertTrue(report.ok, report.problems)
        self.assertEqual(Claim.objects.get(quote="Talks on joint").independent_voices, 0)  # a count is not read

    def test_an_unknown_column_is_still_refused_naming_the_known_ones(self):
        report = import_text(csv_text(["source_id", "quote", "independent_source"], [[str(self.ledger.pk), "x", "1"]]))
        self.assertIn("independent_voices", str(report.problems[0]))

    def test_a_row_without_id_creates_a_claim_located_in_its_source(self):
        report = import_text(
            csv_text(["source_id", "quote", "speaker", "claimed_on"], [[str(self.ledger.pk), "Talks on joint", "", ""]])
        )
        self.assertTrue(report.ok, report.problems)
        claim = Claim.objects.get(quote="Talks on joint")
        self.assertEqual(claim.source.text[claim.start : claim.end], "Talks on joint")
        self.assertEqual(report.created, 1)

    def test_a_source_can_be_named_by_its_url(self):
        report = import_text(csv_text(["source_url", "quote"], [["https://example.org/harbour", "Moscow rejected"]]))
        self.assertTrue(report.ok, report.problems)
        self.assertEqual(Claim.objects.get(quote="Moscow rejected").source, self.harbour)

    def test_a_row_that_updates_a_claim_without_its_version_is_refused(self):
        text = csv_text(
            ["id", "source_id", "quote", "statement"],
            [[str(self.rejected.pk), str(self.harbour.pk), self.rejected.quote, "x"]],
            versions=False,
        )
        report = import_text(text)
        self.assertIn("version", report.problems[0].errors)
        self.rejected.refresh_from_db()
        self.assertEqual(self.rejected.statement, "")

    def test_a_row_with_id_updates_that_claim(self):
        report = import_text(
            csv_text(
                ["id", "source_id", "quote", "statement", "claimed_on", "tags"],
                [
                    [
                        str(self.rejected.pk),
                        str(self.harbour.pk),
                        self.rejected.quote,
                        "Moscow said no",
                        "2017-06",
                        "kurils",
                    ]
                ],
            ),
            user=self.bob,
        )
        self.assertTrue(report.ok, report.problems)
        self.assertEqual((report.created, report.updated), (0, 1))
        self.rejected.refresh_from_db()
        self.assertEqual(self.rejected.statement, "Moscow said no")
        self.assertEqual(self.rejected.claimed_on_iso, "2017-06")
        self.assertEqual([t.name for t in self.rejected.tags.all()], ["kurils"])
        self.assertEqual(self.rejected.speaker, self.putin, "columns left out of the file are kept")
        self.assertEqual(self.rejected.version, 1)

    def test_an_unknown_id_is_a_row_error(self):
        report = import_text(csv_text(["id", "source_id", "quote"], [["999999", str(self.ledger.pk), "Talks"]]))
        self.assertEqual(str(report.problems[0]), "line 2: id: No claim has id 999999.")

    def test_a_missing_quote_is_reported(self):
        report = import_text(csv_text(["source_id", "quote"], [[str(self.ledger.pk), "not in the text at all"]]))
        self.assertEqual(len(report.problems), 1)
        self.assertEqual(report.problems[0].line, 2)
        self.assertIn("does not occur in the source text", str(report.problems[0]))

    def test_an_ambiguous_quote_is_reported(self):
        report = import_text(csv_text(["source_id", "quote", "start", "end"], [[str(self.ledger.pk), "the", "", ""]]))
        self.assertEqual(len(report.problems), 1)
        self.assertIn("occurs 2 times", str(report.problems[0]))
        self.assertIn("give start and end", str(report.problems[0]))

    def test_offsets_that_do_not_hold_the_quote_are_reported(self):
        report = import_text(
            csv_text(["source_id", "quote", "start", "end"], [[str(self.ledger.pk), "Talks", "0", "5"]])
        )
        self.assertIn("which is not the quote", str(report.problems[0]))

    def test_an_unknown_speaker_is_created_and_reported(self):
        report = import_text(
            csv_text(["source_id", "quote", "speaker"], [[str(self.harbour.pk), "Moscow rejected", "Sergei Lavrov"]])
        )
        self.assertTrue(report.ok, report.problems)
        self.assertEqual(report.new_speakers, ["Sergei Lavrov"])
        self.assertEqual(Claim.objects.get(quote="Moscow rejected").speaker.name, "Sergei Lavrov")

    def test_a_known_speaker_is_matched_whatever_the_case(self):
        report = import_text(
            csv_text(["source_id", "quote", "speaker"], [[str(self.harbour.pk), "Moscow rejected", "vladimir putin"]])
        )
        self.assertEqual(report.new_speakers, [])
        self.assertEqual(Claim.objects.get(quote="Moscow rejected").speaker, self.putin)

    def test_a_speaker_named_by_one_of_their_aliases_is_that_person_not_a_new_one(self):
        self.putin.aliases = "V. Putin\nPresident Putin"
        self.putin.save()
        rows = [[str(self.harbour.pk), "Moscow rejected", "president putin"], [str(self.ledger.pk), "Talks", "V. Put"]]
        report = import_text(csv_text(["source_id", "quote", "speaker"], rows))
        self.assertTrue(report.ok, report.problems)
        self.assertEqual(Claim.objects.get(quote="Moscow rejected").speaker, self.putin)
        # "V. Put" is only part of an alias: a new person.
        self.assertEqual(report.new_speakers, ["V. Put"])
        self.assertEqual(Claim.objects.get(quote="Talks").speaker.name, "V. Put")

    def test_a_header_without_quote_or_source_is_refused(self):
        report = import_text(csv_text(["id", "statement"], [[str(self.rejected.pk), "x"]]))
        self.assertEqual(str(report.problems[0]), "line 1: The header needs a quote column.")

    def test_words_already_annotated_are_refused_within_the_file_and_against_the_database(self):
        report = import_text(
            csv_text(
                ["source_id", "quote"],
                [[str(self.harbour.pk), "Moscow rejected"], [str(self.harbour.pk), "Moscow rejected"]],
            )
        )
        self.assertEqual(
            [str(p) for p in report.problems], ["line 3: quote: These words are already annotated on line 2."]
        )
        report = import_text(csv_text(["source_id", "quote"], [[str(self.ledger.pk), self.unacceptable.quote]]))
        self.assertIn(f"already annotated as claim #{self.unacceptable.pk}", str(report.problems[0]))

    def test_an_annotator_cannot_set_a_review_status_by_import(self):
        report = import_text(
            csv_text(
                ["id", "source_id", "quote", "status"],
                [[str(self.rejected.pk), str(self.harbour.pk), self.rejected.quote, "reviewed"]],
            ),
            user=importer(self.alice),
        )
        self.assertEqual(str(report.problems[0]), "line 2: status: Only reviewers can set the review status.")

    def test_line_numbers_count_the_lines_a_quoted_cell_spans(self):
        text = csv_text(
            ["source_id", "quote", "statement"],
            [[str(self.ledger.pk), "Talks on joint", "one\ntwo\nthree"], [str(self.ledger.pk), "nowhere", ""]],
        )
        report = import_text(text)
        self.assertEqual([p.line for p in report.problems], [5])


class AllOrNothingTests(BaseTestCase):
    def test_an_invalid_row_at_line_9000_of_10000_writes_nothing_and_is_reported(self):
        source = numbered_source(10_000)
        rows = [[str(source.pk), f"phrase {i:05d}.", "Lee Unknown" if i == 5 else ""] for i in range(1, 10_001)]
        rows[8998][1] = "phrase that is not there"  # file line 9000: the header is line 1
        claims_before, agents_before = Claim.objects.count(), Agent.objects.count()
        history_before = Claim.history.count()

        report = import_text(csv_text(["source_id", "quote", "speaker"], rows))

        self.assertEqual(len(rows), 10_000)
        self.assertEqual([p.line for p in report.problems], [9000])
        self.assertIn("does not occur in the source text", str(report.problems[0]))
        self.assertEqual(Claim.objects.count(), claims_before)
        self.assertEqual(Claim.history.count(), history_before)
        self.assertEqual(Agent.objects.count(), agents_before, "the new speaker is rolled back too")

    def test_every_bad_row_is_reported_with_its_line_and_reason(self):
        source = numbered_source(20)
        rows = [[str(source.pk), f"phrase {i:05d}.", "", ""] for i in range(1, 21)]
        rows[2][1] = "missing words"
        rows[6][3] = "June 2017"
        rows[11][2] = "x"
        report = import_text(csv_text(["source_id", "quote", "start", "claimed_on"], rows))
        self.assertEqual(
            [str(p) for p in report.problems],
            [
                "line 4: quote: The quote does not occur in the source text.",
                "line 8: claimed_on: “June 2017” is not a date as YYYY, YYYY-MM or YYYY-MM-DD.",
                "line 13: start: “x” is not a whole number.",
            ],
        )
        self.assertFalse(Claim.objects.filter(source=source).exists())

    def test_a_new_claim_on_words_already_annotated_is_reported_with_the_bad_rows_after_it(self):
        source = numbered_source(20)
        taken = create_claim(source=source, quote="phrase 00002.")
        rows = [[str(source.pk), f"phrase {i:05d}."] for i in range(1, 21)]
        rows[15][1] = "missing words"
        report = import_text(csv_text(["source_id", "quote"], rows))
        self.assertEqual(
            [str(p) for p in report.problems],
            [
                f"line 3: quote: These words are already annotated as claim #{taken.pk}; open that claim to edit it.",
                "line 17: quote: The quote does not occur in the source text.",
            ],
        )
        self.assertEqual(list(Claim.objects.filter(source=source)), [taken])

    def test_words_annotated_in_the_database_are_reported_even_when_the_file_has_no_other_bad_row(self):
        source = numbered_source(20)
        taken = create_claim(source=source, quote="phrase 00019.")
        report = import_text(
            csv_text(["source_id", "quote"], [[str(source.pk), f"phrase {i:05d}."] for i in range(1, 21)])
        )
        self.assertEqual([p.line for p in report.problems], [20])
        self.assertIn(f"already annotated as claim #{taken.pk}", str(report.problems[0]))
        self.assertEqual(Claim.objects.filter(source=source).count(), 1)
        self.assertEqual(Claim.history.filter(source_id=source.pk).count(), 1, "only the history of the claim before")

    def test_the_rows_of_a_batch_are_read_and_written_in_a_fixed_number_of_queries(self):
        # 5 rows or 30 (SQLite's bulk_create splits an insert past its 999 parameters, 39 rows of the 25 columns
        # a new claim inserts; PostgreSQL's COPY does not).
        source = numbered_source(30)
        rows = [[str(source.pk), f"phrase {i:05d}.", "Lee Unknown" if i == 5 else ""] for i in range(1, 31)]
        header = ["source_id", "quote", "speaker"]
        with CaptureQueriesContext(connection) as five:
            import_text(csv_text(header, rows[:5]), dry_run=True)
        with CaptureQueriesContext(connection) as thirty:
            report = import_text(csv_text(header, rows), dry_run=True)
        self.assertEqual(report.created, 30)
        self.assertEqual(len(thirty), len(five))

    def test_new_claims_are_inserted_with_their_tag_names_in_the_databases_order_and_not_written_again(self):
        source = numbered_source(10)
        # One tag exists, one is new: both are ordered as the database orders names.
        Tag.objects.create(name="talks", project=sole_project())
        rows = [[str(source.pk), f"phrase {i:05d}.", "talks; Ports" if i in (3, 7) else ""] for i in range(1, 11)]
        with CaptureQueriesContext(connection) as queries:
            report = import_text(csv_text(["source_id", "quote", "tags"], rows))
        self.assertEqual(report.created, 10)
        self.assertEqual([q["sql"] for q in queries if q["sql"].startswith("UPDATE") and "tag_names" in q["sql"]], [])
        claims = Claim.objects.filter(source=source)
        self.assertEqual(claims.exclude(tag_names="").count(), 2)
        self.assertEqual(stale_tag_names(claims), {}, "stored as refresh_tag_names would store them")

    def test_the_garbage_collector_runs_again_after_an_import(self):
        import_text(csv_text(["source_id", "quote"], [[str(self.harbour.pk), "Moscow rejected"]]))
        self.assertTrue(gc.isenabled())

    def test_a_dry_run_reports_and_writes_nothing(self):
        report = import_text(
            csv_text(["source_id", "quote"], [[str(self.harbour.pk), "Moscow rejected"]]), dry_run=True
        )
        self.assertTrue(report.ok)
        self.assertEqual(report.created, 1)
        self.assertFalse(Claim.objects.filter(quote="Moscow rejected").exists())


class BatchTests(BaseTestCase):
    """Each batch is read while the one before is written (its claims copied into the database): in batches of
    two, an import does what it does in one."""

    def rows(self, source):
        return [
            ["", str(source.pk), "phrase 00001.", "Lee Newcomer", "economy"],
            [str(self.rejected.pk), str(self.harbour.pk), self.rejected.quote, "", "kurils"],
            ["", str(source.pk), "phrase 00002.", "", ""],
            ["", str(source.pk), "phrase 00003.", "Kim Later", "economy; courts"],
            [str(self.unacceptable.pk), str(self.ledger.pk), self.unacceptable.quote, "", "missiles"],
            ["", str(source.pk), "phrase 00004.", "lee newcomer", ""],
            ["", str(source.pk), "phrase 00005.", "", "courts"],
        ]

    def test_a_file_imported_in_batches_of_two_creates_updates_and_keeps_history_as_in_one(self):
        source = numbered_source(5)
        header = ["id", "source_id", "quote", "speaker", "tags"]

        report = import_text(csv_text(header, self.rows(source)), user=self.bob, batch_size=2)

        self.assertTrue(report.ok, report.problems)
        self.assertEqual((report.rows, report.created, report.updated), (7, 5, 2))
        self.assertEqual(report.new_speakers, ["Lee Newcomer", "Kim Later"])
        claims = Claim.objects.filter(source=source).order_by("start")
        self.assertEqual([c.quote for c in claims], [f"phrase {i:05d}." for i in range(1, 6)])
        self.assertEqual(
            [(c.speaker.name if c.speaker else "", [t.name for t in c.tags.all()]) for c in claims],
            [
                ("Lee Newcomer", ["economy"]),
                ("", []),
                ("Kim Later", ["courts", "economy"]),
                ("Lee Newcomer", []),
                ("", ["courts"]),
            ],
        )
        for claim in [*claims, self.rejected, self.unacceptable]:
            record = claim.history.first()
            self.assertEqual(record.history_user, self.bob)
            self.assertEqual(sorted(t.tag.name for t in record.tags.all()), sorted(t.name for t in claim.tags.all()))
        self.rejected.refresh_from_db()
        self.assertEqual(([t.name for t in self.rejected.tags.all()], self.rejected.version), (["kurils"], 1))
        self.unacceptable.refresh_from_db()
        self.assertEqual((self.unacceptable.speaker, self.unacceptable.version), (None, 1))

    def test_words_taken_in_the_database_are_reported_from_any_batch_and_nothing_is_written(self):
        source = numbered_source(5)
        taken = create_claim(source=source, quote="phrase 00004.")
        history_before = Claim.history.count()
        rows = self.rows(source)
        rows[6][2] = "not in the text"

        report = import_text(csv_text(["id", "source_id", "quote", "speaker", "tags"], rows), batch_size=2)

        self.assertEqual(
            [str(p) for p in report.problems],
            [
                f"line 7: quote: These words are already annotated as claim #{taken.pk}; open that claim to edit it.",
                "line 8: quote: The quote does not occur in the source text.",
            ],
        )
        self.assertEqual(list(Claim.objects.filter(source=source)), [taken])
        self.assertEqual(Claim.history.count(), history_before)
        self.assertFalse(Agent.objects.filter(name__in=["Lee Newcomer", "Kim Later"]).exists())


class LongArticleTests(BaseTestCase):
    """A batch naming more source text than TEXT_BUDGET is read in parts, so an import's memory does not grow with
    the articles' length (a batch of 2,000 rows naming 2,000 articles of 100 KB would hold 200 MB of text)."""

    def import_interleaved(self, rows, budget, *, count=lambda reader: 0):
        """Import the rows with this TEXT_BUDGET; the report, and after each part's look-up the text its sources
        hold and `count(reader)`."""
        held, counted = [], []
        look_up = ClaimReader.look_up

        def counting_look_up(reader, part):
            look_up(reader, part)
            held.append(sum(len(source.text) for source in reader.sources_by_id.values()))
            counted.append(count(reader))

        with (
            mock.patch("claims.exchange.reading.TEXT_BUDGET", budget),
            mock.patch.object(ClaimReader, "look_up", counting_look_up),
        ):
            return import_text(csv_text(["source_id", "quote"], rows)), held, counted

    def test_a_batch_naming_long_articles_holds_one_budget_of_their_text_at_a_time(self):
        sources = [numbered_source(n) for n in (40, 41, 42)]
        # Row after row names another article: every batch names all three.
        rows = [[str(source.pk), f"phrase {i:05d}."] for i in range(1, 31) for source in sources]
        budget = max(len(source.text) for source in sources) + 10  # one article at a time

        report, held, _ = self.import_interleaved(rows, budget)

        self.assertTrue(report.ok, report.problems)
        self.assertEqual((report.rows, report.created), (90, 90))
        self.assertEqual(Claim.objects.filter(source__in=sources).count(), 90)
        self.assertGreater(len(held), 1, "read in parts")
        self.assertLessEqual(max(held), budget)

    def test_a_bad_row_in_a_later_part_still_writes_nothing(self):
        sources = [numbered_source(n) for n in (40, 41)]
        rows = [[str(source.pk), f"phrase {i:05d}."] for i in range(1, 21) for source in sources]
        rows[-1][1] = "not in the text"

        report, held, _ = self.import_interleaved(rows, max(len(source.text) for source in sources) + 10)

        self.assertEqual([p.line for p in report.problems], [41])
        self.assertGreater(len(held), 1)
        self.assertFalse(Claim.objects.filter(source__in=sources).exists())

    def test_the_parts_of_an_import_leave_no_garbage_behind_while_the_collector_is_paused(self):
        sources = [numbered_source(n) for n in (40, 41)]
        rows = [[str(source.pk), f"phrase {i:05d}."] for i in range(1, 31) for source in sources]
        budget = max(len(source.text) for source in sources) + 10

        report, _, tracked = self.import_interleaved(rows, budget, count=lambda reader: len(gc.get_objects()))

        self.assertEqual(report.created, 60)
        # Each part made reference cycles (a history manager class each time `Claim.history` is read): without a
        # collection between parts they grew by dozens of objects a part, hundreds of MB over a long import.
        self.assertGreater(len(tracked), 40)
        self.assertLess(tracked[-1] - tracked[10], 100)

    def test_a_batch_of_short_articles_is_read_whole(self):
        source = numbered_source(20)
        report, held, _ = self.import_interleaved([[str(source.pk), f"phrase {i:05d}."] for i in range(1, 21)], 10**6)
        self.assertEqual((report.created, len(held)), (20, 1))


class HistoryTests(BaseTestCase):
    def test_imported_claims_have_history_rows_by_the_importer(self):
        import_text(
            csv_text(
                ["id", "source_id", "quote", "tags"],
                [
                    ["", str(self.harbour.pk), "Moscow rejected", "missiles; kurils"],
                    [str(self.unacceptable.pk), str(self.ledger.pk), self.unacceptable.quote, "missiles"],
                ],
            ),
            user=self.bob,
        )
        created = Claim.objects.get(quote="Moscow rejected")
        record = created.history.get()
        self.assertEqual((record.history_type, record.history_user), ("+", self.bob))
        self.assertEqual(sorted(t.tag.name for t in record.tags.all()), ["kurils", "missiles"])
        latest = self.unacceptable.history.first()
        self.assertEqual((latest.history_type, latest.history_user), ("~", self.bob))
        self.assertEqual([t.tag.name for t in latest.tags.all()], ["missiles"])
        self.assertEqual(self.unacceptable.history.count(), 2)


class RoundTripTests(BaseTestCase):
    def test_export_then_import_of_the_same_file_changes_nothing(self):
        awkward = create_source(
            title="=awkward",
            text='-5 percent, said @someone, "quoted"\nand =SUM(A1) too',
            publisher=self.ledger_press,
        )
        create_claim(
            source=awkward,
            quote="-5 percent",
            statement='+plus, and "quotes"',
            speaker=Agent.objects.create(name="@someone"),
            tags=["=tag", "b"],
        )
        create_claim(source=awkward, quote="=SUM(A1)", statement="line\nbreak")
        before = list(Claim.objects.order_by("pk").values())
        history_before = Claim.history.count()
        exported = b"".join(claims_csv()).decode()

        report = import_text(exported, user=self.bob)

        self.assertTrue(report.ok, report.problems)
        self.assertEqual((report.created, report.updated, report.unchanged), (0, 0, Claim.objects.count()))
        self.assertEqual(list(Claim.objects.order_by("pk").values()), before)
        self.assertEqual(Claim.history.count(), history_before)
        self.assertEqual(b"".join(claims_csv()).decode(), exported)


def importer(user):
    """The user given the permission to import claims without being a Reviewer (a custom permission set: the
    roles give it to Reviewers only), read afresh so that has_perm sees it."""
    from django.contrib.auth.models import Permission

    user.user_permissions.add(Permission.objects.get(content_type__app_label="claims", codename="import_claim"))
    return type(user).objects.get(pk=user.pk)
