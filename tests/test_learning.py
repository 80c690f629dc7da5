"""Suggestions that learn from the team's own links and dismissals (claims/corroboration/learning.py)."""

import re
from io import StringIO
from unittest import mock

from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from claims.corroboration.learning import PRIOR, Learned, fitted_weights, refit
from claims.corroboration.suggestions import learn_from_decision, ranked_for, suggestions_for
from claims.models import RankerFit, SuggestionDecision, WordAssociation
from claims.services import create_claim, dismiss_suggestion, link_claims
from sources.services import create_source
from tests.base import BaseTestCase

# Two links teach that "achieved" in one report is "come to pass" in another.
TAUGHT = [
    ("The Sochi approach achieved little for the Kurils.", "Hopes for the Kurils have come to pass, Sochi heard."),
    ("The plan achieved little on fishing rights.", "Fishing rights hopes have come to pass under the plan."),
]
PARAPHRASE = ("The summit achieved a great deal.", "Everything promised has come to pass.")


def claim(title: str, text: str):
    return create_claim(source=create_source(title=title, text=text), quote=text)


def fit_that_counts_associations() -> RankerFit:
    return RankerFit.objects.create(decisions=25, weights={"static": 1.0, "association": 1.0})


class LearningStory(BaseTestCase):
    def teach(self, pairs=TAUGHT) -> None:
        for n, (first, second) in enumerate(pairs):
            link_claims(claim_a=claim(f"First {n}", first), claim_b=claim(f"Second {n}", second), created_by=self.alice)


class AssociationTests(LearningStory):
    def test_a_link_counts_each_word_one_claim_has_against_each_word_only_the_other_has(self):
        self.teach(TAUGHT[:1])
        counted = set(WordAssociation.objects.values_list("first", "second", "links"))
        self.assertIn(("achiev", "pass", 1), counted)
        self.assertIn(("achiev", "come", 1), counted)
        self.assertFalse(
            WordAssociation.objects.filter(first="kuril").exists()
            or WordAssociation.objects.filter(second="kuril").exists()
        )

    def test_an_association_counts_after_two_links_and_not_after_one(self):
        self.teach(TAUGHT[:1])
        self.assertEqual(Learned({"achiev"}).linked("achiev", "pass"), 0)
        self.teach(TAUGHT[1:])
        self.assertEqual(Learned({"achiev"}).linked("achiev", "pass"), 2)

    def test_a_dismissal_counts_against_an_association_it_shows(self):
        self.teach()
        first, second = claim("Dismissed", "Exports achieved records."), claim("Other", "It came to pass quietly.")
        dismiss_suggestion(claim=first, suggested=second, dismissed_by=self.alice)
        self.assertEqual(WordAssociation.objects.get(first="achiev", second="pass").dismissals, 1)
        self.assertEqual(Learned({"achiev"}).linked("achiev", "pass"), 0)

    def test_a_learned_association_brings_in_a_paraphrase_with_no_word_in_common_and_names_both_words(self):
        self.teach()
        summit, promise = claim("Summit", PARAPHRASE[0]), claim("Promise", PARAPHRASE[1])
        self.assertNotIn(promise, [s.claim for s in suggestions_for(summit)])
        fit_that_counts_associations()
        suggestion = next(s for s in suggestions_for(summit) if s.claim == promise)
        self.assertIn("“achieved” has been linked to “come to pass” 2 times in this project", suggestion.reason)

    def test_a_dismissal_showing_a_learned_association_takes_the_paraphrase_out_of_the_suggestions(self):
        self.teach()
        fit_that_counts_associations()
        summit, promise = claim("Summit", PARAPHRASE[0]), claim("Promise", PARAPHRASE[1])
        self.assertIn(promise, [s.claim for s in suggestions_for(summit)])
        first, second = claim("Dismissed", "Exports achieved records."), claim("Other", "It has come to pass quietly.")
        dismiss_suggestion(claim=first, suggested=second, dismissed_by=self.alice)
        self.assertNotIn(promise, [s.claim for s in suggestions_for(summit)])

    def test_an_association_reason_quotes_each_claim_as_it_is_written(self):
        self.teach()
        fit_that_counts_associations()
        summit, promise = claim("Summit", PARAPHRASE[0]), claim("Promise", PARAPHRASE[1])
        suggestion = next(s for s in suggestions_for(summit) if s.claim == promise)
        for mine, theirs in re.findall(r"“([^”]+)” has been linked to “([^”]+)”", suggestion.reason):
            self.assertIn(mine, PARAPHRASE[0])
            self.assertIn(theirs, PARAPHRASE[1])

    def test_learned_suggestions_take_the_same_number_of_queries_however_many_claims_match(self):
        self.teach()
        fit_that_counts_associations()
        summit = claim("Summit", PARAPHRASE[0])
        claim("Promise", PARAPHRASE[1])

        def queries() -> int:
            with CaptureQueriesContext(connection) as captured:
                suggestions_for(summit)
            return len(captured)

        few = queries()
        for n in range(12):
            claim(f"Echo {n}", f"{PARAPHRASE[1]} Echo {n}.")
        self.assertEqual(queries(), few)


