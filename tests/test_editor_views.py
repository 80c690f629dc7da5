"""The annotate page and its endpoints, through the Django test client."""

import datetime
import re

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse

from claims.models import Claim, DismissedSuggestion, Link, Tag
from claims.services import create_claim, link_claims, set_status
from sources.models import Agent, Source
from sources.services import create_source
from tests.base import LEDGER_TEXT, BaseTestCase

# Session, user, the user's own and group permissions, the source, its claims, its broken claims, the tags in the
# new-claim form.
ANNOTATE_QUERIES = 8
# Suggested links (claims.corroboration.suggestions.suggestions_for): the fitted weights (learning.py; one more,
# the associations of the claim's words, once fitted), the claim's links and dismissals, a
# two-query sample of all claims (one once the table outgrows the sample), the candidates sharing its words
# (SQLite: one read of the other sources' claims; PostgreSQL: the words' shares from the index statistics, then
# the claims sharing any of them; one more, to rank them, only when more than MATCHED do),
# the candidates' words and dates, and the shown ones in full (neither asked for when there are
# none). So never more than this, whatever the number of links and suggestions.
SUGGESTION_QUERIES = 8 if connection.vendor == "postgresql" else 7
# Session, user, permissions (2), the claim, its links, the tags to choose from, its tags, its speaker, and the
# counts explained (the corroborating sources, then their facts in 2; the likely duplicates they depend on are
# stored on the claim);
# its suggested links come after, from their own endpoint: session, user, permissions (2), the claim, then them.
PANEL_QUERIES = 12
SUGGESTIONS_FRAGMENT_QUERIES = 5 + SUGGESTION_QUERIES


def claim_data(quote: str, start: int, **extra) -> dict:
    return {
        "quote": quote,
        "start": start,
        "end": start + len(quote),
        "kind": "direct_quote",
        "status": "draft",
        **extra,
    }


class AnnotatePageTests(BaseTestCase):
    def annotate_url(self, source: Source) -> str:
        return reverse("annotate:source", args=[source.pk])

    def test_anonymous_visitor_is_sent_to_the_login_page(self):
        response = self.client.get(self.annotate_url(self.ledger))
        self.assertRedirects(
            response, f"{reverse('admin:login')}?next={self.annotate_url(self.ledger)}", fetch_redirect_response=False
        )

    def test_an_annotator_who_is_not_staff_is_sent_to_the_login_page(self):
        self.alice.is_staff = False
        self.alice.save()
        self.client.force_login(self.alice)
        response = self.client.get(self.annotate_url(self.ledger))
        self.assertRedirects(
            response, f"{reverse('admin:login')}?next={self.annotate_url(self.ledger)}", fetch_redirect_response=False
        )

    def test_staff_without_claim_permissions_is_refused(self):
        nobody = self.make_user("nora", "Viewer")
        nobody.memberships.all().delete()  # a staff account with no role in any project
        self.client.force_login(nobody)
        self.assertEqual(self.client.get(self.annotate_url(self.ledger)).status_code, 403)

    def test_viewer_sees_the_text_with_its_claims_highlighted_but_cannot_add(self):
        self.client.force_login(self.vera)
        response = self.client.get(self.annotate_url(self.ledger))
        self.assertContains(response, f'data-claims="{self.unacceptable.pk}"')
        self.assertContains(response, 'class="claim status-draft"')
        self.assertNotContains(response, 'id="add-claim"')
        self.assertNotContains(response, 'id="add-claim-form"')

    def test_annotator_gets_the_add_claim_button_and_form(self):
        self.client.force_login(self.alice)
        response = self.client.get(self.annotate_url(self.ledger))
        self.assertContains(response, 'id="add-claim"')
        self.assertContains(response, 'aria-keyshortcuts="a"')
        self.assertContains(response, 'id="add-claim-form"')

    def test_the_page_has_no_inline_script_or_event_handler(self):
        self.client.force_login(self.bob)
        html = self.client.get(self.annotate_url(self.ledger) + f"?claim={self.unacceptable.pk}").content.decode()
        scripts = re.findall(r"<script\b[^>]*>", html)
        self.assertTrue(scripts)
        self.assertTrue(all(" src=" in tag for tag in scripts), scripts)
        self.assertIsNone(re.search(r"\son[a-z]+\s*=", html))
        self.assertIsNone(re.search(r"(src|href)=\"(https?:)?//", html), "nothing is loaded from another host")

    def test_a_claim_named_in_the_address_opens_in_the_panel(self):
        self.client.force_login(self.vera)
        response = self.client.get(self.annotate_url(self.ledger) + f"?claim={self.unacceptable.pk}")
        self.assertContains(response, f"Claim #{self.unacceptable.pk}")
        self.assertContains(response, "would be “absolutely unacceptable”")

    def test_a_claim_of_another_source_is_not_opened_on_this_page(self):
        self.client.force_login(self.vera)
        response = self.client.get(self.annotate_url(self.ledger) + f"?claim={self.rejected.pk}")
        self.assertEqual(response.status_code, 404)

    def test_the_source_admin_page_links_to_the_annotate_page(self):
        self.client.force_login(self.bob)
        response = self.client.get(reverse("admin:sources_source_change", args=[self.ledger.pk]))
        self.assertContains(response, f'href="{self.annotate_url(self.ledger)}"')


