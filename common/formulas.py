"""Cells a spreadsheet would run as a formula: escaped on export, unescaped on import.

A spreadsheet runs a cell that begins with = + - @, a tab or a carriage return. It may also cut our cells
where we do not: opened with ";" or tab as the separator (our imports accept ";" files, so people open them so),
or reading a cell's line breaks as new rows, it starts a new cell after each ";", tab, CR or LF inside ours
(issue 23: the statement `;=2*21;` was computed). So the cell's start and every place after one of those
characters is a *start*: where the text from a start begins with the formula character (after any apostrophes
or double quotes, which a spreadsheet may strip), an apostrophe is put at the start, which spreadsheets read as
"this is text". Text whose start already holds such apostrophes gets one more, so the escape can always be
undone: the export of any text imports back as that same text.
"""

import re

from django.db.models import Case, Func, Q, TextField, Value, When
from django.db.models.functions import Ord, StrIndex
from django.db.models.lookups import GreaterThan, In, LessThanOrEqual

DANGEROUS_FIRST = "=+@\t\r-"
STARTS_AFTER = ";\t\r\n"
# The same patterns are run by PostgreSQL (regexp_replace) and by Python (re; a function of ours on SQLite). They
# match no character but the escape itself: an alternation that took the separator would let PostgreSQL, which
# prefers the longest match, take a tab where Python takes the cell's start.
NEEDS_ESCAPE = f"(?:^|(?<=[{STARTS_AFTER}]))(?=['\"]*[{DANGEROUS_FIRST}])"
ESCAPED = f"(?:^|(?<=[{STARTS_AFTER}]))'(?=['\"]*[{DANGEROUS_FIRST}])"
# The first characters a cell needing the escape at its start can begin with: a cheap test before the pattern.
FIRST_CODES = sorted({ord(c) for c in "'\"" + DANGEROUS_FIRST})
SQLITE_FUNCTION = "claimtrail_escape_formulas"
_needs_escape = re.compile(NEEDS_ESCAPE)
_escaped = re.compile(ESCAPED)


def escape(cell: str) -> str:
    """The cell as a spreadsheet will show and not run, whatever it splits cells on."""
    return _needs_escape.sub("'", cell)


def unescape(cell: str) -> str:
    """Undo `escape`."""
    return _escaped.sub("", cell) if "'" in cell else cell


class EscapeFormulas(Func):
    """`escape` run by the database: PostgreSQL's regexp_replace, or on SQLite the Python function registered by
    `register_sqlite_function`."""

    function = "regexp_replace"
    output_field = TextField()

    def __init__(self, expression):
        super().__init__(expression, Value(NEEDS_ESCAPE), Value("'"), Value("g"))

    def as_sqlite(self, compiler, connection, **extra):
        return Func(self.source_expressions[0], function=SQLITE_FUNCTION, output_field=TextField()).as_sql(
            compiler, connection, **extra
        )


def escaped(expression) -> Case:
    """`escape` as a database expression, for exports written by the database itself. Most cells start with a
    letter and hold none of the characters that start a cell: one comparison of their first character's code
    and a strpos per character rule them out, and the pattern runs only for the few left."""
    return _escaped_or(expression, otherwise=expression)


def escaped_or_null(expression) -> Case:
    """`escaped`, NULL where the text surely needs no escape: what a claim stores (Claim.quote_escaped) so that
    the export tests its quotes once, when they are written, not on every export."""
    return _escaped_or(expression, otherwise=None)


def _escaped_or(expression, *, otherwise) -> Case:
    needing = When(_may_need_escape(expression), then=EscapeFormulas(expression))
    return Case(needing, default=otherwise, output_field=TextField())


def _may_need_escape(expression) -> Q:
    first = Ord(expression)
    may_need_it = Q(LessThanOrEqual(first, FIRST_CODES[-1])) & Q(In(first, FIRST_CODES))
    for character in STARTS_AFTER:  # strpos: on a million quotes, about what reading them costs; LIKE or ~ twice that
        may_need_it |= Q(GreaterThan(StrIndex(expression, Value(character)), 0))
    return may_need_it


def register_sqlite_function(sender, connection, **kwargs) -> None:
    """Give a new SQLite connection the escape (connected to `connection_created` by the claims app)."""
    if connection.vendor == "sqlite":
        connection.connection.create_function(SQLITE_FUNCTION, 1, _escape_or_null, deterministic=True)


def _escape_or_null(cell: str | None) -> str | None:
    return None if cell is None else escape(cell)