class DecisionQueryTests(LearningStory):
    def test_learning_from_a_link_takes_eight_queries(self):
        # The associations read, the two claims' links, the table's sample (two queries while it is small),
        # the decision, the new associations, their counts, and how many decisions since the last fit.
        first, second = claim("First", TAUGHT[0][0]), claim("Second", TAUGHT[0][1])
        with self.assertNumQueries(8):
            learn_from_decision(claim=first, other=second, accepted=True)

    def test_learning_from_a_dismissal_takes_seven_queries(self):
        first, second = claim("First", TAUGHT[0][0]), claim("Second", TAUGHT[0][1])
        with self.assertNumQueries(7):
            learn_from_decision(claim=first, other=second, accepted=False)

    def test_two_links_showing_the_same_words_count_twice(self):
        self.teach(TAUGHT[:1])
        first, second = claim("Again", TAUGHT[0][0]), claim("Again 2", TAUGHT[0][1])
        learn_from_decision(claim=first, other=second, accepted=True)
        self.assertEqual(WordAssociation.objects.get(first="achiev", second="pass").links, 2)


class WeightTests(LearningStory):
    def test_every_decision_is_recorded_with_the_signals_the_ranker_saw(self):
        self.teach(TAUGHT[:1])
        first, second = claim("Dismissed", "Exports achieved records."), claim("Other", "It came to pass quietly.")
        dismiss_suggestion(claim=first, suggested=second, dismissed_by=self.alice)
        decisions = list(SuggestionDecision.objects.order_by("pk"))
        self.assertEqual([d.accepted for d in decisions], [True, False])
        self.assertGreater(decisions[0].signals["wording"], 0)
        self.assertIn("static", decisions[1].signals)

    def test_the_weights_are_fitted_after_refit_every_decisions_and_not_before(self):
        with mock.patch("claims.corroboration.learning.REFIT_EVERY", 3):
            with self.captureOnCommitCallbacks(execute=True):
                self.teach()
            self.assertFalse(RankerFit.objects.exists())
            first, second = claim("Dismissed", "Exports achieved records."), claim("Other", "It came to pass quietly.")
            with self.captureOnCommitCallbacks(execute=True):
                dismiss_suggestion(claim=first, suggested=second, dismissed_by=self.alice)
        self.assertEqual(RankerFit.objects.get().decisions, 3)

    def test_before_the_first_fit_suggestions_rank_by_the_hand_set_score_alone(self):
        self.teach()
        summit = claim("Summit", PARAPHRASE[0])
        self.assertIsNone(fitted_weights())
        ranked = ranked_for(summit)
        self.assertEqual([s.signals.association for s in ranked], [0.0] * len(ranked))
        self.assertEqual(ranked, sorted(ranked, key=lambda s: -s.signals.static))

    def test_a_fit_where_nothing_learned_tells_accepted_from_dismissed_leaves_the_hand_set_ranking(self):
        RankerFit.objects.create(decisions=25, weights={"static": 1.0, "association": 0.0})
        self.assertIsNone(fitted_weights())

    def test_a_learned_signal_no_decision_has_shown_yet_weighs_its_prior(self):
        self.teach()
        first, second = claim("Dismissed", "Exports grew."), claim("Other", "Imports fell.")
        dismiss_suggestion(claim=first, suggested=second, dismissed_by=self.alice)
        self.assertFalse(any(d.signals["linked_partner"] for d in SuggestionDecision.objects.all()))
        self.assertEqual(refit().weights["linked_partner"], PRIOR["linked_partner"])

    def test_decisions_showing_a_learned_signal_move_its_weight_from_the_prior_towards_the_fit(self):
        self.teach()
        first, second = claim("Dismissed", "Exports achieved records."), claim("Other", "It has come to pass.")
        dismiss_suggestion(claim=first, suggested=second, dismissed_by=self.alice)
        self.assertTrue(SuggestionDecision.objects.filter(accepted=False).get().signals["association"])
        with mock.patch("claims.corroboration.learning.PRIOR_DECISIONS", 0):
            unweighted = refit().weights["association"]
        with_prior = refit().weights["association"]
        self.assertNotEqual(unweighted, PRIOR["association"])
        self.assertLess(abs(with_prior - PRIOR["association"]), abs(unweighted - PRIOR["association"]))

    def test_the_refit_command_fits_the_weights_to_the_decisions_so_far(self):
        self.teach()
        first, second = claim("Dismissed", "Exports achieved records."), claim("Other", "It came to pass quietly.")
        dismiss_suggestion(claim=first, suggested=second, dismissed_by=self.alice)
        out = StringIO()
        call_command("refit_suggestions", stdout=out)
        self.assertIn("Fitted main to 3 decisions", out.getvalue())
        self.assertEqual(RankerFit.objects.get().decisions, 3)

    def test_the_refit_command_says_why_it_cannot_fit_without_both_kinds_of_decision(self):
        self.teach()
        out = StringIO()
        call_command("refit_suggestions", stdout=out)
        said = out.getvalue()
        self.assertIn("Not fitted in main: it needs at least one accepted and one dismissed suggestion.", said)
        self.assertFalse(RankerFit.objects.exists())


