"""Suggested links: claims in other sources that probably state the same fact, ranked, with a reason."""

import datetime
import json
from io import StringIO

from django.core.management import CommandError, call_command
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from claims.corroboration.suggestions import Features, suggestions_for
from claims.models import Corroboration, DismissedSuggestion
from claims.services import create_claim, dismiss_suggestion, link_claims
from sources.models import Agent
from sources.services import create_source
from tests.base import BaseTestCase

VISIT_TEXT = "Putin said in December 2016, during the Tokyo visit, that joint projects on the islands could begin."
ECHO_TEXT = "Joint projects on the islands could begin, Putin told reporters at the Tokyo visit in December 2016."
LOOKALIKE_TEXT = "In May 2014 the Sochi meeting ended without any talk of projects."
SAME_PAGE_TEXT = VISIT_TEXT + " Joint projects on the islands could begin in December 2016, aides in Tokyo added."


class SuggestionStory(BaseTestCase):
    """A claim about the Tokyo visit, its echo in another paper, and a look-alike about another meeting."""

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.kishida = Agent.objects.create(name="Fumio Kishida")
        visit_source = create_source(title="Visit report", text=SAME_PAGE_TEXT)
        echo_source = create_source(title="Echo report", text=ECHO_TEXT)
        lookalike_source = create_source(title="Sochi report", text=LOOKALIKE_TEXT)
        cls.visit = create_claim(
            source=visit_source, quote=VISIT_TEXT, speaker=cls.putin, claimed_on=datetime.date(2016, 12, 16)
        )
        cls.same_page = create_claim(source=visit_source, quote=SAME_PAGE_TEXT[len(VISIT_TEXT) + 1 :])
        cls.echo = create_claim(
            source=echo_source, quote=ECHO_TEXT, speaker=cls.putin, claimed_on=datetime.date(2016, 12, 16)
        )
        cls.lookalike = create_claim(source=lookalike_source, quote=LOOKALIKE_TEXT, speaker=cls.kishida)

    def suggested(self, claim=None) -> list[int]:
        return [s.claim.pk for s in suggestions_for(claim or self.visit)]


class SuggestionTests(SuggestionStory):
    def test_the_claim_stating_the_same_fact_comes_first(self):
        suggested = self.suggested()
        self.assertEqual(suggested[0], self.echo.pk)
        if self.lookalike.pk in suggested:
            self.assertGreater(suggested.index(self.lookalike.pk), 0)

    def test_a_suggestion_says_why_in_a_readers_words(self):
        reason = suggestions_for(self.visit)[0].reason
        self.assertIn("same speaker", reason)
        self.assertIn("both mention December 2016", reason)
        self.assertIn("Tokyo", reason)
        self.assertIn("claimed the same day", reason)

    def test_claims_in_the_same_source_are_not_suggested(self):
        self.assertNotIn(self.same_page.pk, self.suggested())

    def test_a_claim_already_linked_is_not_suggested(self):
        link_claims(claim_a=self.echo, claim_b=self.visit)
        self.assertNotIn(self.echo.pk, self.suggested())

    def test_a_dismissed_suggestion_does_not_come_back_from_either_side(self):
        dismiss_suggestion(claim=self.visit, suggested=self.echo, dismissed_by=self.alice)
        self.assertNotIn(self.echo.pk, self.suggested(self.visit))
        self.assertNotIn(self.visit.pk, self.suggested(self.echo))

    def test_suggestions_follow_a_claim_as_its_words_change(self):
        self.lookalike.statement = "Putin said in December 2016 on the Tokyo visit that projects on the islands begin."
        self.lookalike.full_clean()
        self.lookalike.save()
        reasons = {s.claim.pk: s.reason for s in suggestions_for(self.visit)}
        self.assertIn(self.lookalike.pk, reasons)
        self.assertIn("December 2016", reasons[self.lookalike.pk])

    def test_a_negated_claim_is_flagged_as_a_possible_contradiction(self):
        source = create_source(title="Denial", text="Putin denied that joint projects on the islands could begin.")
        denial = create_claim(source=source, quote=source.text, speaker=self.putin)
        flagged = {s.claim.pk: s.possible_contradiction for s in suggestions_for(self.visit)}
        self.assertTrue(flagged[denial.pk])
        self.assertFalse(flagged[self.echo.pk])


class SuggestionQueryTests(SuggestionStory):
    def queries_for_suggestions(self) -> int:
        with CaptureQueriesContext(connection) as queries:
            suggestions_for(self.visit)
        return len(queries)

    def test_suggestions_take_the_same_number_of_queries_however_many_claims_match(self):
        few = self.queries_for_suggestions()
        for n in range(40):
            source = create_source(title=f"Echo {n}", text=f"{ECHO_TEXT} ({n})")
            create_claim(source=source, quote=ECHO_TEXT, speaker=self.putin, claimed_on=datetime.date(2016, 12, 1))
        self.assertGreaterEqual(len(suggestions_for(self.visit)), 10)
        self.assertEqual(self.queries_for_suggestions(), few)


