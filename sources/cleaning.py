"""From a raw capture to the clean text that claims are anchored to.

Cleaning works on lines and paragraphs (runs of non-blank lines) and only ever removes whole
lines, or a `{{placeholder}}` inside a line, so every line of the clean text stands verbatim in
the raw text and each removal is recorded with the raw line it came from. Kinds of furniture:

- navigation: icon-sprite strings ("ArrowArtboardCreated with Sketch…"), menus, share buttons;
- section label: a short kicker before the title ("International Relations");
- paywall, sponsored content and "More from …" recommendations: a marker line starts a run that
  goes on over the short paragraphs after it and ends at the next long paragraph (article prose);
- template placeholder: `{{numberArticlesLeft}}` and the like;
- repeated caption: a line repeated within its paragraph (a photo caption scraped several times; every copy goes);
- photo caption: a line ending in a photo credit ("(… /AFP/Getty Images)"), or a short one-line paragraph that
  places people in a picture ("…, left, meets …", "(R)");
- disclaimer: "Views expressed are of …", "The views expressed … are the author's own";
- byline: "Author: …" near the top, which is metadata: its names are read as the authors.

Words the scraper ran together ("inJapan") are left as captured; `Cleaned.notes` says where.
- duplicated paragraph: a paragraph the scraper copied, kept where it first occurs;
- search help: "Use 'AND' or 'OR' to refine your search."

HTML goes through trafilatura first (main-text extraction), then through the same rules.
"""

import datetime
import difflib
import re
from dataclasses import dataclass, field

import trafilatura

LONG_LINE = 250  # a paragraph with a line this long is article prose and ends a furniture run
MARKER_LINE = 160  # a marker is a short line; prose that mentions subscriptions is not one
MIN_DUPLICATE = 40  # shorter repeated paragraphs ("Read more") are left to the other rules

ICON_WORDS = re.compile(
    r"Icon|Chevron|Arrow|Artboard|Burger|Sketch|Facebook|Twitter|Linkedin|LinkedIn|Instagram|Whatsapp|"
    r"WhatsApp|Mail|Print|Search|Menu|Path Layer|Close|Share"
)
NAVIGATION = re.compile(
    r"^\s*(skip to (main )?content|menu|main menu|share( this( article| story)?)?|share on \w+|print( this)?|"
    r"email|e-mail|sign in|log in|sign up|search|close|back to top|home|toggle navigation|advertisement)\s*$",
    re.IGNORECASE,
)
MENU_BAR = re.compile(r"^\s*[^|]{1,30}(\s\|\s[^|]{1,30}){2,}\s*$")  # "Home | World | Business"
PLACEHOLDER = re.compile(r"\{\{\s*[\w.-]+\s*\}\}")
SEARCH_HELP = re.compile(
    r"refine your search|exact (match(es)?|phrase)\b|search tips?\b|^\s*(no results found|showing results for)\b",
    re.IGNORECASE,
)
PAYWALL = re.compile(
    r"free articles? left|your (last )?free article|subscri(be|ption)|unlimited access|"
    r"trial (period )?(has )?expired|^\s*try \d+ (months?|weeks?|days?) for\b|^\s*offer ends\b|see all offers|"
    r"already a subscriber|to continue reading|register for free|^\s*get unlimited access\b",
    re.IGNORECASE,
)
SPONSORED = re.compile(
    r"^\s*(sponsored( content| post| by\b.*)?|paid (post|content)|partner content|promoted( content)?|"
    r"about sponsored content\b.*)\s*$",
    re.IGNORECASE,
)
RECOMMENDATIONS = re.compile(
    r"^\s*(more from .{1,60}|more stories|related( articles| stories| coverage)?|recommended( for you)?|"
    r"read (more|next)|you (may|might) also like|most (popular|read)|trending( now)?)\s*:?\s*$",
    re.IGNORECASE,
)
TITLE_WORDS = 4
PHOTO_CREDIT = re.compile(
    r"\((?:[^()]*/)?\s*(?:AFP|Getty Images|Reuters|AP Photo|EPA|Kyodo|Sputnik|TASS|Bloomberg)\b[^()]*\)\s*$"
)
IN_PICTURE = re.compile(r",\s(?:left|right|centre|center|second (?:from )?(?:left|right))[,.]\s|\((?:L|R|C|C-L|C-R)\)")
CAPTION_LINE = 220  # a placing caption is one short line; article prose is longer or runs on
DISCLAIMER = re.compile(
    r"^\s*(?:the\s)?(?:views|opinions) expressed\b.{0,200}"
    r"(?:are (?:of|those of|solely)|rather than|do not (?:necessarily )?reflect|author'?s? own)",
    re.IGNORECASE,
)
AUTHOR_LINE = re.compile(r"^\s*authors?\s*:\s*(?P<names>.{3,120})$", re.IGNORECASE)
RUN_TOGETHER = re.compile(r"\b[a-z]{2,}[A-Z][a-z]{2,}\b")  # "inJapan": a space the scraper lost