class OwnWordsTests(BaseTestCase):
    def test_a_reason_names_only_names_as_the_claim_writes_them(self):
        text = "Moscow will not hand the islands to Japan\nKistanov says the talks have stalled."
        first = claim("Stalled", text)
        claim("Kistanov", "Kistanov says Japan will not get the islands from Moscow.")
        reason = ranked_for(first)[0].reason
        self.assertNotIn("Japan Kistanov", reason)
        named = re.search(r"both mention ([^;]+)", reason).group(1)
        for name in re.split(r", | and ", named):
            self.assertIn(name, text)


class LinkedThroughAnotherTests(LearningStory):
    def three_claims_linked_in_a_row(self):
        first = claim("First", "The Kuril talks stalled over the fishing rights.")
        middle = claim("Middle", "Fishing rights stalled the Kuril talks again, officials said.")
        last = claim("Last", "Negotiators left Moscow without an agreement on quotas.")
        link_claims(claim_a=first, claim_b=middle, created_by=self.alice)
        link_claims(claim_a=middle, claim_b=last, created_by=self.alice)
        return first, middle, last

    def test_a_claim_linked_to_a_claim_linked_to_this_one_is_suggested_with_that_reason(self):
        first, middle, last = self.three_claims_linked_in_a_row()
        RankerFit.objects.create(decisions=25, weights={"static": 1.0, "linked_partner": 1.0})
        suggestion = next(s for s in suggestions_for(first) if s.claim == last)
        self.assertEqual(suggestion.signals.linked_partner, 1.0)
        self.assertIn(f"both linked to claim {middle.pk}", suggestion.reason)

    def test_before_the_first_fit_a_claim_linked_only_through_another_is_not_suggested(self):
        first, _, last = self.three_claims_linked_in_a_row()
        self.assertNotIn(last, [s.claim for s in ranked_for(first)])