class FeatureTests(BaseTestCase):
    def test_names_numbers_and_dates_are_picked_out_of_a_claim(self):
        features = Features.of("On 6 May the two leaders met in Sochi for 35 minutes, Abe's aides said.")
        self.assertEqual(set(features.names.values()), {"Sochi", "Abe"})
        self.assertEqual(features.numbers, {"6", "35"})
        self.assertEqual([(d.month, d.day, d.year) for d in features.dates], [(5, 6, None)])

    def test_a_bare_month_on_both_sides_is_not_a_shared_date(self):
        may = Features.of("It happened in May.").dates[0]
        self.assertFalse(may.matches(Features.of("We met in May.").dates[0]))
        self.assertTrue(Features.of("In May 2016 it happened.").dates[0].matches(Features.of("May 2016").dates[0]))


class SuggestionAdminTests(SuggestionStory):
    def change_page(self, user):
        self.client.force_login(user)
        return self.client.get(reverse("admin:claims_claim_change", args=[self.visit.pk]))

    def act(self, user, action: str, other=None):
        self.client.force_login(user)
        url = reverse("admin:claims_claim_suggestion", args=[self.visit.pk, (other or self.echo).pk, action])
        return self.client.post(url)

    def test_the_claims_admin_page_lists_suggestions_with_reasons_and_one_click_buttons(self):
        response = self.change_page(self.alice)
        self.assertContains(response, "Suggested links")
        self.assertContains(response, "Why: same speaker; both mention December 2016")
        for action in ("corroborates", "contradicts", "dismiss"):
            url = reverse("admin:claims_claim_suggestion", args=[self.visit.pk, self.echo.pk, action])
            self.assertContains(response, f'formaction="{url}"')

    def test_a_viewer_sees_suggestions_without_buttons(self):
        response = self.change_page(self.vera)
        self.assertContains(response, "Why: same speaker")
        self.assertNotContains(response, "formaction=")

    def test_one_click_links_the_suggestion_as_corroborating(self):
        response = self.act(self.alice, "corroborates")
        self.assertRedirects(
            response,
            reverse("admin:claims_claim_change", args=[self.visit.pk]) + "#suggested-links",
            fetch_redirect_response=False,
        )
        link = Corroboration.objects.get(claim_a=self.visit, claim_b=self.echo)
        self.assertEqual((link.relation, link.created_by), (Corroboration.Relation.CORROBORATES, self.alice))

    def test_one_click_links_the_suggestion_as_contradicting(self):
        self.act(self.alice, "contradicts")
        link = Corroboration.objects.get(claim_a=self.visit, claim_b=self.echo)
        self.assertEqual(link.relation, Corroboration.Relation.CONTRADICTS)

    def test_one_click_dismisses_and_the_suggestion_stays_dismissed(self):
        self.act(self.alice, "dismiss")
        self.assertTrue(DismissedSuggestion.objects.filter(claim=self.visit, suggested=self.echo).exists())
        response = self.change_page(self.alice)
        self.assertNotContains(response, f'data-claim="{self.echo.pk}"')

    def test_dismissing_twice_says_so_instead_of_failing(self):
        self.act(self.alice, "dismiss")
        response = self.act(self.alice, "dismiss")
        self.assertEqual(response.status_code, 302)
        self.assertEqual(DismissedSuggestion.objects.count(), 1)

    def test_a_viewer_cannot_link_or_dismiss(self):
        for action in ("corroborates", "dismiss"):
            with self.subTest(action=action):
                self.assertEqual(self.act(self.vera, action).status_code, 403)
        self.assertFalse(Corroboration.objects.filter(claim_a=self.visit).exists())
        self.assertFalse(DismissedSuggestion.objects.exists())

    def test_an_unknown_action_is_refused(self):
        self.assertEqual(self.act(self.alice, "delete").status_code, 403)

    def test_the_suggestion_actions_only_accept_post(self):
        self.client.force_login(self.alice)
        url = reverse("admin:claims_claim_suggestion", args=[self.visit.pk, self.echo.pk, "dismiss"])
        self.assertEqual(self.client.get(url).status_code, 405)


class SuggestCommandTests(SuggestionStory):
    def test_the_command_lists_suggestions_with_reasons(self):
        out = StringIO()
        call_command("suggest_corroborations", str(self.visit.pk), "--limit", "1", stdout=out)
        self.assertIn(f"claim {self.echo.pk}", out.getvalue())
        self.assertIn("why: same speaker", out.getvalue())

    def test_the_command_writes_json(self):
        out = StringIO()
        call_command("suggest_corroborations", str(self.visit.pk), "--json", stdout=out)
        rows = json.loads(out.getvalue())
        self.assertEqual(rows[0]["claim_id"], self.echo.pk)
        self.assertIn("both mention December 2016", rows[0]["reason"])

    def test_the_command_refuses_an_unknown_claim(self):
        with self.assertRaisesMessage(CommandError, "There is no claim 999999."):
            call_command("suggest_corroborations", "999999")


class NearlyEmptyDatabaseTests(TestCase):
    def test_two_claims_with_the_same_words_are_suggested_when_every_word_is_common(self):
        text = "The ferry pier reopens in spring."
        first = create_claim(source=create_source(title="First", text=text), quote=text)
        second = create_claim(source=create_source(title="Second", text=text + " Later."), quote=text)
        self.assertEqual([s.claim for s in suggestions_for(first)], [second])