@dataclass(frozen=True)
class Removal:
    kind: str
    line: int  # 1-based line of the raw text
    text: str

    def as_dict(self) -> dict:
        return {"kind": self.kind, "line": self.line, "text": self.text}


@dataclass
class Cleaned:
    text: str
    title: str
    removals: list[Removal]
    diff: str
    authors: list[str] = field(default_factory=list)  # read from a byline line that cleaning removed
    notes: list[str] = field(default_factory=list)  # what cleaning saw but left as captured

    @property
    def removed_kinds(self) -> set[str]:
        return {r.kind for r in self.removals}


@dataclass
class HtmlExtract:
    text: str
    title: str = ""
    authors: list[str] = field(default_factory=list)
    publisher: str = ""
    url: str = ""
    published_on: datetime.date | None = None
    language: str = ""


# The page's own statement of its language: <html lang="en"> (a BCP 47 tag).
HTML_LANG = re.compile(r"<html\b[^>]*?\blang\s*=\s*[\"']?([A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*)", re.IGNORECASE)


def normalised(text: str) -> str:
    return " ".join(text.split())


def is_icon_string(line: str) -> bool:
    return "Created with Sketch" in line or len(ICON_WORDS.findall(line)) >= 5 and len(line) < 600


def line_kind(line: str) -> str | None:
    """The kind of furniture a line is on its own, or None when it may be article text."""
    if is_icon_string(line) or NAVIGATION.match(line) or MENU_BAR.match(line):
        return "navigation"
    if PHOTO_CREDIT.search(line) and len(line) < LONG_LINE * 2:
        return "photo caption"
    if DISCLAIMER.match(line) and len(line) < LONG_LINE:
        return "disclaimer"
    if SEARCH_HELP.search(line) and len(line) < LONG_LINE:
        return "search help"
    if PLACEHOLDER.search(line) and len(line) < LONG_LINE:
        return "template placeholder"
    return None


def run_marker(line: str) -> str | None:
    """The kind of furniture run a paragraph starting with this line opens, if any."""
    if len(line) >= MARKER_LINE:
        return None
    if SPONSORED.match(line):
        return "sponsored content"
    if RECOMMENDATIONS.match(line):
        return "recommendations"
    if PAYWALL.search(line) or PLACEHOLDER.search(line):
        return "paywall"
    return None


def paragraphs(lines: list[str]) -> list[list[int]]:
    """Indexes of the lines of each paragraph (a run of non-blank lines)."""
    result, current = [], []
    for i, line in enumerate(lines):
        if line.strip():
            current.append(i)
        elif current:
            result.append(current)
            current = []
    if current:
        result.append(current)
    return result


def is_title(line: str) -> bool:
    words = line.lstrip("# ").split()
    return TITLE_WORDS <= len(words) <= 30 and not line.rstrip().endswith((".", ":", ";", ","))


