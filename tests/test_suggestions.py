"""Suggested links: claims in other sources that probably state the same fact, ranked, with a reason."""

import datetime
import gc
import json
import re
import weakref
from io import StringIO

from django.core.management import CommandError, call_command
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from claims.corroboration.suggestions import (
    THRESHOLD,
    Features,
    Rarity,
    Reference,
    ranked_for,
    search_words,
    suggestions_for,
)
from claims.models import Claim, DismissedSuggestion, Link
from claims.services import create_claim, dismiss_suggestion, link_claims
from sources.models import Agent
from sources.services import create_source
from tests.base import BaseTestCase

VISIT_TEXT = "Putin said in December 2016, during the Tokyo visit, that joint projects on the islands could begin."
ECHO_TEXT = "Joint projects on the islands could begin, Putin told reporters at the Tokyo visit in December 2016."
LOOKALIKE_TEXT = "In May 2014 the Sochi meeting ended without any talk of projects."
SAME_PAGE_TEXT = VISIT_TEXT + " Joint projects on the islands could begin in December 2016, aides in Tokyo added."


def claim_published(text: str, on: datetime.date, precision: str):
    """The whole of a source published on `on` (at `precision`), annotated as one claim."""
    source = create_source(title=f"Published {on:%Y}", text=text, published_on=on, published_on_precision=precision)
    return create_claim(source=source, quote=text)


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

    def test_claims_dated_at_different_precisions_are_compared_at_the_coarser_one(self):
        self.echo.claimed_on_precision = "month"
        self.echo.full_clean()
        self.echo.save()
        reason = suggestions_for(self.visit)[0].reason
        self.assertIn("claimed in December 2016", reason)
        self.assertNotIn("the same day", reason)

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

    def test_a_negation_is_not_flagged_without_a_shared_event(self):
        text = "Harbour workers said joint projects on the bridge could never begin."
        other = create_claim(source=create_source(title="Harbour", text=text), quote=text)
        self.assertFalse(any(s.possible_contradiction for s in ranked_for(self.visit) if s.claim == other))

    def test_an_unrelated_claim_gets_no_suggestion(self):
        text = "The ferry timetable changes on Sunday for the summer season."
        unrelated = create_claim(source=create_source(title="Ferry", text=text), quote=text)
        self.assertEqual(suggestions_for(unrelated), [])

    def test_a_weak_suggestion_below_the_threshold_is_not_shown(self):
        weak = [s for s in ranked_for(self.visit) if s.strength < THRESHOLD]
        self.assertTrue(weak, "the story should have a candidate scoring below the threshold")
        shown = [s.claim for s in suggestions_for(self.visit)]
        for suggestion in weak:
            self.assertNotIn(suggestion.claim, shown)


class ThresholdTests(SuggestionStory):
    def shown(self) -> list:
        return [s.claim for s in suggestions_for(self.visit)]

    def test_a_weak_suggestion_stays_hidden_when_claims_on_other_subjects_fill_the_database(self):
        text = "Harbour officials said a new ferry service to the islands is planned."
        weak = create_claim(source=create_source(title="Ferry", text=text), quote=text)
        before = next(s for s in ranked_for(self.visit) if s.claim == weak)
        self.assertNotIn(weak, self.shown())
        # Four hundred claims on another subject make every word of the story rare in the table; words are
        # weighed by their rarity among the claim's candidates, so the weak one scores as it did.
        meetings = [f"The town council met for the {n}th time to discuss schools, roads and parks." for n in range(400)]
        source = create_source(title="Town", text=" ".join(meetings))
        starts = [source.text.index(meeting) for meeting in meetings]
        Claim.objects.bulk_create(
            Claim(source=source, quote=meeting, start=start, end=start + len(meeting), kind="author_assertion")
            for meeting, start in zip(meetings, starts, strict=True)
        )
        after = next(s for s in ranked_for(self.visit) if s.claim == weak)
        self.assertEqual(after.score, before.score)
        self.assertEqual(after.strength, before.strength)
        self.assertNotIn(weak, self.shown())
        self.assertEqual(self.shown()[0], self.echo)

    def test_the_threshold_is_a_share_of_the_claims_own_best_score(self):
        for suggestion in ranked_for(self.visit):
            self.assertEqual(suggestion in suggestions_for(self.visit), suggestion.strength >= THRESHOLD)


