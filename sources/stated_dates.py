"""The publication date a plain-text or Markdown article states about itself, at the precision it states.

Only the head of the article is read (its first lines, where a title, a byline and a dateline stand), and
only a date standing on its own there: after a "Published" or "Posted" label, as one piece of a short byline
("June 1, 2017 | Tokyo", "By Ada Quill · 1 June 2017"), or in a dateline opening the first paragraph
("MOSCOW, June 1, 2017 — …"). A date that prose mentions ("In December 2016 Putin visited …", a photo caption
"… on July 16, 2013") is never a publication date. dateparser reads the date and says what it gives: a day, a
month or a year. A numeric date that reads both ways (01/06/2017) is not guessed.
"""

import datetime
import re
from dataclasses import dataclass

from dateparser.date import DateDataParser

from sources.dates import Precision, truncate

HEAD_LINES = 8  # non-empty lines read: title, standfirst, section label, byline, dateline, first paragraph
BYLINE_LENGTH = 120  # a byline or date line is short; a longer line is prose or a caption

MONTH = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sept?(?:ember)?|"
    r"Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
)
WEEKDAY = r"(?:(?:Mon|Tues?|Wed(?:nes)?|Thu(?:rs)?|Fri|Sat(?:ur)?|Sun)(?:day)?\.?,?\s+)?"
DAY = r"\d{1,2}(?:st|nd|rd|th)?"
TIME = r"(?:,?\s+(?:at\s+)?\d{1,2}[:.]\d{2}(?:\s*[ap]\.?m\.?)?(?:\s+[A-Z]{2,5})?)?"
# A date and nothing else: 1 June 2017, June 1, 2017, June 2017, 2017-06-01, 2017-06, 25/06/2017.
NAMED_DATE = rf"{WEEKDAY}(?:{DAY}\s+{MONTH},?\s+\d{{4}}|{MONTH}\s+{DAY},?\s+\d{{4}}|{MONTH},?\s+\d{{4}}){TIME}"
NUMERIC_DATE = (
    r"\d{4}-\d{2}(?:-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?(?:Z|[+-]\d{2}:?\d{2})?)?)?|\d{1,2}[/.]\d{1,2}[/.]\d{4}"
)
ONLY_A_DATE = re.compile(rf"(?:{NAMED_DATE}|{NUMERIC_DATE})", re.IGNORECASE)
ONLY_A_YEAR = re.compile(r"\d{4}")
LABELLED = re.compile(
    r"^\W*(?P<label>(?:first\s+)?(?:published|posted|dated?|publication\s+date))(?:\s+on)?\s*:?\s*(?P<rest>.+)$",
    re.IGNORECASE,
)
# What may follow the date on a labelled line: "by …", "in …", a separator and anything.
AFTER_LABELLED = re.compile(r"\s+(?:by|in|from)\s.*$|\s*[|•·—–]\s.*$|\s+-\s.*$", re.IGNORECASE)
DATELINE = re.compile(
    rf"^(?P<place>[A-Z][A-Z.'’ -]{{1,40}}(?:\([^)]{{1,40}}\))?),\s+(?P<date>{NAMED_DATE})\s*(?:--|—|–|-|:)\s",
)
SEPARATORS = re.compile(r"\s+[|•·—–]\s+|\s+-{1,2}\s+|\s*\|\s*")
BYLINE_NAME = re.compile(r"^\s*by\s+(?P<names>[^,]{3,80}),\s+(?P<rest>.+)$", re.IGNORECASE)

_parser = DateDataParser(
    languages=["en"],
    settings={"PARSERS": ["custom-formats", "absolute-time"], "REQUIRE_PARTS": ["year"], "PREFER_DATES_FROM": "past"},
)
PRECISIONS = {"day": Precision.DAY, "month": Precision.MONTH, "year": Precision.YEAR}


@dataclass(frozen=True)
class StatedDate:
    value: datetime.date | None  # None when the line states a date that cannot be read one way only
    precision: str
    line: int  # 1-based line of the text
    words: str  # the line it was read from
    where: str  # how the line stated it: "a “Published” line", "a byline", "a dateline"

    @property
    def note(self) -> str:
        words = self.words if len(self.words) <= 100 else self.words[:99] + "…"
        if self.value is None:
            return (
                f"A date on line {self.line} of the clean text (“{words}”) reads two ways, day first or month "
                "first, so no publication date was taken from it; give it with --published-on."
            )
        shown = {Precision.YEAR: "%Y", Precision.MONTH: "%Y-%m"}.get(self.precision, "%Y-%m-%d")
        return (
            f"Publication date {self.value.strftime(shown)} (to the {self.precision}) read from {self.where} "
            f"on line {self.line} of the clean text: “{words}”."
        )


def read_date(words: str, *, year_alone: bool = False) -> tuple[datetime.date, str] | bool | None:
    """The date and its precision when `words` are a date and nothing else (a year alone only when a label says
    it is the publication date); False when it reads two ways (01/06/2017); None when it is not a date."""
    words = words.strip().rstrip(".,;")
    if not (ONLY_A_DATE.fullmatch(words) or (year_alone and ONLY_A_YEAR.fullmatch(words))):
        return None
    numeric = re.fullmatch(r"(\d{1,2})[/.](\d{1,2})[/.]\d{4}", words)
    if numeric and numeric[1] != numeric[2] and int(numeric[1]) <= 12 and int(numeric[2]) <= 12:
        return False
    parsed = _parser.get_date_data(words)
    if parsed.date_obj is None or parsed.period not in PRECISIONS:
        return None
    precision = PRECISIONS[parsed.period]
    return truncate(parsed.date_obj.date(), precision), precision


def stated_publication_date(text: str) -> StatedDate | None:
    """The publication date the head of the text states (see the module's docstring), or None."""
    head = [(number, line.strip()) for number, line in enumerate(text.splitlines(), start=1) if line.strip()]
    for number, line in head[:HEAD_LINES]:
        found = _date_in_line(line)
        if found is not None:
            where, result = found
            if result is False:
                return StatedDate(None, Precision.DAY, number, line, where)
            return StatedDate(result[0], result[1], number, line, where)
    return None


def _date_in_line(line: str):
    labelled = LABELLED.match(line)
    if labelled and len(line) <= BYLINE_LENGTH:
        rest = AFTER_LABELLED.sub("", labelled["rest"])
        result = read_date(rest, year_alone=True)
        if result is not None:
            label = labelled["label"]
            return f"a “{label[0].upper()}{label[1:].lower()}” line", result
    dateline = DATELINE.match(line)
    if dateline:
        result = read_date(dateline["date"])
        if result is not None:
            return "a dateline", result
    if len(line) > BYLINE_LENGTH:
        return None
    byline = BYLINE_NAME.match(line)
    pieces = SEPARATORS.split(byline["rest"] if byline else line)
    if byline is None and len(pieces) == 1:
        result = read_date(line)
        return ("a date line", result) if result is not None else None
    for piece in pieces:
        result = read_date(piece)
        if result is not None:
            return "a byline", result
    return None