def clean_text(raw: str) -> Cleaned:
    """Remove page furniture from a raw text; see the module docstring for the kinds."""
    lines = raw.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    kept = list(lines)  # a line set to None is removed; a placeholder may be cut out of a kept line
    removals: list[Removal] = []

    def remove(i: int, kind: str) -> None:
        if kept[i] is not None:
            removals.append(Removal(kind, i + 1, lines[i]))
            kept[i] = None

    blocks = paragraphs(lines)

    # Runs of paywall, sponsored content and recommendations: marker, then short paragraphs.
    run_kind = None
    for block in blocks:
        marker = run_marker(lines[block[0]])
        long = any(len(lines[i]) >= LONG_LINE for i in block)
        if marker:
            run_kind = marker
        elif long:
            run_kind = None
        if run_kind:
            for i in block:
                remove(i, run_marker(lines[i]) or line_kind(lines[i]) or run_kind)

    # Lines that are furniture on their own, and captions repeated within a paragraph (every copy).
    for block in blocks:
        repeated = {
            normalised(lines[i]) for i in block if [normalised(lines[j]) for j in block].count(normalised(lines[i])) > 1
        }
        seen = set()
        for i in block:
            if kept[i] is None:
                continue
            kind = line_kind(lines[i])
            if kind == "template placeholder" or kind is None and PLACEHOLDER.search(lines[i]):
                if len(lines[i]) < LONG_LINE:
                    remove(i, "template placeholder")
                else:
                    for match in PLACEHOLDER.finditer(lines[i]):
                        removals.append(Removal("template placeholder", i + 1, match.group()))
                    kept[i] = PLACEHOLDER.sub("", lines[i])
            elif kind:
                remove(i, kind)
            elif normalised(lines[i]) in seen:
                remove(i, "repeated caption")
            elif normalised(lines[i]) in repeated:
                seen.add(normalised(lines[i]))
                remove(i, "photo caption")
            else:
                seen.add(normalised(lines[i]))

    # A one-line paragraph that places people in a picture ("…, left, meets …") is its caption.
    for block in blocks:
        if len(block) == 1 and kept[block[0]] is not None:
            line = kept[block[0]]
            if len(line) < CAPTION_LINE and IN_PICTURE.search(line):
                remove(block[0], "photo caption")

    # "Author: …" near the top is metadata: read its names, drop the line.
    authors: list[str] = []
    for block in blocks[:8]:
        for i in block:
            match = AUTHOR_LINE.match(lines[i]) if kept[i] is not None else None
            if match:
                authors += split_names(match.group("names"))
                remove(i, "byline")

    # Paragraphs the scraper copied: keep the first.
    seen_paragraphs = set()
    for block in blocks:
        text = normalised(" ".join(kept[i] for i in block if kept[i] is not None))
        if len(text) >= MIN_DUPLICATE and text in seen_paragraphs:
            for i in block:
                remove(i, "duplicated paragraph")
        elif text:
            seen_paragraphs.add(text)

    # The title, and short section labels above it.
    live = [[i for i in block if kept[i] is not None] for block in blocks]
    live = [block for block in live if block]
    title = ""
    for n, block in enumerate(live[:3]):
        if len(block) == 1 and is_title(kept[block[0]]):
            title = kept[block[0]].lstrip("# ").strip()
            if all(len(kept[i]) <= 60 for earlier in live[:n] for i in earlier):
                for earlier in live[:n]:
                    for i in earlier:
                        remove(i, "section label")
            break

    clean_paragraphs = []
    for block in blocks:
        text_lines = [kept[i] for i in block if kept[i] is not None]
        if text_lines:
            clean_paragraphs.append("\n".join(text_lines))
    text = "\n\n".join(clean_paragraphs)
    removals.sort(key=lambda r: r.line)
    notes = []
    run_together = sorted(set(RUN_TOGETHER.findall(text)))
    if run_together:
        notes.append(
            "Words run together, probably by the scraper, left as captured: " + ", ".join(run_together[:20]) + "."
        )
    return Cleaned(text=text, title=title, removals=removals, diff=diff_lines(raw, text), authors=authors, notes=notes)


def diff_lines(raw: str, text: str) -> str:
    """A unified diff from the raw capture to the clean text, line by line."""
    raw_lines = raw.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(difflib.unified_diff(raw_lines, text.split("\n"), "raw capture", "clean text", n=1, lineterm=""))


def extract_html(html: str) -> HtmlExtract:
    """The main text of an HTML page and the metadata it states, by trafilatura."""
    document = trafilatura.bare_extraction(html, with_metadata=True, include_comments=False, include_tables=True)
    if document is None or not (document.text or "").strip():
        return HtmlExtract(text="")
    # trafilatura puts one paragraph a line; a blank line between them keeps paragraphs apart here.
    text = "\n\n".join(line for line in document.text.split("\n") if line.strip())
    authors = [a.strip() for a in re.split(r";|,| and ", document.author or "") if a.strip()]
    published_on = None
    if document.date:
        try:
            published_on = datetime.date.fromisoformat(document.date[:10])
        except ValueError:
            published_on = None
    return HtmlExtract(
        text=text,
        title=(document.title or "").strip(),
        authors=authors,
        publisher=(document.sitename or "").strip(),
        url=(document.url or "").strip(),
        published_on=published_on,
        language=match.group(1) if (match := HTML_LANG.search(html)) else "",
    )