class AddClaimTests(BaseTestCase):
    def add(self, user, data, source=None):
        self.client.force_login(user)
        url = reverse("annotate:add_claim", args=[(source or self.ledger).pk])
        return self.client.post(url, data, HTTP_ACCEPT="application/json")

    def test_annotator_adds_a_claim_from_a_selection(self):
        start = LEDGER_TEXT.index("Talks on")
        data = claim_data("Talks on joint projects would go on.", start, statement="Talks go on")
        response = self.add(self.alice, data)
        self.assertEqual(response.status_code, 200)
        claim = Claim.objects.get(pk=response.json()["claim"])
        self.assertEqual((claim.start, claim.created_by), (start, self.alice))
        self.assertEqual(claim.quote, LEDGER_TEXT[start : claim.end])
        self.assertIn(f'data-claims="{claim.pk}"', response.json()["text"])
        self.assertIn(f"Claim #{claim.pk}", response.json()["panel"])

    def test_the_answer_to_a_save_holds_a_fresh_empty_form(self):
        start = LEDGER_TEXT.index("Talks on")
        response = self.add(self.alice, claim_data("Talks", start, statement="a statement to forget"))
        self.assertNotIn("a statement to forget", response.json()["add_form"])

    def test_viewer_cannot_add_a_claim(self):
        response = self.add(self.vera, claim_data("Talks", LEDGER_TEXT.index("Talks")))
        self.assertEqual(response.status_code, 403)
        self.assertFalse(Claim.objects.filter(quote="Talks").exists())

    def test_annotator_cannot_set_the_review_status(self):
        response = self.add(self.alice, claim_data("Talks", LEDGER_TEXT.index("Talks"), status="reviewed"))
        self.assertEqual(Claim.objects.get(pk=response.json()["claim"]).status, Claim.Status.DRAFT)

    def test_reviewer_sets_the_review_status(self):
        response = self.add(self.bob, claim_data("Talks", LEDGER_TEXT.index("Talks"), status="reviewed"))
        self.assertEqual(Claim.objects.get(pk=response.json()["claim"]).status, Claim.Status.REVIEWED)

    def test_the_same_span_twice_is_refused_next_to_the_form_with_the_input_kept(self):
        claim = self.unacceptable
        response = self.add(self.alice, claim_data(claim.quote, claim.start, statement="My second try"))
        self.assertEqual(response.status_code, 422)
        form_html = response.json()["add_form"]
        self.assertIn(f'already annotated as <a class="open-claim" data-claim="{claim.pk}"', form_html)
        self.assertIn("My second try", form_html)
        self.assertIn(f"Characters {claim.start}–{claim.end} of the text.", form_html)
        self.assertEqual(Claim.objects.filter(source=self.ledger).count(), 1)

    def test_the_one_claim_per_span_rule_holds_for_the_services_too(self):
        with self.assertRaisesMessage(ValidationError, f"already annotated as claim #{self.unacceptable.pk}"):
            create_claim(source=self.ledger, quote=self.unacceptable.quote)

    def test_a_quote_that_is_not_at_its_offsets_is_refused(self):
        response = self.add(self.alice, claim_data("Talks", 3))
        self.assertEqual(response.status_code, 422)
        self.assertIn("which is not the quote", response.json()["add_form"])

    def test_a_new_speaker_is_added_with_the_claim(self):
        response = self.add(self.alice, claim_data("Talks", LEDGER_TEXT.index("Talks"), new_speaker="Ana Ortiz"))
        self.assertEqual(Claim.objects.get(pk=response.json()["claim"]).speaker, Agent.objects.get(name="Ana Ortiz"))

    def test_a_speaker_and_a_new_speaker_together_are_refused(self):
        data = claim_data("Talks", LEDGER_TEXT.index("Talks"), speaker=self.putin.pk, new_speaker="Ana Ortiz")
        response = self.add(self.alice, data)
        self.assertEqual(response.status_code, 422)
        self.assertFalse(Agent.objects.filter(name="Ana Ortiz").exists())

    def test_tags_are_chosen_and_new_ones_added(self):
        security = Tag.objects.create(name="security")
        data = claim_data("Talks", LEDGER_TEXT.index("Talks"), tags=[security.pk], new_tags="diplomacy, islands")
        claim = Claim.objects.get(pk=self.add(self.alice, data).json()["claim"])
        self.assertEqual(sorted(t.name for t in claim.tags.all()), ["diplomacy", "islands", "security"])

    def test_claimed_on_is_kept_with_its_precision(self):
        data = claim_data("Talks", LEDGER_TEXT.index("Talks"), claimed_on="2017-06")
        claim = Claim.objects.get(pk=self.add(self.alice, data).json()["claim"])
        self.assertEqual(claim.claimed_on_iso, "2017-06")


