"""The annotate page in a real browser: Debian's chromium driven by Playwright.

The page runs under a strict Content Security Policy added to its responses (script-src 'self'):
any inline script or handler would be refused and show up as a console error, which fails the test.
"""

import re

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import expect

from claims.models import Claim, DismissedSuggestion, Link
from claims.services import create_claim
from sources.models import Agent
from sources.services import create_source
from tests.browser import ARTIFACTS, BrowserTestCase, give_role

pytestmark = pytest.mark.browser


# Written for these tests: curly quotes, em dashes, accented and non-Latin letters, an emoji, line breaks.
HARBOUR_DIARY = (
    "Harbour diary — Thursday 🌊\n"
    "The mayor, Zoë Añez, told the assembly: “We will not close the ferry pier.”\n"
    "Her deputy, Søren Ødegård, said “the pier is safe”\n"
    "and that repairs would start in May — weather allowing.\n"
    "Visitors from 名古屋 and from Αθήνα asked about the timetable.\n"
    + "".join(f"Note {n}: gulls on the breakwater, nothing else to report.\n" for n in range(1, 40))
)
SELECTED = "“the pier is safe”\nand that repairs would start"
PORT_BULLETIN = "Port authority bulletin 🚢\nEngineers found the ferry pier “sound and safe” after the storm.\n"


def large_text() -> str:
    line = "Item {:04d}: the river council said “the bridge reopens in spring” — café owners cheered 🎉.\n"
    return "".join(line.format(i) for i in range(1200))[:100_000]


