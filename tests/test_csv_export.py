import csv
import datetime
import io
import unittest
from unittest import mock

from django.db import IntegrityError, connection, transaction

from claims.exchange import columns
from claims.exchange.columns import HEADER, claims_csv
from claims.models import Claim
from claims.services import create_claim, link_claims
from common.formulas import escape, unescape
from common.tabular import read_table
from sources.dates import Precision
from sources.models import Agent
from sources.services import create_source
from tests.base import BaseTestCase

DANGEROUS = ["=", "+", "-", "@", "\t", "\r"]
HEADER_LINE = ",".join(HEADER)


def exported(claims=None, **kwargs) -> bytes:
    return b"".join(claims_csv(claims, **kwargs))


def exported_rows(claims=None) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(exported(claims).decode())))


class ClaimsCsvTests(BaseTestCase):
    def test_the_header_lists_the_columns_in_the_agreed_order(self):
        header = exported().decode().splitlines()[0]
        self.assertEqual(
            header,
            "id,version,source_id,source_title,source_url,publisher,authors,published_on,quote,start,end,statement,"
            "speaker,claimed_on,kind,status,tags,corroborated_by,contradicted_by,independent_voices,"
            "annotator,created_at,updated_at,unverified_sources,pages,undecided_duplicates",
        )
        self.assertEqual(header.split(","), HEADER)

    def test_a_claim_row_carries_its_source_speaker_and_dates(self):
        row = exported_rows(Claim.objects.filter(pk=self.unacceptable.pk))[0]
        self.assertEqual(row["id"], str(self.unacceptable.pk))
        self.assertEqual(row["source_id"], str(self.ledger.pk))
        self.assertEqual(row["source_title"], "Ledger on missile defence")
        self.assertEqual(row["publisher"], "Northern Ledger")
        self.assertEqual(row["published_on"], "2017-06-02")
        self.assertEqual(row["quote"], "would be “absolutely unacceptable”")
        self.assertEqual((row["start"], row["end"]), (str(self.unacceptable.start), str(self.unacceptable.end)))
        self.assertEqual(row["speaker"], "Vladimir Putin")
        self.assertEqual(row["claimed_on"], "2017-06-01")
        self.assertEqual((row["kind"], row["status"]), ("direct_quote", "draft"))
        self.assertRegex(row["created_at"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")

    def test_a_moment_is_written_in_utc_to_the_second_not_rounded(self):
        moment = datetime.datetime(2017, 6, 1, 9, 30, 59, 999999, tzinfo=datetime.timezone(datetime.timedelta(hours=3)))
        Claim.objects.filter(pk=self.unacceptable.pk).update(created_at=moment)
        for use_copy in (True, False) if connection.vendor == "postgresql" else (False,):
            with self.subTest(use_copy=use_copy):
                rows = list(csv.DictReader(io.StringIO(exported(use_copy=use_copy).decode())))
                row = next(r for r in rows if r["id"] == str(self.unacceptable.pk))
                self.assertEqual(row["created_at"], "2017-06-01T06:30:59Z")

    def copied_row_with(self, setting: str, value: str, *, then: str) -> dict[str, str]:
        """The COPY's row for the unacceptable claim, exported with the connection's `setting` at `value`."""
        with connection.cursor() as cursor:
            cursor.execute(f"SET {setting} = {value}")
            try:
                copied = exported(use_copy=True)
            finally:
                cursor.execute(f"SET {setting} = {then}")
        return next(r for r in csv.DictReader(io.StringIO(copied.decode())) if r["id"] == str(self.unacceptable.pk))

    @unittest.skipUnless(connection.vendor == "postgresql", "COPY … TO STDOUT needs PostgreSQL")
    def test_the_copy_writes_moments_in_utc_whatever_the_connections_time_zone(self):
        moment = datetime.datetime(2017, 6, 1, 9, 30, 59, tzinfo=datetime.UTC)
        Claim.objects.filter(pk=self.unacceptable.pk).update(created_at=moment)
        row = self.copied_row_with("TimeZone", "'Asia/Tokyo'", then="'UTC'")
        self.assertEqual(row["created_at"], "2017-06-01T09:30:59Z")

    @unittest.skipUnless(connection.vendor == "postgresql", "DateStyle is PostgreSQL's")
    def test_the_copy_writes_iso_dates_whatever_the_servers_date_style(self):
        row = self.copied_row_with("DateStyle", "'SQL, DMY'", then="DEFAULT")
        self.assertEqual((row["published_on"], row["claimed_on"]), ("2017-06-02", "2017-06-01"))
        self.assertRegex(row["created_at"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")

    def test_dates_keep_their_precision(self):
        june = create_claim(
            source=self.harbour,
            quote="the president said on 1 June",
            claimed_on=datetime.date(2017, 6, 1),
            claimed_on_precision=Precision.MONTH,
        )
        year = create_claim(
            source=self.harbour,
            quote="Moscow rejected",
            claimed_on=datetime.date(2017, 6, 1),
            claimed_on_precision=Precision.YEAR,
        )
        rows = {r["id"]: r for r in exported_rows()}
        self.assertEqual(rows[str(june.pk)]["claimed_on"], "2017-06")
        self.assertEqual(rows[str(year.pk)]["claimed_on"], "2017")

    def test_multi_valued_cells_are_joined_with_a_semicolon(self):
        self.ledger.authors.set([Agent.objects.create(name="Bea Writer"), Agent.objects.create(name="Al Writer")])
        claim = create_claim(source=self.harbour, quote="the president said on 1 June", tags=["missiles", "Kurils"])
        contradicting = create_claim(source=self.ledger, quote="Talks on joint projects")
        link_claims(claim_a=self.unacceptable, claim_b=claim)
        link_claims(claim_a=self.rejected, claim_b=self.unacceptable)
        link_claims(claim_a=contradicting, claim_b=claim, relation="contradicts")
        rows = {r["id"]: r for r in exported_rows()}
        self.assertEqual(rows[str(self.unacceptable.pk)]["authors"], "Al Writer; Bea Writer")
        self.assertEqual(rows[str(claim.pk)]["tags"], "Kurils; missiles")
        first, second = sorted([self.rejected.pk, claim.pk])
        self.assertEqual(rows[str(self.unacceptable.pk)]["corroborated_by"], f"{first}; {second}")
        self.assertEqual(rows[str(claim.pk)]["contradicted_by"], str(contradicting.pk))
        self.assertEqual(rows[str(claim.pk)]["corroborated_by"], str(self.unacceptable.pk))

    def test_empty_cells_are_empty(self):
        row = exported().decode().splitlines()[1]
        claim = Claim.objects.order_by("pk").first()
        self.assertEqual(claim.statement, "")
        self.assertIn(",,", row)
        self.assertNotIn('""', row)

    def test_a_list_that_can_hold_no_claim_exports_its_header_alone_by_copy_too(self):
        # The claim list of a member of a project with no claims is such a list (an empty queryset, which has no SQL).
        for use_copy in (False, True):
            with self.subTest(use_copy=use_copy):
                self.assertEqual(exported(Claim.objects.none(), use_copy=use_copy).decode().splitlines(), [HEADER_LINE])

    def test_a_row_per_claim_in_id_order(self):
        ids = [row["id"] for row in exported_rows()]
        self.assertEqual(ids, [str(pk) for pk in Claim.objects.order_by("pk").values_list("pk", flat=True)])

    def test_the_export_is_a_fixed_number_of_queries(self):
        for n, quote in enumerate(["Moscow", "rejected", "any American", "anti-missile", "base"]):
            create_claim(source=self.harbour, quote=quote, tags=[f"tag{n}"])
        with self.assertNumQueries(1):
            exported(use_copy=False)


class IndependenceTests(BaseTestCase):
    """independent_voices: other sources with a corroborating claim, sharing no author and no publisher."""

    def corroborate(self, source):
        claim = create_claim(source=source, quote=source.text[:10])
        link_claims(claim_a=claim, claim_b=self.unacceptable)

    def independent_voices(self) -> int:
        return Claim.objects.get(pk=self.unacceptable.pk).independent_voices

    def test_a_source_from_another_publisher_counts(self):
        link_claims(claim_a=self.unacceptable, claim_b=self.rejected)
        self.assertEqual(self.independent_voices(), 1)
        row = exported_rows(Claim.objects.filter(pk=self.unacceptable.pk))[0]
        self.assertEqual(row["independent_voices"], "1")

    def test_a_source_of_the_same_publisher_does_not_count(self):
        self.corroborate(create_source(title="Ledger again", text="Another Ledger piece.", publisher=self.ledger_press))
        self.assertEqual(self.independent_voices(), 0)

    def test_a_source_sharing_an_author_does_not_count(self):
        writer = Agent.objects.create(name="Shared Writer")
        self.ledger.authors.add(writer)
        other = create_source(title="Elsewhere", text="An elsewhere piece.", authors=[writer])
        self.corroborate(other)
        self.assertEqual(self.independent_voices(), 0)

    def test_two_sources_without_publishers_share_none(self):
        bare = create_source(title="Bare", text="A bare piece with no publisher.", url="https://bare.example.com/1")
        self.ledger.publisher = None
        self.ledger.save()
        self.corroborate(bare)
        self.assertEqual(self.independent_voices(), 1)

    def test_a_source_with_no_author_publisher_or_url_is_unverified_not_independent(self):
        self.corroborate(create_source(title="Bare", text="A bare piece with nothing known about it."))
        claim = Claim.objects.get(pk=self.unacceptable.pk)
        self.assertEqual((claim.independent_voices, claim.unverified_sources), (0, 1))
        row = exported_rows(Claim.objects.filter(pk=self.unacceptable.pk))[0]
        self.assertEqual((row["independent_voices"], row["unverified_sources"]), ("0", "1"))

    def test_several_claims_of_one_source_count_it_once(self):
        link_claims(claim_a=self.unacceptable, claim_b=self.rejected)
        link_claims(claim_a=self.unacceptable, claim_b=create_claim(source=self.harbour, quote="Moscow rejected"))
        self.assertEqual(self.independent_voices(), 1)

    def test_a_contradicting_claim_does_not_count(self):
        link_claims(claim_a=self.unacceptable, claim_b=self.rejected, relation="contradicts")
        self.assertEqual(self.independent_voices(), 0)


class SpreadsheetEscapeTests(BaseTestCase):
    def test_each_dangerous_first_character_is_escaped_and_imports_back(self):
        for first in DANGEROUS:
            with self.subTest(first=repr(first)):
                cell = first + "SUM(A1)"
                self.assertEqual(escape(cell), "'" + cell)
                self.assertEqual(unescape(escape(cell)), cell)

    def test_harmless_text_is_left_alone(self):
        for cell in ["Moscow", "'Tis true", "", "5 = 5", "1+1"]:
            with self.subTest(cell=cell):
                self.assertEqual(escape(cell), cell)
                self.assertEqual(unescape(cell), cell)

    def test_text_that_looks_escaped_already_survives_the_round_trip(self):
        for cell in ["'=SUM(A1)", "''-5", "'@x"]:
            with self.subTest(cell=cell):
                self.assertEqual(unescape(escape(cell)), cell)

    def test_the_database_escapes_each_dangerous_first_character_like_python(self):
        source = create_source(
            title="=HYPERLINK(x)",
            text="".join(f"{first}cell{i} " for i, first in enumerate(DANGEROUS)) + "'=already",
        )
        quotes = [f"{first}cell{i}" for i, first in enumerate(DANGEROUS)] + ["'=already"]
        for quote in quotes:
            create_claim(source=source, quote=quote, statement=quote)
        table = read_table(io.BytesIO(exported(Claim.objects.filter(source=source))), columns=HEADER)
        rows = list(table.rows([]))
        raw = list(csv.DictReader(io.StringIO(exported(Claim.objects.filter(source=source)).decode(), newline="")))
        self.assertEqual([r["quote"] for r in raw], [escape(q) for q in quotes])
        self.assertTrue(all(r["source_title"] == "'=HYPERLINK(x)" for r in raw))
        self.assertEqual([row["quote"] for _, row in rows], quotes)
        for row in raw:
            for cell in row.values():
                self.assertFalse(cell[:1] in DANGEROUS, f"{cell!r} would run in a spreadsheet")

    def test_a_formula_after_a_semicolon_or_a_tab_in_a_cell_is_escaped_on_both_paths(self):
        # Issue 23, defect 6: a spreadsheet splitting on ";" computed =2*21 from the statement ";=2*21;".
        statements = [";=2*21;", "a\t=1+1", "\t\t=1", "x\n-5", 'a;"=1', "a;'=1", "a; -1", "5;6"]
        source = create_source(title="Words", text=" ".join(f"word{n}" for n in range(len(statements))))
        for n, statement in enumerate(statements):
            create_claim(source=source, quote=f"word{n}", statement=statement)
        paths = (True, False) if connection.vendor == "postgresql" else (False,)
        for use_copy in paths:
            with self.subTest(use_copy=use_copy):
                rows = csv.DictReader(io.StringIO(exported(use_copy=use_copy).decode(), newline=""))
                written = [row["statement"] for row in rows][-len(statements) :]
                self.assertEqual(written, [escape(s) for s in statements])
                self.assertEqual(written[:2], [";'=2*21;", "a\t'=1+1"])
                self.assertEqual([unescape(w) for w in written], statements)


class StoredCellsTests(BaseTestCase):
    """What the export reads as stored instead of computing it for every claim (issue 26), on both databases."""

    def test_the_escaped_quote_follows_the_quote_whatever_writes_it(self):
        source = create_source(title="Cells", text="=SUM(A1) and plain words")
        claim = create_claim(source=source, quote="=SUM(A1)")
        self.assertEqual(Claim.objects.values_list("quote_escaped", flat=True).get(pk=claim.pk), "'=SUM(A1)")
        self.assertEqual(exported_rows(Claim.objects.filter(pk=claim.pk))[0]["quote"], "'=SUM(A1)")
        Claim.objects.filter(pk=claim.pk).update(quote="plain words", start=13, end=24)  # a write past the services
        self.assertIsNone(Claim.objects.values_list("quote_escaped", flat=True).get(pk=claim.pk))
        self.assertEqual(exported_rows(Claim.objects.filter(pk=claim.pk))[0]["quote"], "plain words")

    def test_a_plain_quote_stores_no_escape(self):
        self.assertEqual(set(Claim.objects.values_list("quote_escaped", flat=True)), {None})

    def test_the_database_refuses_a_kind_or_status_that_is_not_a_choice(self):
        # The export writes both as stored, without the spreadsheet escape: only a constraint makes that safe.
        for field in ("kind", "status"):
            with self.subTest(field=field), self.assertRaises(IntegrityError), transaction.atomic():
                Claim.objects.filter(pk=self.rejected.pk).update(**{field: "=1+1"})

    def test_speakers_and_annotators_like_formulas_are_escaped_once_per_person(self):
        mallory = self.make_user("@mallory", "Annotator")
        source = create_source(title="People", text="one two")
        create_claim(source=source, quote="one", speaker=Agent.objects.create(name="=HYPERLINK(y)"), created_by=mallory)
        create_claim(source=source, quote="two", speaker=Agent.objects.get(name="=HYPERLINK(y)"), created_by=mallory)
        rows = exported_rows(Claim.objects.filter(source=source))
        self.assertEqual([(r["speaker"], r["annotator"]) for r in rows], [("'=HYPERLINK(y)", "'@mallory")] * 2)

    def test_the_one_claim_per_span_index_survives_every_migration(self):
        # SQLite rebuilds a table to alter it, dropping an index written in raw SQL unless the migration rewrites it.
        with connection.cursor() as cursor:
            indexes = connection.introspection.get_constraints(cursor, Claim._meta.db_table)
        self.assertTrue(indexes["claim_one_per_span"]["unique"])
        self.assertEqual(indexes["claim_one_per_span"]["columns"], ["source_id", "start", "end"])


@unittest.skipUnless(connection.vendor == "postgresql", "COPY … TO STDOUT needs PostgreSQL")
class CopyPathTests(BaseTestCase):
    def test_copy_and_the_iterator_write_the_same_bytes(self):
        awkward = create_source(
            title='A "quoted", multi-line\ntitle',
            text='=1+1, "quoted"\r\nline two; ünïcødé — “curly”\ttab',
            url="https://example.org/awkward",
            publisher=self.ledger_press,
            published_on=datetime.date(2017, 6, 1),
            published_on_precision=Precision.MONTH,
        )
        awkward.authors.set([Agent.objects.create(name="Zed Writer"), Agent.objects.create(name="-Dash, Writer")])
        claim = create_claim(
            source=awkward,
            quote='=1+1, "quoted"\r\nline two',
            statement="",
            speaker=Agent.objects.create(name="@handle"),
            tags=["a,b", 'say "x"'],
            created_by=self.alice,
        )
        link_claims(claim_a=claim, claim_b=self.unacceptable)
        link_claims(claim_a=claim, claim_b=self.rejected, relation="contradicts")
        copied = exported(use_copy=True)
        iterated = exported(use_copy=False)
        self.assertEqual(copied, iterated)
        self.assertEqual(len(copied.decode().split("\n")), Claim.objects.count() + 2 + 2)  # two quoted newlines

    def test_the_copy_is_one_statement_reading_the_stored_lists(self):
        for n, quote in enumerate(["Moscow", "rejected", "any American", "anti-missile", "base"]):
            claim = create_claim(source=self.harbour, quote=quote, tags=[f"tag{n}", "=sum"])
            relation = "contradicts" if n % 2 else "corroborates"
            link_claims(claim_a=claim, claim_b=self.unacceptable, relation=relation)
        with mock.patch("claims.exchange.columns._copied", wraps=columns._copied) as copy:
            copied = exported(use_copy=True)
        ((sql, _), *_), _ = copy.call_args
        self.assertEqual(copy.call_count, 1)
        self.assertNotIn("claims_link", sql)
        self.assertNotIn("claims_claim_tags", sql)
        self.assertEqual(copied, exported(use_copy=False))
        self.assertEqual(len(copied.decode().splitlines()), 1 + Claim.objects.count())

    def test_a_filtered_export_reads_the_claims_by_its_filters_not_by_a_list_of_ids(self):
        claims = Claim.objects.filter(speaker=self.putin)
        with mock.patch("claims.exchange.columns._copied", wraps=columns._copied) as copy:
            copied = exported(claims, use_copy=True)
        ((sql, _), *_), _ = copy.call_args
        self.assertEqual(sql.count('FROM "claims_claim"'), 1)
        self.assertEqual(copied, exported(claims, use_copy=False))

    def test_a_filtered_export_and_chosen_columns_match_too(self):
        claims = Claim.objects.filter(speaker=self.putin, source=self.ledger)
        columns = ["id", "quote", "speaker", "independent_voices"]
        self.assertEqual(
            exported(claims, columns=columns, use_copy=True), exported(claims, columns=columns, use_copy=False)
        )