class EditClaimTests(BaseTestCase):
    def edit(self, user, claim, quote=None, start=None, **changes):
        self.client.force_login(user)
        quote, start = quote or claim.quote, claim.start if start is None else start
        data = claim_data(quote, start, seen_version=claim.version, speaker=self.putin.pk, **changes)
        return self.client.post(reverse("annotate:claim", args=[claim.pk]), data, HTTP_ACCEPT="application/json")

    def test_opening_a_claim_shows_its_form(self):
        self.client.force_login(self.vera)
        response = self.client.get(reverse("annotate:claim", args=[self.unacceptable.pk]))
        self.assertContains(response, 'id="claim-form"')
        self.assertContains(response, "Vladimir Putin")

    def test_viewer_sees_the_claim_but_cannot_change_it(self):
        self.client.force_login(self.vera)
        panel = self.client.get(reverse("annotate:claim", args=[self.unacceptable.pk])).content.decode()
        self.assertNotIn("Save changes", panel)
        self.assertEqual(self.edit(self.vera, self.unacceptable, statement="Changed").status_code, 403)

    def test_annotator_edits_the_statement(self):
        response = self.edit(self.alice, self.unacceptable, statement="Bases would be unacceptable")
        self.assertEqual(response.status_code, 200)
        self.unacceptable.refresh_from_db()
        self.assertEqual((self.unacceptable.statement, self.unacceptable.version), ("Bases would be unacceptable", 1))

    def test_an_edit_made_from_an_older_version_is_refused(self):
        self.edit(self.alice, self.unacceptable, statement="First")
        response = self.edit(self.bob, self.unacceptable, statement="Second")
        self.assertEqual(response.status_code, 422)
        self.assertIn("Someone else saved this claim", response.json()["panel"])
        self.unacceptable.refresh_from_db()
        self.assertEqual(self.unacceptable.statement, "First")

    def test_moving_a_claim_onto_another_claims_span_is_refused(self):
        start = LEDGER_TEXT.index("Talks")
        other = Claim.objects.create(source=self.ledger, quote="Talks", start=start, end=start + 5, kind="paraphrase")
        response = self.edit(self.alice, other, quote=self.unacceptable.quote, start=self.unacceptable.start)
        self.assertEqual(response.status_code, 422)
        self.assertIn("already annotated", response.json()["panel"])