class ContradictionTests(BaseTestCase):
    def test_a_big_step_against_no_breakthrough_on_the_same_summit_is_a_possible_contradiction(self):
        kishida = Agent.objects.create(name="Fumio Kishida")
        step = "Kishida called the Tokyo summit with Putin in December 2016 a big step on the Kuril Islands."
        doubt = (
            "An analyst said the December 2016 Tokyo summit with Putin brought no breakthrough on the Kuril Islands."
        )
        claim = create_claim(source=create_source(title="Step", text=step), quote=step, speaker=kishida)
        other = create_claim(source=create_source(title="Doubt", text=doubt), quote=doubt)
        suggestion = suggestions_for(claim)[0]
        self.assertEqual(suggestion.claim, other)
        self.assertTrue(suggestion.possible_contradiction)
        self.assertIn("possible contradiction: “a big step” against “no breakthrough”", suggestion.reason)

    def test_the_same_summit_at_different_dates_is_a_different_event_not_a_contradiction(self):
        first = "Abe met Putin in Sochi in May 2016 and proposed a new approach to the islands."
        second = "Abe met Putin in Sochi in May 2014 but there was no new approach to the islands."
        claim = create_claim(source=create_source(title="2016", text=first), quote=first)
        other = create_claim(source=create_source(title="2014", text=second), quote=second)
        suggestion = next(s for s in ranked_for(claim) if s.claim == other)
        self.assertFalse(suggestion.possible_contradiction)
        self.assertIn("but different dates: “May 2016” and “May 2014”", suggestion.reason)

    def test_a_year_against_a_month_of_another_year_is_a_different_event_from_either_side(self):
        fall = "Both sides continue to plan on Putin's trip to Japan later in 2014, officials said."
        visit = "The main achievement of Putin's visit to Japan in December 2016 was a plan, officials said."
        trip = create_claim(
            source=create_source(title="2014", text=fall, published_on=datetime.date(2014, 7, 1)), quote=fall
        )
        other = create_claim(source=create_source(title="2017", text=visit), quote=visit)
        for claim, candidate, dates in (
            (trip, other, "“2014” and “December 2016”"),
            (other, trip, "“December 2016” and “2014”"),
        ):
            with self.subTest(claim=claim.quote):
                suggestion = next(s for s in ranked_for(claim) if s.claim == candidate)
                self.assertEqual(suggestion.signals.date_conflict, 1.0)
                self.assertIn(f"but different dates: {dates}", suggestion.reason)


class CandidateTests(BaseTestCase):
    def test_a_claim_sharing_only_a_date_is_a_candidate(self):
        visit = "Putin's much anticipated visit brought the joint plan in December 2016."
        meeting = "Economic agreements were reached at the Russian-Japanese meeting in December 2016."
        claim = create_claim(source=create_source(title="Visit", text=visit), quote=visit)
        other = create_claim(source=create_source(title="Meeting", text=meeting), quote=meeting)
        suggestion = next(s for s in ranked_for(claim) if s.claim == other)
        self.assertIn("both mention December 2016", suggestion.reason)

    def test_a_claim_sharing_only_the_month_may_is_a_candidate(self):
        # "may" is a stop word: as a month it still chooses candidates.
        unveiled = claim_published(
            "The policy of rapprochement was unveiled in May 2016.", datetime.date(2016, 12, 1), "day"
        )
        proposed = claim_published("Abe and Putin held talks at Sochi on May 6.", datetime.date(2016, 12, 1), "day")
        suggestion = next(s for s in ranked_for(unveiled) if s.claim == proposed)
        self.assertIn("both mention “May 2016” / “May 6”", suggestion.reason)


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


class RarityTests(BaseTestCase):
    def test_word_rarity_read_for_one_request_is_freed_after_it(self):
        rarity = Rarity([frozenset({"islands", "japan"}), frozenset({"japan"})])
        self.assertGreater(rarity("islands"), rarity("japan"))
        freed = weakref.ref(rarity)
        del rarity
        gc.collect()
        self.assertIsNone(freed(), "nothing should keep a request's word rarity alive")