BYLINE = re.compile(r"^\s*(?:authors?\s*:|by\b|written by\b)\s*(?P<names>.{3,120})$", re.IGNORECASE)
NAME = r"(?:[A-Z][\w'’.-]*\s){0,3}[A-Z][\w'’-]+"
BIOGRAPHY = re.compile(
    rf"^\s*(?P<name>{NAME}) is (?:a|an|the)\b[^.]{{0,200}}?\b(?:professor|fellow|lecturer|researcher|journalist|"
    r"correspondent|editor|writer|author|analyst|director|reporter|scholar|columnist|specialist|expert|"
    r"student|chair|head|member)\b"
)
PUBLISHER = [
    re.compile(r"^\s*more from (?P<name>[A-Z][\w&.'’ -]{1,60}?)\s*$", re.IGNORECASE),
    re.compile(r"full access to (?:the )?(?P<name>[A-Z][\w&.'’ -]{1,60}?) has expired"),
    re.compile(r"^\s*(?:publisher|published by)\s*:?\s+(?P<name>[A-Z][\w&.'’ -]{1,60}?)\.?\s*$", re.IGNORECASE),
    re.compile(r"^\s*(?:©|\(c\)|copyright)\s*(?:\d{4}\s+)?(?P<name>[A-Z][\w&.'’ -]{1,60}?)[.,]?\s*$", re.IGNORECASE),
]


ORGANISATION = r"(?:[Tt]he\s+)?[A-Z][\w&.'’-]*(?:\s+(?:of\s+|and\s+|&\s+)?[A-Z][\w&.'’-]*){0,5}"
RENAMED = [
    # "Nikkei Asian Review, now known as Nikkei Asia"; "… now called …"; "… renamed …"
    re.compile(
        rf"(?P<old>{ORGANISATION}),?\s+(?:is\s+|was\s+)?(?:now\s+known\s+as|now\s+called|renamed(?:\s+as)?)\s+"
        rf"(?P<new>{ORGANISATION})"
    ),
    # "Nikkei Asia (formerly Nikkei Asian Review)"; "Nikkei Asia, formerly known as the Nikkei Asian Review"
    re.compile(rf"(?P<new>{ORGANISATION}),?\s+\(?formerly(?:\s+known\s+as)?\s+(?P<old>{ORGANISATION})"),
]


def bare_organisation(name: str) -> str:
    name = name.strip(" .,")
    return name[4:] if name.lower().startswith("the ") else name


def detect_renames(raw: str) -> list[tuple[str, str]]:
    """The publishers a page names under two names, as (former name, current name): "X, now known as Y",
    "Y (formerly X)", a masthead naming both."""
    found: list[tuple[str, str]] = []
    for line in raw.splitlines():
        for pattern in RENAMED:
            for match in pattern.finditer(line):
                old, new = bare_organisation(match.group("old")), bare_organisation(match.group("new"))
                if old.casefold() != new.casefold() and (old, new) not in found:
                    found.append((old, new))
    return found


def split_names(names: str) -> list[str]:
    return [n.strip(" .") for n in re.split(r",| and | & ", names) if n.strip(" .")]


def detect_authors(text: str) -> list[str]:
    """Authors the text names: a byline near the top ("Author: …", "By …") or a closing biography line."""
    found: list[str] = []
    chunks = [p for p in text.split("\n\n") if p.strip()]
    for chunk in chunks[:6]:
        for line in chunk.split("\n"):
            match = BYLINE.match(line)
            if match:
                found += split_names(match.group("names"))
    for chunk in chunks[-6:]:
        match = BIOGRAPHY.match(chunk)
        if match:
            found.append(match.group("name").strip())
    unique = []
    for name in found:
        if name.casefold() not in {u.casefold() for u in unique}:
            unique.append(name)
    return unique


def detect_publisher(raw: str) -> str:
    """A publisher the raw page names, as in its "More from …" list or its paywall."""
    for line in raw.splitlines():
        for pattern in PUBLISHER:
            match = pattern.search(line)
            if match:
                return match.group("name").strip()
    return ""