class LinkTests(BaseTestCase):
    def search(self, **params):
        self.client.force_login(self.alice)
        return self.client.get(reverse("annotate:link_search", args=[self.unacceptable.pk]), params)

    def test_search_finds_claims_in_other_sources_by_words(self):
        self.assertContains(self.search(words="anti-missile kurils"), f'value="{self.rejected.pk}"')

    def test_search_finds_claims_by_speaker(self):
        self.assertContains(self.search(speaker="putin"), f'value="{self.rejected.pk}"')

    def test_search_finds_claims_by_date_at_its_precision(self):
        Claim.objects.filter(pk=self.rejected.pk).update(claimed_on=datetime.date(2017, 6, 1))
        self.assertContains(self.search(date="2017-06"), f'value="{self.rejected.pk}"')
        self.assertNotContains(self.search(date="2016"), f'value="{self.rejected.pk}"')

    def test_search_leaves_out_claims_in_the_same_source(self):
        self.assertNotContains(self.search(words="unacceptable"), f'value="{self.unacceptable.pk}"')

    def test_a_date_that_is_not_a_date_is_explained(self):
        response = self.search(date="June")
        self.assertEqual(response.status_code, 422)
        self.assertContains(response, "is not a date", status_code=422)

    def link(self, user, other, **extra):
        self.client.force_login(user)
        data = {"other": other.pk, "relation": "corroborates", "note": "Same statement", **extra}
        return self.client.post(
            reverse("annotate:add_link", args=[self.unacceptable.pk]), data, HTTP_ACCEPT="application/json"
        )

    def test_a_link_appears_on_both_claims(self):
        response = self.link(self.alice, self.rejected)
        self.assertEqual(response.status_code, 200)
        self.assertIn("Moscow rejected any American", response.json()["panel"])
        link = Link.objects.get()
        self.assertEqual((link.claim_a, link.claim_b, link.created_by), (self.unacceptable, self.rejected, self.alice))
        other_panel = self.client.get(reverse("annotate:claim", args=[self.rejected.pk]))
        self.assertContains(other_panel, "absolutely unacceptable")
        self.assertContains(other_panel, "Same statement")

    def test_a_link_within_one_source_is_refused_with_the_input_kept(self):
        start = LEDGER_TEXT.index("Talks")
        same = Claim.objects.create(source=self.ledger, quote="Talks", start=start, end=start + 5, kind="paraphrase")
        response = self.link(self.alice, same, note="Kept note", words="Talks")
        self.assertEqual(response.status_code, 422)
        panel = response.json()["panel"]
        self.assertIn("links join claims across sources", panel)
        self.assertIn("Kept note", panel)
        self.assertFalse(Link.objects.exists())

    def test_viewer_cannot_link(self):
        self.assertEqual(self.link(self.vera, self.rejected).status_code, 403)
        self.assertFalse(Link.objects.exists())