class FeatureTests(BaseTestCase):
    def test_names_numbers_and_dates_are_picked_out_of_a_claim(self):
        features = Features.of("On 6 May the two leaders met in Sochi for 35 minutes, Abe's aides said.")
        self.assertEqual(set(features.names.values()), {"Sochi", "Abe"})
        self.assertEqual(set(features.numbers), {"35"})
        self.assertEqual([(d.month, d.day, d.year) for d in features.dates], [(5, 6, None)])

    def test_a_bare_month_on_both_sides_is_not_a_shared_date(self):
        may = Features.of("It happened in May.").dates[0]
        self.assertFalse(may.matches(Features.of("We met in May.").dates[0]))
        self.assertTrue(Features.of("In May 2016 it happened.").dates[0].matches(Features.of("May 2016").dates[0]))

    def test_declaration_is_not_read_as_december(self):
        features = Features.of("Under the Soviet-Japan Joint Declaration of 1956 two islands were offered.")
        self.assertEqual([(d.text, d.month) for d in features.dates], [("1956", None)])
        self.assertEqual([d.month for d in Features.of("Talks resume on Dec. 5 in Tokyo.").dates], [12])

    def test_dates_agree_at_the_coarser_of_their_precisions(self):
        day = Features.of("Putin arrived on 15 December 2016.").dates[0]
        month = Features.of("Putin arrived in December 2016.").dates[0]
        self.assertEqual(day.compare(month), 2)  # they agree to the month
        self.assertEqual(month.label(day.compare(month)), "December 2016")
        self.assertEqual(day.compare(Features.of("Putin arrived in December 2014.").dates[0]), -2)

    def test_relative_dates_are_read_against_the_source_date(self):
        july_2014 = Reference(datetime.date(2014, 7, 1), "month")
        november = Features.of("The first such meeting took place last November in Tokyo.", july_2014).dates[0]
        self.assertEqual((november.year, november.month), (2013, 11))
        self.assertTrue(november.matches(Features.of("The first meeting was held in November 2013.").dates[0]))
        coming = Features.of("Putin will likely visit Japan as early as December.", july_2014).dates[0]
        self.assertEqual((coming.year, coming.month), (2014, 12))

    def test_a_bare_month_in_an_article_dated_only_by_its_year_agrees_with_that_month_of_either_year(self):
        article_of_2017 = Reference(datetime.date(2017, 1, 1), "year")
        december = Features.of("The agreements reached at the meeting in December hold.", article_of_2017).dates[0]
        self.assertIsNone(december.year)  # December 2016 or 2017: the text does not say
        self.assertEqual(december.compare(Features.of("Putin came in December 2016.").dates[0]), 2)
        self.assertEqual(december.compare(Features.of("Putin came in December 2017.").dates[0]), 2)
        self.assertEqual(december.compare(Features.of("Putin came in December 2014.").dates[0]), 0)
        self.assertEqual(december.compare(Features.of("Putin came in November 2016.").dates[0]), 0)
        last = Features.of("The meeting in Japan last December.", article_of_2017).dates[0]
        self.assertEqual((last.year, last.month), (2016, 12))

    def test_june_and_july_are_months_written_in_full(self):
        article_of_august_2018 = Reference(datetime.date(2018, 8, 1), "month")
        july = Features.of("In late July, Japan and Russia hosted a meeting in Moscow.", article_of_august_2018)
        self.assertEqual([(d.text, d.year, d.month) for d in july.dates], [("late July", 2018, 7)])
        self.assertEqual(Features.of("The team left in June 2017.").dates[0].month, 6)

    def test_a_date_takes_its_tense_from_its_own_clause(self):
        article_of_2017 = Reference(datetime.date(2017, 1, 1), "year")
        text = "Nothing will change, even if the agreements reached at the meeting in December are implemented."
        december = Features.of(text, article_of_2017).dates[0]
        self.assertIsNone(december.year)  # the "will" of the first clause does not make it December 2017
        coming = Features.of("Putin will visit Japan in December.", article_of_2017).dates[0]
        self.assertEqual(coming.year, 2017)

    def test_a_full_name_meets_its_last_name(self):
        abe = Features.of("The talks were led by Prime Minister Shinzo Abe.")
        self.assertIn("abe", Features.of("Then Abe flew home.").names.keys() & abe.names.keys())

    def test_a_name_after_a_title_is_a_name_and_the_title_no_part_of_it(self):
        # The title's full stop does not end a sentence: "Putin" is not the first word of one.
        self.assertEqual(Features.of("Mr. Putin told reporters the islands were Russian.").names["putin"], "Putin")
        self.assertEqual(Features.of("Earlier, Dr. Kistanov said the talks had stalled.").names["kistanov"], "Kistanov")
        self.assertNotIn("dr", Features.of("Earlier, Dr. Kistanov said the talks had stalled.").names)

    def test_a_name_does_not_run_on_over_a_line_break(self):
        features = Features.of("Moscow will not hand the islands to Japan\nKistanov says the talks have stalled.")
        self.assertEqual(features.names["japan"], "Japan")
        self.assertNotIn("Japan Kistanov", features.names.values())


