"""Cells a spreadsheet would run as a formula: escaped on export, unescaped on import.

A cell that begins with = + - @, a tab or a carriage return gets a leading apostrophe, which
spreadsheets read as "this is text". So that the escape can always be undone, a cell that already
begins with apostrophes followed by one of those characters gets one more: the export of any text
imports back as that same text.
"""

import re

from django.db.models import Case, Q, TextField, Value, When
from django.db.models.functions import Concat, Ord
from django.db.models.lookups import In, LessThanOrEqual, Regex

DANGEROUS_FIRST = "=+@\t\r-"
# The same pattern is run by PostgreSQL (~) and by Python (re, Django's REGEXP on SQLite).
NEEDS_ESCAPE = f"^'*[{DANGEROUS_FIRST}]"
# The first characters a cell needing the escape can start with: a cheap test before the pattern.
FIRST_CODES = sorted({ord(c) for c in "'" + DANGEROUS_FIRST})
ESCAPED = f"^'+[{DANGEROUS_FIRST}]"
_needs_escape = re.compile(NEEDS_ESCAPE)
_escaped = re.compile(ESCAPED)


def escape(cell: str) -> str:
    """The cell as a spreadsheet will show and not run."""
    return "'" + cell if _needs_escape.match(cell) else cell


def unescape(cell: str) -> str:
    """Undo `escape`."""
    return cell[1:] if _escaped.match(cell) else cell


def escaped(expression) -> Case:
    """`escape` as a database expression, for exports written by the database itself. Most cells start with a
    letter: one comparison of their first character's code rules them out (the list of codes took seven), and the
    pattern runs only for the few left (a million rows, a dozen cells)."""
    first = Ord(expression)
    first_may_need_it = Q(LessThanOrEqual(first, FIRST_CODES[-1])) & Q(In(first, FIRST_CODES))
    needs_escape = first_may_need_it & Q(Regex(expression, Value(NEEDS_ESCAPE)))
    return Case(
        When(needs_escape, then=Concat(Value("'"), expression, output_field=TextField())),
        default=expression,
        output_field=TextField(),
    )