class SuggestedLinkTests(BaseTestCase):
    """The ledger's “absolutely unacceptable”, echoed by a gazette the same day, and denied by a courier."""

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        gazette = create_source(
            title="Gazette", text="Putin called missile-defence sites on the islands absolutely unacceptable."
        )
        courier = create_source(title="Courier", text="Putin never said the sites were absolutely unacceptable.")
        cls.echo = create_claim(
            source=gazette, quote=gazette.text, speaker=cls.putin, claimed_on=datetime.date(2017, 6, 1)
        )
        cls.denial = create_claim(source=courier, quote=courier.text, speaker=cls.putin)

    def panel(self, user, claim=None):
        """The claim's suggested links, as the panel fetches them once it shows."""
        self.client.force_login(user)
        return self.client.get(reverse("annotate:suggestions", args=[(claim or self.unacceptable).pk]))

    def test_the_claim_panel_shows_without_waiting_for_its_suggestions_and_says_where_to_fetch_them(self):
        self.client.force_login(self.alice)
        response = self.client.get(reverse("annotate:claim", args=[self.unacceptable.pk]))
        url = reverse("annotate:suggestions", args=[self.unacceptable.pk])
        self.assertContains(response, f'data-suggestions-url="{url}"')
        self.assertContains(response, "Looking for claims in other sources…")
        self.assertEqual(self.suggested(response.content.decode()), [])

    def test_the_annotate_page_with_a_claim_open_does_not_wait_for_its_suggestions(self):
        self.client.force_login(self.alice)
        url = reverse("annotate:source", args=[self.unacceptable.source_id]) + f"?claim={self.unacceptable.pk}"
        response = self.client.get(url)
        self.assertContains(response, 'class="suggestions-slot"')
        self.assertEqual(self.suggested(response.content.decode()), [])

    def test_the_suggestions_fragment_is_refused_to_someone_who_may_not_view_claims(self):
        self.client.force_login(User.objects.create_user("nobody", password="pw", is_staff=True))
        response = self.client.get(reverse("annotate:suggestions", args=[self.unacceptable.pk]))
        self.assertEqual(response.status_code, 403)

    def act(self, user, action: str, other=None):
        self.client.force_login(user)
        url = reverse("annotate:suggestion", args=[self.unacceptable.pk, (other or self.echo).pk, action])
        return self.client.post(url, HTTP_ACCEPT="application/json")

    def suggested(self, html: str) -> list[int]:
        return [int(pk) for pk in re.findall(r'<li class="suggestion" data-claim="(\d+)"', html)]

    def test_the_claim_panel_lists_suggested_links_with_their_reasons(self):
        response = self.panel(self.alice)
        self.assertContains(response, "Suggested links")
        self.assertEqual(self.suggested(response.content.decode())[0], self.echo.pk)
        self.assertContains(response, "Why: same speaker; claimed the same day; 2 words in common: “absolutely” and")

    def test_each_suggestion_has_one_click_buttons_to_the_editors_own_endpoint(self):
        response = self.panel(self.alice)
        self.assertContains(response, 'class="suggestion-form"')
        for action in ("corroborates", "contradicts", "dismiss"):
            url = reverse("annotate:suggestion", args=[self.unacceptable.pk, self.echo.pk, action])
            self.assertContains(response, f'formaction="{url}"')

    def test_a_viewer_sees_suggestions_without_buttons(self):
        response = self.panel(self.vera)
        self.assertContains(response, "Why: same speaker")
        self.assertNotContains(response, "formaction=")
        self.assertNotContains(response, "suggestion-form")

    def test_one_click_links_a_suggestion_as_corroborating_and_it_leaves_the_list(self):
        response = self.act(self.alice, "corroborates")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.json()["message"], f"Claim #{self.echo.pk} linked as corroborating.")
        panel = response.json()["panel"]
        self.assertNotIn(self.echo.pk, self.suggested(panel))
        self.assertIn("absolutely unacceptable.</a>", panel)
        link = Link.objects.get(claim_a=self.unacceptable, claim_b=self.echo)
        self.assertEqual((link.relation, link.created_by), (Link.Relation.CORROBORATES, self.alice))

    def test_the_link_made_from_a_suggestion_shows_on_the_other_claim_too(self):
        self.act(self.alice, "corroborates")
        other_panel = self.client.get(reverse("annotate:claim", args=[self.echo.pk])).content.decode()
        self.assertIn("would be “absolutely unacceptable”</a>", other_panel)
        self.assertNotIn(self.unacceptable.pk, self.suggested(self.panel(self.alice, self.echo).content.decode()))

    def test_one_click_links_a_suggestion_as_contradicting(self):
        self.act(self.alice, "contradicts", self.denial)
        link = Link.objects.get(claim_a=self.unacceptable, claim_b=self.denial)
        self.assertEqual(link.relation, Link.Relation.CONTRADICTS)

    def test_a_dismissed_suggestion_does_not_come_back_from_either_side(self):
        response = self.act(self.alice, "dismiss")
        self.assertEqual(response.status_code, 200)
        self.assertNotIn(self.echo.pk, self.suggested(response.json()["panel"]))
        self.assertEqual(DismissedSuggestion.objects.get().dismissed_by, self.alice)
        self.assertNotIn(self.echo.pk, self.suggested(self.panel(self.alice).content.decode()))
        self.assertNotIn(self.unacceptable.pk, self.suggested(self.panel(self.alice, self.echo).content.decode()))

    def test_dismissing_twice_is_explained_next_to_the_suggestions(self):
        self.act(self.alice, "dismiss")
        response = self.act(self.alice, "dismiss")
        self.assertEqual(response.status_code, 422)
        self.assertIn('role="alert">This suggestion is already dismissed.', response.json()["panel"])
        self.assertEqual(DismissedSuggestion.objects.count(), 1)

    def test_a_viewer_cannot_link_or_dismiss_a_suggestion(self):
        for action in ("corroborates", "contradicts", "dismiss"):
            with self.subTest(action=action):
                self.assertEqual(self.act(self.vera, action).status_code, 403)
        self.assertFalse(Link.objects.exists())
        self.assertFalse(DismissedSuggestion.objects.exists())

    def test_an_anonymous_visitor_is_sent_to_log_in_and_nothing_is_saved(self):
        url = reverse("annotate:suggestion", args=[self.unacceptable.pk, self.echo.pk, "corroborates"])
        response = self.client.post(url)
        self.assertRedirects(response, f"{reverse('admin:login')}?next={url}")
        self.assertFalse(Link.objects.exists())

    def test_an_unknown_action_is_refused(self):
        self.assertEqual(self.act(self.alice, "delete").status_code, 403)

    def test_the_suggestion_actions_only_accept_post(self):
        self.client.force_login(self.alice)
        url = reverse("annotate:suggestion", args=[self.unacceptable.pk, self.echo.pk, "dismiss"])
        self.assertEqual(self.client.get(url).status_code, 405)

    def test_the_claim_panel_takes_the_same_queries_for_one_link_and_suggestion_and_for_four_of_each(self):
        link_claims(claim_a=self.unacceptable, claim_b=self.rejected)
        self.client.force_login(self.alice)
        url = reverse("annotate:claim", args=[self.unacceptable.pk])
        suggestions_url = reverse("annotate:suggestions", args=[self.unacceptable.pk])
        with self.assertNumQueries(PANEL_QUERIES):
            self.client.get(url)
        with self.assertNumQueries(SUGGESTIONS_FRAGMENT_QUERIES):
            self.client.get(suggestions_url)
        for n in range(3):
            other = create_source(title=f"Paper {n}", text=f"Paper {n} says the bases are unacceptable.")
            linked = create_claim(source=other, quote="the bases are unacceptable")
            link_claims(claim_a=linked, claim_b=self.unacceptable)
            echo = create_source(
                title=f"Echo {n}", text=f"({n}) Putin said the sites would be absolutely unacceptable."
            )
            create_claim(source=echo, quote=echo.text, speaker=self.putin, claimed_on=datetime.date(2017, 6, 1))
        with self.assertNumQueries(PANEL_QUERIES):
            response = self.client.get(url)
        self.assertEqual(response.content.decode().count('class="relation"'), 4)
        with self.assertNumQueries(SUGGESTIONS_FRAGMENT_QUERIES):
            response = self.client.get(suggestions_url)
        self.assertGreaterEqual(len(self.suggested(response.content.decode())), 3)