class ReasonTests(BaseTestCase):
    def reason(self, first: str, second: str) -> str:
        claim = create_claim(source=create_source(title="First", text=first), quote=first)
        create_claim(source=create_source(title="Second", text=second), quote=second)
        return ranked_for(claim)[0].reason

    def test_words_in_common_are_quoted_as_written_and_counted_as_listed(self):
        reason = self.reason(
            "The disputed islands need a much clearer economic basis, officials said.",
            "Officials said the disputed islands lack an economic basis.",
        )
        self.assertIn("5 words in common: “basis”, “disputed”, “economic”, “islands” and 1 more", reason)
        self.assertNotIn("“disput”", reason)
        self.assertNotIn("“basi”", reason)

    def test_a_long_list_of_words_says_how_many_more(self):
        reason = self.reason(
            "Harbour cranes, ferries, warehouses and pilots wait for tugboats.",
            "Pilots, tugboats, warehouses, ferries and harbour cranes wait.",
        )
        self.assertRegex(reason, r"(\d+) words in common: “\w+”, “\w+”, “\w+”, “\w+” and (\d+) more")
        total, more = map(int, re.search(r"(\d+) words in common: .* and (\d+) more", reason).groups())
        self.assertEqual(total, 4 + more)

    def test_the_us_written_with_full_stops_is_one_name(self):
        reason = self.reason(
            "Tokyo will buy the U.S. Aegis Ashore system for Hokkaido.",
            "Japan plans to buy the U.S. Aegis Ashore system.",
        )
        self.assertIn("U.S.", reason)
        self.assertNotIn("both mention U and", reason)

    def test_dates_in_a_reason_keep_their_precision_and_are_not_repeated(self):
        reason = self.reason(
            "Putin visited Tokyo on 15 December 2016 for the summit.",
            "Putin's summit in Tokyo took place in December 2016.",
        )
        self.assertIn("both mention December 2016", reason)
        self.assertEqual(reason.count("December 2016"), 1)


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
        link = Link.objects.get(claim_a=self.visit, claim_b=self.echo)
        self.assertEqual((link.relation, link.created_by), (Link.Relation.CORROBORATES, self.alice))

    def test_one_click_links_the_suggestion_as_contradicting(self):
        self.act(self.alice, "contradicts")
        link = Link.objects.get(claim_a=self.visit, claim_b=self.echo)
        self.assertEqual(link.relation, Link.Relation.CONTRADICTS)

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
        self.assertFalse(Link.objects.filter(claim_a=self.visit).exists())
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


class NumberSearchTests(TestCase):
    def test_a_number_with_a_decimal_point_is_searched_as_written(self):
        self.assertIn("5289.35", search_words(Features.of("Dividends reached 5289.35 yen."), Rarity([])))

    def test_a_claim_sharing_only_a_decimal_number_is_found(self):
        text, other_text = "Dividends reached 5289.35 yen.", "The ledger lists 5289.35 for March."
        claim = create_claim(source=create_source(title="First", text=text), quote=text)
        other = create_claim(source=create_source(title="Second", text=other_text), quote=other_text)
        self.assertIn(other, [s.claim for s in ranked_for(claim)])
