"""Cases the suite let pass when the code was broken (issue 9): export escaping, copies and independence,
re-anchoring's harder cases."""

from django.urls import reverse

from claims.anchoring import reanchor_claims, relocate
from claims.models import Claim
from claims.services import create_claim, link_claims, record_republication
from sources.models import Agent, Source
from sources.services import create_source
from tests.base import BaseTestCase
from tests.test_independence import IndependenceStory


class ExportEscapingTests(BaseTestCase):
    """Every admin export escapes a cell a spreadsheet would run as a formula."""

    def export(self, model: str, prefix: str, fields: list[str]) -> str:
        self.client.force_login(self.bob)
        data = {"format": "0", "resource": "0", **{f"{prefix}_{name}": "on" for name in fields}}
        response = self.client.post(reverse(f"admin:{model}_export"), data)
        self.assertEqual(response.status_code, 200)
        return b"".join(response.streaming_content if response.streaming else [response.content]).decode("utf-8-sig")

    def test_the_sources_export_escapes_a_formula_in_a_title(self):
        Source.objects.filter(pk=self.ledger.pk).update(title='=HYPERLINK("https://evil.example")')
        csv = self.export("sources_source", "sourceresource", ["id", "title"])
        self.assertIn("'=HYPERLINK", csv)
        self.assertNotIn(',"=HYPERLINK', csv)

    def test_the_people_export_escapes_a_formula_in_a_name(self):
        Agent.objects.create(name="@SUM(A1:A9)", kind=Agent.Kind.PERSON)
        csv = self.export("sources_agent", "agentresource", ["id", "name"])
        self.assertIn(",'@SUM(A1:A9)", csv)

    def test_the_links_export_escapes_a_formula_in_a_note(self):
        link_claims(claim_a=self.unacceptable, claim_b=self.rejected, note="+1+cmd|' /C calc'!A0")
        csv = self.export("claims_link", "linkresource", ["id", "note"])
        self.assertIn("'+1+cmd", csv)


class CopiesAndIndependenceTests(IndependenceStory):
    """A copy speaks with its original's publisher and authors, whichever side of the link the copy is on."""

    def make_ledger_a_copy_of(self, original: Source) -> None:
        record_republication(copy=self.ledger, original=original)

    def test_a_copy_of_an_original_from_the_claims_publisher_is_not_independent(self):
        original = create_source(title="Ledger's own report", text="Other words.", publisher=self.ledger_press)
        syndicator = Agent.objects.create(name="Wire Mirror", kind=Agent.Kind.ORGANISATION)
        copy = self.corroborating_source("Mirror of the Ledger's report", publisher=syndicator)
        record_republication(copy=copy, original=original)
        self.assertEqual(self.independent_voices(), 0)

    def test_when_the_claims_source_is_a_copy_its_originals_publisher_is_not_independent(self):
        courier = Agent.objects.create(name="Valley Courier", kind=Agent.Kind.ORGANISATION)
        self.make_ledger_a_copy_of(create_source(title="Courier original", text="Words.", publisher=courier))
        self.corroborating_source("Courier follows up", publisher=courier)
        self.assertEqual(self.independent_voices(), 0)

    def test_when_the_claims_source_is_a_copy_its_originals_author_is_not_independent(self):
        bea = Agent.objects.create(name="Bea Reporter")
        self.make_ledger_a_copy_of(create_source(title="Bea's original", text="Words.", authors=[bea]))
        self.corroborating_source("Bea again", publisher=self.harbour_press, authors=[bea])
        self.assertEqual(self.independent_voices(), 0)

    def test_when_the_claims_source_is_a_copy_its_original_is_not_independent(self):
        courier = Agent.objects.create(name="Valley Courier", kind=Agent.Kind.ORGANISATION)
        original = self.corroborating_source("Courier original", publisher=courier)
        self.make_ledger_a_copy_of(original)
        self.assertEqual(self.independent_voices(), 0)

    def test_when_the_claims_source_is_a_copy_an_unrelated_source_still_counts(self):
        courier = Agent.objects.create(name="Valley Courier", kind=Agent.Kind.ORGANISATION)
        self.make_ledger_a_copy_of(create_source(title="Courier original", text="Words.", publisher=courier))
        self.corroborating_source("Harbour follows up", publisher=self.harbour_press)
        self.assertEqual(self.independent_voices(), 1)


class ReanchoringCasesTests(BaseTestCase):
    def test_a_tie_between_two_equally_fitting_places_breaks_the_anchor(self):
        old = "Intro A. The plan is fine. B."
        new = "C. The plan is fine. D. The plan is fine. E."
        found = relocate(quote="The plan is fine", start=9, old_text=old, new_text=new)
        self.assertEqual((found.state, found.start), ("broken", 9))

    def test_a_long_quote_found_once_moves_even_without_its_context(self):
        quote = "the harbour authority will publish its full accounts next spring"
        old = "Earlier words. " + quote + " Later words."
        new = "Completely rewritten opening paragraph here: " + quote + ", said nobody."
        found = relocate(quote=quote, start=15, old_text=old, new_text=new)
        self.assertEqual((found.state, found.start), ("moved", new.index(quote)))

    def test_the_context_before_the_quote_picks_its_place(self):
        quote = "it rained"
        old = "On Monday in the harbour town it rained. Nothing else."
        new = "On Tuesday far away it rained! On Monday in the harbour town it rained? Nothing."
        found = relocate(quote=quote, start=old.index(quote), old_text=old, new_text=new)
        self.assertEqual((found.state, found.start), ("moved", new.index("town it rained") + 5))

    def test_a_short_quote_found_elsewhere_out_of_its_context_breaks(self):
        old = "The minister said yes to the plan."
        new = "Totally different story where yes appears."
        found = relocate(quote="yes", start=old.index("yes"), old_text=old, new_text=new)
        self.assertEqual((found.state, found.start), ("broken", old.index("yes")))

    def test_a_broken_claim_stays_broken_though_its_quote_occurs_in_the_next_text(self):
        quote = "the harbour authority will publish its full accounts next spring"
        source = create_source(title="Accounts", text="Intro. " + quote + ". End.")
        claim = create_claim(source=source, quote=quote)
        Claim.objects.filter(pk=claim.pk).update(anchor_state=Claim.AnchorState.BROKEN)
        old_text = source.text
        source.text = "A new capture: " + quote + "."
        source.save()
        report = reanchor_claims(source=source, old_text=old_text)
        claim.refresh_from_db()
        self.assertEqual((claim.anchor_state, claim.start), (Claim.AnchorState.BROKEN, 7))
        self.assertEqual(report[0]["state"], "broken")