def sentence(i: int) -> str:
    """About a hundred characters of made-up reporting, with curly quotes, a dash, an accent and an emoji."""
    return f"Item {i:04d}: the river council said “the bridge reopens in spring” — café owners cheered 🎉.\n"


class AnnotateQueryCountTests(BaseTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.small = cls.source_with_claims("Five claims", sentence_count=5, claim_count=5)
        cls.large = cls.source_with_claims("Sixty claims", sentence_count=60, claim_count=60)
        text = "".join(sentence(i) for i in range(1200))[:100_000]
        cls.huge = cls.source_with_claims("A hundred thousand characters", text=text, claim_count=1000)

    @classmethod
    def source_with_claims(cls, title: str, *, claim_count: int, sentence_count: int = 0, text: str = "") -> Source:
        text = text or "".join(sentence(i) for i in range(sentence_count))
        source = create_source(title=title, text=text)
        starts = [m.start() for m in re.finditer("Item", text)][:claim_count]
        quotes = [text[start : text.index("”", start) + 1] for start in starts]
        Claim.objects.bulk_create(
            Claim(source=source, quote=quote, start=start, end=start + len(quote), kind="paraphrase")
            for start, quote in zip(starts, quotes, strict=True)
        )
        return source

    def test_the_large_fixture_is_as_large_as_promised(self):
        self.assertEqual((len(self.huge.text), self.huge.claims.count()), (100_000, 1000))

    def test_the_annotate_page_takes_the_same_queries_for_five_claims_and_for_sixty(self):
        self.client.force_login(self.alice)
        for source in (self.small, self.large):
            with self.subTest(source=source.title), self.assertNumQueries(ANNOTATE_QUERIES):
                response = self.client.get(reverse("annotate:source", args=[source.pk]))
            self.assertEqual(response.content.decode().count("data-claims="), source.claims.count())

    def test_a_hundred_thousand_characters_with_a_thousand_claims_load_with_the_same_queries(self):
        self.client.force_login(self.alice)
        with self.assertNumQueries(ANNOTATE_QUERIES):
            response = self.client.get(reverse("annotate:source", args=[self.huge.pk]))
        self.assertEqual(response.content.decode().count("data-claims="), 1000)


class BackToDraftTests(BaseTestCase):
    def test_an_annotators_edit_of_a_reviewed_claim_says_it_went_back_to_draft(self):
        set_status(Claim.objects.filter(pk=self.unacceptable.pk), Claim.Status.REVIEWED, user=None)
        claim = Claim.objects.get(pk=self.unacceptable.pk)
        self.client.force_login(self.alice)
        data = claim_data(claim.quote, claim.start, seen_version=claim.version, speaker=self.putin.pk)
        data.update(status="reviewed", statement="Changed by an annotator")
        response = self.client.post(reverse("annotate:claim", args=[claim.pk]), data, HTTP_ACCEPT="application/json")
        self.assertEqual(Claim.objects.get(pk=claim.pk).status, Claim.Status.DRAFT)
        self.assertEqual(
            response.json()["message"],
            f"Claim #{claim.pk} saved and back to draft: it was reviewed, and a change to its words, statement, "
            "speaker, date, kind or place by someone who may not review waits for a Reviewer to review it again.",
        )

    def test_a_reviewers_edit_keeps_the_plain_message(self):
        claim = Claim.objects.get(pk=self.unacceptable.pk)
        self.client.force_login(self.bob)
        data = claim_data(claim.quote, claim.start, seen_version=claim.version, speaker=self.putin.pk)
        response = self.client.post(reverse("annotate:claim", args=[claim.pk]), data, HTTP_ACCEPT="application/json")
        self.assertEqual(response.json()["message"], f"Claim #{claim.pk} saved.")