class AnnotateInTheBrowserTests(BrowserTestCase):
    viewport = {"width": 1280, "height": 720}
    strict_csp_urls = re.compile(r".*/admin/annotate/source/.*")
    expected_console_errors = ("status of 422",)

    def setUp(self):
        self.alice = User.objects.create_user("alice", password="pw", is_staff=True)
        give_role(self.alice, "Annotator")
        self.deputy = Agent.objects.create(name="Søren Ødegård")
        self.diary = create_source(title="Harbour diary", text=HARBOUR_DIARY, language="en")
        self.bulletin = create_source(title="Port bulletin", text=PORT_BULLETIN)
        self.mayor_claim = create_claim(
            source=self.diary, quote="“We will not close the ferry pier.”", statement="The pier stays open"
        )
        self.engineers_claim = create_claim(source=self.bulletin, quote="the ferry pier “sound and safe”")
        self.log_in(self.alice)

    def open_annotate(self, source):
        self.page.goto(f"{self.live_server_url}/admin/annotate/source/{source.pk}/")
        expect(self.page.locator("#source-text mark").first).to_be_visible()

    def select_with_the_mouse(self, phrase: str) -> None:
        """Drag from the first character of the phrase to its last, as a reader would."""
        box = self.page.evaluate(
            """(phrase) => {
                const root = document.getElementById("source-text");
                const nodes = [];
                const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
                while (walker.nextNode()) nodes.push(walker.currentNode);
                const whole = nodes.map((n) => n.data).join("");
                const at = whole.indexOf(phrase);
                const point = (index) => {
                    for (const node of nodes) {
                        if (index < node.data.length) return [node, index];
                        index -= node.data.length;
                    }
                };
                const rect = (index) => {
                    const [node, offset] = point(index);
                    const range = document.createRange();
                    range.setStart(node, offset);
                    range.setEnd(node, offset + 1);
                    return range.getBoundingClientRect();
                };
                const first = rect(at), last = rect(at + phrase.length - 1);
                return {x1: first.left + 1, y1: first.top + first.height / 2,
                        x2: last.right - 1, y2: last.top + last.height / 2};
            }""",
            phrase,
        )
        self.page.mouse.move(box["x1"], box["y1"])
        self.page.mouse.down()
        self.page.mouse.move(box["x2"], box["y2"], steps=8)
        self.page.mouse.up()

    def select_by_script(self, phrase: str) -> None:
        """Select the phrase exactly, through the DOM's Range API (positions counted in UTF-16 units)."""
        self.page.evaluate(
            """(phrase) => {
                const root = document.getElementById("source-text");
                const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
                const nodes = [];
                while (walker.nextNode()) nodes.push(walker.currentNode);
                const at = nodes.map((n) => n.data).join("").indexOf(phrase);
                const point = (index) => {
                    for (const node of nodes) {
                        if (index <= node.data.length) return [node, index];
                        index -= node.data.length;
                    }
                };
                const range = document.createRange();
                range.setStart(...point(at));
                range.setEnd(...point(at + phrase.length));
                const selection = window.getSelection();
                selection.removeAllRanges();
                selection.addRange(range);
            }""",
            phrase,
        )

    def test_selecting_words_across_a_line_break_adds_a_claim_at_their_code_point_offsets(self):
        self.open_annotate(self.diary)
        self.page.evaluate("window.scrollTo(0, 150)")
        self.page.evaluate("window.sameDocument = true")
        scrolled = self.page.evaluate("window.scrollY")
        self.select_with_the_mouse(SELECTED)
        self.page.keyboard.press("a")

        form = self.page.locator("#add-claim-form")
        expect(form).to_be_visible()
        self.assertEqual(self.page.evaluate("window.scrollY"), scrolled, "opening the form does not move the page")
        expect(form.locator("input[name=quote]")).to_have_value(SELECTED)
        expect(form.locator("[data-quote-display]")).to_have_text(SELECTED)
        form.locator(".field-speaker .select2-selection").click()
        self.page.keyboard.type("Søren")
        self.page.locator(".select2-results__option", has_text="Søren Ødegård").click()
        form.locator("textarea[name=statement]").fill("The deputy says the pier is safe")
        form.locator("input[name=new_tags]").fill("ferry, safety")
        scrolled = self.page.evaluate("window.scrollY")
        form.get_by_role("button", name="Save claim").click()
        expect(self.page.locator("#editor-status")).to_have_text(re.compile(r"Claim #\d+ saved"))

        claim = Claim.objects.exclude(pk=self.mayor_claim.pk).get(source=self.diary)
        self.assertEqual(claim.quote, HARBOUR_DIARY[claim.start : claim.end])
        self.assertEqual((claim.start, claim.quote), (HARBOUR_DIARY.index(SELECTED), SELECTED))
        self.assertEqual((claim.speaker, claim.created_by), (self.deputy, self.alice))
        self.assertEqual(sorted(claim.tags.values_list("name", flat=True)), ["ferry", "safety"])
        expect(self.page.locator(f'#source-text mark[data-claims="{claim.pk}"]')).to_have_text(SELECTED)
        self.assertEqual(self.page.evaluate("window.scrollY"), scrolled, "saving does not move the page")
        self.assertTrue(self.page.evaluate("window.sameDocument"), "saving does not reload the page")
        expect(self.page.locator("#claim-panel")).to_contain_text(f"Claim #{claim.pk}")
        self.page.evaluate("window.scrollTo(0, 0)")
        self.page.screenshot(path=ARTIFACTS / "annotate.png")

    def test_a_text_with_windows_line_breaks_keeps_exact_offsets(self):
        # The browser shows "\r\n" as "\n"; the claim must still hold the text's own characters.
        text = "Ferry log 🎈\r\nThe captain wrote “calm sea”\r\nand “no delays” — as usual.\r\n"
        log = create_source(title="Ferry log", text=text)
        create_claim(source=log, quote="Ferry log")
        self.open_annotate(log)
        self.select_by_script("“calm sea”\nand “no delays”")
        self.page.keyboard.press("a")
        self.page.get_by_role("button", name="Save claim").click()
        expect(self.page.locator("#editor-status")).to_have_text(re.compile(r"Claim #\d+ saved"))
        claim = log.claims.get(start__gt=0)
        self.assertEqual((claim.quote, claim.start), ("“calm sea”\r\nand “no delays”", text.index("“calm sea”")))
        self.assertEqual(claim.quote, text[claim.start : claim.end])

    def test_a_passage_in_two_claims_opens_the_inner_one_and_offers_the_other(self):
        outer = create_claim(source=self.diary, quote="Her deputy, Søren Ødegård, said “the pier is safe”")
        inner = create_claim(source=self.diary, quote="“the pier is safe”", statement="Safe pier")
        self.open_annotate(self.diary)
        self.page.locator(f'mark[data-claims="{outer.pk} {inner.pk}"]').click()
        panel = self.page.locator("#claim-panel")
        expect(panel.locator("h2")).to_contain_text(f"Claim #{inner.pk}")
        panel.get_by_role("button", name=f"#{outer.pk}").click()
        expect(panel.locator("h2")).to_contain_text(f"Claim #{outer.pk}")

    def test_clicking_a_highlight_opens_its_claim_for_editing(self):
        self.open_annotate(self.diary)
        self.page.locator(f'mark[data-claims="{self.mayor_claim.pk}"]').click()
        panel = self.page.locator("#claim-panel")
        expect(panel).to_contain_text(f"Claim #{self.mayor_claim.pk}")
        panel.locator("textarea[name=statement]").fill("The mayor keeps the pier open")
        panel.get_by_role("button", name="Save changes").click()
        expect(self.page.locator("#editor-status")).to_have_text(re.compile(r"Claim #\d+ saved"))
        self.mayor_claim.refresh_from_db()
        self.assertEqual((self.mayor_claim.statement, self.mayor_claim.version), ("The mayor keeps the pier open", 1))
        expect(panel.locator("textarea[name=statement]")).to_have_value("The mayor keeps the pier open")

    def test_a_highlight_opens_from_the_keyboard(self):
        self.open_annotate(self.diary)
        self.page.locator(f'mark[data-claims="{self.mayor_claim.pk}"]').focus()
        self.page.keyboard.press("Enter")
        expect(self.page.locator("#claim-panel")).to_contain_text(f"Claim #{self.mayor_claim.pk}")

    def test_linking_claims_in_two_sources_shows_the_link_on_both(self):
        self.open_annotate(self.diary)
        self.page.locator(f'mark[data-claims="{self.mayor_claim.pk}"]').click()
        panel = self.page.locator("#claim-panel")
        panel.get_by_text("Link to a claim in another source").click()
        panel.get_by_label("Words").fill("sound safe")
        panel.get_by_role("button", name="Search").click()
        panel.get_by_label(re.compile("sound and safe")).check()
        panel.get_by_label("Relation").select_option("corroborates")
        panel.get_by_label("Note").fill("Both say the pier stays")
        self.page.screenshot(path=ARTIFACTS / "annotate-link-search.png")
        panel.get_by_role("button", name="Save link").click()
        expect(panel.locator(".claim-links")).to_contain_text("sound and safe")

        link = Link.objects.get()
        self.assertEqual((link.claim_a, link.claim_b), (self.mayor_claim, self.engineers_claim))
        self.open_annotate(self.bulletin)
        self.page.locator(f'mark[data-claims="{self.engineers_claim.pk}"]').click()
        expect(self.page.locator("#claim-panel .claim-links")).to_contain_text("We will not close the ferry pier")
        expect(self.page.locator("#claim-panel .claim-links")).to_contain_text("Both say the pier stays")
        self.page.screenshot(path=ARTIFACTS / "annotate-link.png")

    def test_a_suggested_link_is_made_with_one_click_and_a_dismissed_one_stays_gone(self):
        notes = create_source(title="Town hall notes", text="The mayor promised the pier stays open all winter.")
        pledge = create_claim(source=notes, quote=notes.text)
        notice = create_source(title="Harbour notice", text="The ferry pier will close for a week, the notice says.")
        closing = create_claim(source=notice, quote="The ferry pier will close for a week")
        self.open_annotate(self.diary)
        self.page.locator(f'mark[data-claims="{self.mayor_claim.pk}"]').click()
        panel = self.page.locator("#claim-panel")
        suggested = panel.locator(f'li.suggestion[data-claim="{pledge.pk}"]')
        expect(suggested.locator(".suggestion-reason")).to_contain_text("words in common")
        suggested.get_by_role("button", name="Link: corroborates").click()
        expect(self.page.locator("#editor-status")).to_have_text(f"Claim #{pledge.pk} linked as corroborating.")
        expect(panel.locator(".claim-links")).to_contain_text("promised the pier stays open")
        expect(suggested).to_have_count(0)
        link = Link.objects.get()
        self.assertEqual((link.claim_a, link.claim_b, link.relation), (self.mayor_claim, pledge, "corroborates"))

        # From the keyboard: the dismissed suggestion's button goes, the focus stays in the list.
        panel.locator(f'li.suggestion[data-claim="{closing.pk}"]').get_by_role("button", name="Dismiss").focus()
        self.page.keyboard.press("Enter")
        expect(self.page.locator("#editor-status")).to_have_text(f"Claim #{closing.pk} dismissed.")
        expect(self.page.locator("#suggestions-heading")).to_be_focused()
        self.page.screenshot(path=ARTIFACTS / "annotate-suggestions.png")
        self.assertTrue(DismissedSuggestion.objects.filter(claim=self.mayor_claim, suggested=closing).exists())

        self.page.goto(f"{self.live_server_url}/admin/annotate/source/{self.diary.pk}/?claim={self.mayor_claim.pk}")
        expect(panel.locator("#suggested-links")).to_be_visible()
        expect(panel.locator(f'li.suggestion[data-claim="{closing.pk}"]')).to_have_count(0)
        self.open_annotate(notes)
        self.page.locator(f'mark[data-claims="{pledge.pk}"]').click()
        expect(panel.locator(".claim-links")).to_contain_text("We will not close the ferry pier")

    def test_a_span_already_annotated_shows_the_error_next_to_the_form_and_keeps_the_input(self):
        self.open_annotate(self.diary)
        self.select_by_script(self.mayor_claim.quote)
        self.page.get_by_role("button", name="Add claim").click()
        form = self.page.locator("#add-claim-form")
        form.locator("textarea[name=statement]").fill("A second claim on the same words")
        form.get_by_role("button", name="Save claim").click()
        expect(form.locator(".errorlist")).to_contain_text(f"already annotated as claim #{self.mayor_claim.pk}")
        expect(form.locator("textarea[name=statement]")).to_have_value("A second claim on the same words")
        expect(form.locator("input[name=quote]")).to_have_value(self.mayor_claim.quote)
        self.assertEqual(Claim.objects.filter(source=self.diary).count(), 1)

    def test_the_page_reads_at_200_percent_zoom(self):
        # 200% zoom of a 1280×800 window leaves 640×400 CSS pixels.
        self.page.set_viewport_size({"width": 640, "height": 400})
        self.open_annotate(self.diary)
        self.assertLessEqual(self.page.evaluate("document.documentElement.scrollWidth"), 640)
        self.select_by_script(SELECTED)
        self.page.keyboard.press("a")
        self.page.screenshot(path=ARTIFACTS / "annotate-200-percent.png")
        expect(self.page.get_by_role("heading", name="New claim")).to_be_in_viewport()
        expect(self.page.locator(":focus")).to_be_in_viewport()
        self.page.screenshot(path=ARTIFACTS / "annotate-200-percent.png")

    def test_selection_to_open_form_on_a_large_source(self):
        """A benchmark figure, printed: from the key press to the form painted, in the page's own clock."""
        source = create_source(title="A hundred thousand characters", text=large_text())
        text = source.text
        starts = [m.start() for m in re.finditer("Item", text)][:1000]
        Claim.objects.bulk_create(
            Claim(source=source, quote=text[s : s + 9], start=s, end=s + 9, kind="paraphrase", status="reviewed")
            for s in starts
        )
        self.open_annotate(source)
        self.page.evaluate(
            """() => {
                document.addEventListener("keydown", () => { window.pressedAt = performance.now(); }, true);
                document.getElementById("annotate").addEventListener("claim-form-open", () =>
                    requestAnimationFrame(() => { window.shownAt = performance.now(); }));
            }"""
        )
        figures = []
        for item in ("Item 0500", "Item 0998"):
            phrase = text[text.index(item) + 11 : text.index(item) + 60]
            self.page.locator("#source-text").get_by_text(item).scroll_into_view_if_needed()
            self.select_by_script(phrase)
            self.page.keyboard.press("a")
            expect(self.page.locator("#add-claim-form input[name=quote]")).to_have_value(phrase)
            # Polled from here: wait_for_function evaluates a string, which the page's CSP refuses.
            for _ in range(100):
                if self.page.evaluate("() => window.shownAt > window.pressedAt"):
                    break
                self.page.wait_for_timeout(10)
            figures.append(self.page.evaluate("window.shownAt - window.pressedAt"))
        line = (
            "benchmark: selection to open form, 100,000 characters and 1,000 claims: "
            f"{max(figures):.1f} ms (worst of {len(figures)})"
        )
        print(line)
        (ARTIFACTS / "annotate-benchmark.txt").write_text(line + "\n")
