"""Voices: who speaks with whom, the counts each claim stores, every write path that moves them, the merge of
duplicates, the proposals, the explanation on the pages, and the drift-repair command."""

import io
import shutil
import tempfile
from pathlib import Path

from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from claims.corroboration.counting import recount_all
from claims.corroboration.independence import UNKNOWN_OWN_SOURCE, explain, explanations_for_claims
from claims.exchange.importing import import_links
from claims.models import Claim, Link, Republication
from claims.services import create_claim, link_claims
from sources.duplicates import MAX_HOLDERS, likely_duplicates
from sources.models import Agent, DistinctPublishers, Source
from sources.services import agent_named, create_source, mark_distinct, merge_agents, update_source
from tests.base import BaseTestCase

# See LinkRecountQueryTests; on PostgreSQL also the link lock, taken by the link rule and again by the recount;
# then the decision the suggestions learn from (8 queries: tests/test_learning.py DecisionQueryTests).
QUERIES_TO_LINK = 27 + (2 if connection.vendor == "postgresql" else 0)
REPORT = "The minister said the survey trip to the islands would start in June."
SEEDS = Path(__file__).resolve().parent.parent.parent / "shared" / "seeds"


class VoicesTestCase(BaseTestCase):
    def counts(self, claim: Claim) -> tuple[int, int, int, int]:
        claim.refresh_from_db()
        return (
            claim.corroborating_sources,
            claim.independent_voices,
            claim.unverified_sources,
            claim.contradicting_sources,
        )

    def corroborate(self, **source) -> tuple[Source, Claim]:
        """A new source whose one claim corroborates the Ledger's `unacceptable` claim."""
        made = create_source(title=source.pop("title", "Another"), text=REPORT, **source)
        claim = create_claim(source=made, quote=REPORT[:40])
        link_claims(claim_a=claim, claim_b=self.unacceptable)
        return made, claim


class VoiceRuleTests(VoicesTestCase):
    def test_two_corroborating_sources_sharing_an_author_are_one_voice(self):
        writer = Agent.objects.create(name="J. Berkshire Miller")
        self.corroborate(title="Diplomat", url="https://thediplomat.com/a", authors=[writer])
        self.corroborate(title="Foreign Policy", url="https://foreignpolicy.com/b", authors=[writer])
        self.assertEqual(self.counts(self.unacceptable), (2, 1, 0, 0))

    def test_a_source_with_no_author_publisher_or_url_is_unverified(self):
        self.corroborate(title="Valdai")
        self.assertEqual(self.counts(self.unacceptable), (1, 0, 1, 0))

    def test_a_claim_in_an_unverified_source_says_why_nothing_ties_its_corroboration_to_it(self):
        _, valdai_claim = self.corroborate(title="Valdai")
        self.assertEqual(self.counts(valdai_claim), (1, 1, 0, 0))  # the Ledger is a witness of its own

        (explained,) = explanations_for_claims([valdai_claim.pk])[valdai_claim.pk].values()

        self.assertEqual((explained.source.pk, explained.group), (self.ledger.pk, "independent voice 1"))
        self.assertEqual(explained.reason, UNKNOWN_OWN_SOURCE)

    def test_urls_with_the_same_registered_domain_are_one_voice(self):
        update_source(source=self.ledger, url="https://www.nikkei.com/ledger")
        self.corroborate(url="https://asia.nikkei.com/other")
        self.assertEqual(self.counts(self.unacceptable), (1, 0, 0, 0))

    def test_publishers_marked_distinct_are_not_one_voice_by_their_domain(self):
        update_source(source=self.ledger, url="https://www.nikkei.com/ledger")
        self.corroborate(url="https://asia.nikkei.com/other", publisher=self.harbour_press)
        mark_distinct(first=self.ledger_press, second=self.harbour_press, user=self.bob)
        self.assertEqual(self.counts(self.unacceptable), (1, 1, 0, 0))


class WritePathTests(VoicesTestCase):
    """Each path that can move a count updates it at once (and tearDown recomputes everything to compare)."""

    def test_deleting_a_link_in_the_claim_admin_inline_recounts_both_claims(self):
        link = link_claims(claim_a=self.unacceptable, claim_b=self.rejected)
        self.client.force_login(self.alice)
        url = reverse("admin:claims_claim_change", args=[self.unacceptable.pk])
        page = self.client.get(url)
        data = {k: v for k, v in page.context["adminform"].form.initial.items() if v is not None}
        data.update(
            {
                "source": self.ledger.pk,
                "quote": self.unacceptable.quote,
                "start": self.unacceptable.start,
                "end": self.unacceptable.end,
                "speaker": self.putin.pk,
                "claimed_on_precision": "day",
                "kind": "direct_quote",
                "seen_version": self.unacceptable.version,
                "links_from-TOTAL_FORMS": 1,
                "links_from-INITIAL_FORMS": 1,
                "links_from-0-id": link.pk,
                "links_from-0-claim_a": self.unacceptable.pk,
                "links_from-0-claim_b": self.rejected.pk,
                "links_from-0-relation": "corroborates",
                "links_from-0-DELETE": "on",
                "links_to-TOTAL_FORMS": 0,
                "links_to-INITIAL_FORMS": 0,
            }
        )
        data.pop("tags", None)
        response = self.client.post(url, data)
        self.assertEqual(response.status_code, 302)
        self.assertFalse(Link.objects.exists())
        self.assertEqual(self.counts(self.rejected), (0, 0, 0, 0))

    def test_the_link_admin_changing_a_relation_recounts(self):
        link = link_claims(claim_a=self.unacceptable, claim_b=self.rejected)
        self.client.force_login(self.alice)
        response = self.client.post(
            reverse("admin:claims_link_change", args=[link.pk]),
            {"claim_a": self.unacceptable.pk, "claim_b": self.rejected.pk, "relation": "contradicts", "note": ""},
        )
        self.assertEqual(response.status_code, 302)
        self.assertEqual(self.counts(self.unacceptable), (0, 0, 0, 1))

    def test_deleting_a_claim_recounts_the_claims_it_was_linked_to(self):
        link_claims(claim_a=self.unacceptable, claim_b=self.rejected)
        self.client.force_login(self.root)
        url = reverse("admin:claims_claim_delete", args=[self.rejected.pk])
        self.client.post(url, {"post": "yes"})
        self.assertEqual(self.counts(self.unacceptable), (0, 0, 0, 0))

    def test_a_republication_added_in_the_admin_recounts(self):
        copy, _ = self.corroborate(title="Copy", url="https://copies.example.com/1")
        self.assertEqual(self.counts(self.unacceptable)[1], 1)
        self.client.force_login(self.root)
        self.client.post(reverse("admin:claims_republication_add"), {"copy": copy.pk, "original": self.ledger.pk})
        self.assertTrue(Republication.objects.exists())
        self.assertEqual(self.counts(self.unacceptable)[1], 0)

    def test_a_source_admin_change_of_publisher_recounts(self):
        link_claims(claim_a=self.unacceptable, claim_b=self.rejected)
        self.client.force_login(self.bob)
        url = reverse("admin:sources_source_change", args=[self.harbour.pk])
        data = {
            "title": self.harbour.title,
            "url": "https://example.org/harbour",
            "publisher": self.ledger_press.pk,
            "published_on_precision": "day",
            "text": self.harbour.text,
        }
        response = self.client.post(url, data)
        self.assertEqual(response.status_code, 302)
        self.assertEqual(self.counts(self.unacceptable), (1, 0, 0, 0))

    def test_an_organisations_new_parent_recounts(self):
        link_claims(claim_a=self.unacceptable, claim_b=self.rejected)
        self.client.force_login(self.bob)
        url = reverse("admin:sources_agent_change", args=[self.harbour_press.pk])
        data = {"name": "Harbour Times", "kind": "organisation", "parent": self.ledger_press.pk}
        self.assertEqual(self.client.post(url, data).status_code, 302)
        self.assertEqual(self.counts(self.unacceptable), (1, 0, 0, 0))

    def test_a_links_import_recounts(self):
        report = import_links(
            header=["claim_a", "claim_b"],
            rows=[(2, {"claim_a": str(self.unacceptable.pk), "claim_b": str(self.rejected.pk)})],
        )
        self.assertTrue(report.ok)
        self.assertEqual(self.counts(self.rejected), (1, 1, 0, 0))

    def test_the_editor_adding_a_link_recounts(self):
        self.client.force_login(self.alice)
        url = reverse("annotate:add_link", args=[self.unacceptable.pk])
        self.client.post(url, {"other": self.rejected.pk, "relation": "corroborates", "note": ""})
        self.assertEqual(self.counts(self.unacceptable), (1, 1, 0, 0))


class MergeTests(VoicesTestCase):
    def test_an_organisation_merged_into_its_own_desk_leaves_the_desk_without_a_parent(self):
        group = Agent.objects.create(name="Paper Group", kind=Agent.Kind.ORGANISATION)
        desk = Agent.objects.create(name="Paper desk", kind=Agent.Kind.ORGANISATION, parent=group)
        merge_agents(keep=desk, others=[group])
        desk.refresh_from_db()
        self.assertIsNone(desk.parent)
        self.assertFalse(Agent.objects.filter(pk=group.pk).exists())

    def test_an_organisation_merged_into_one_further_down_its_tree_leaves_no_loop(self):
        # Paper Group heads a regional desk, which heads a local desk; the group is merged into the local desk.
        holding = Agent.objects.create(name="Paper Holding", kind=Agent.Kind.ORGANISATION)
        group = Agent.objects.create(name="Paper Group", kind=Agent.Kind.ORGANISATION, parent=holding)
        region = Agent.objects.create(name="Regional desk", kind=Agent.Kind.ORGANISATION, parent=group)
        local = Agent.objects.create(name="Local desk", kind=Agent.Kind.ORGANISATION, parent=region)
        merge_agents(keep=local, others=[group])
        local.refresh_from_db()
        region.refresh_from_db()
        # The local desk takes the group's place: under the holding, with the regional desk under it.
        self.assertEqual(local.parent_id, holding.pk)
        self.assertEqual(region.parent_id, local.pk)
        self.assertFalse(Agent.objects.filter(pk=group.pk).exists())

    def test_merging_repoints_publishers_authors_speakers_and_parents_and_keeps_names_as_aliases(self):
        nar = Agent.objects.create(name="Nikkei Asian Review", kind=Agent.Kind.ORGANISATION)
        asia = Agent.objects.create(name="Nikkei Asia", kind=Agent.Kind.ORGANISATION)
        desk = Agent.objects.create(name="Nikkei desk", kind=Agent.Kind.ORGANISATION, parent=asia)
        source = create_source(title="Nikkei piece", text=REPORT, publisher=asia, authors=[asia])
        claim = create_claim(source=source, quote=REPORT[:20], speaker=asia)
        merge_agents(keep=nar, others=[asia])
        source.refresh_from_db()
        claim.refresh_from_db()
        desk.refresh_from_db()
        nar.refresh_from_db()
        self.assertEqual(
            (source.publisher, list(source.authors.all()), claim.speaker, desk.parent), (nar, [nar], nar, nar)
        )
        self.assertEqual(nar.alias_list, ["Nikkei Asia"])
        self.assertFalse(Agent.objects.filter(pk=asia.pk).exists())
        self.assertIn("Merged Nikkei Asia", nar.history.latest().history_change_reason)

    def test_the_importer_finds_a_publisher_by_its_alias(self):
        nar = Agent.objects.create(name="Nikkei Asian Review", kind=Agent.Kind.ORGANISATION, aliases="Nikkei Asia")
        self.assertEqual(agent_named("nikkei asia", kind=Agent.Kind.ORGANISATION), nar)

    def test_the_merge_action_asks_which_to_keep_then_merges(self):
        asia = Agent.objects.create(name="Nikkei Asia", kind=Agent.Kind.ORGANISATION)
        nar = Agent.objects.create(name="Nikkei Asian Review", kind=Agent.Kind.ORGANISATION)
        self.client.force_login(self.root)
        url = reverse("admin:sources_agent_changelist")
        chosen = {"action": "merge_selected", "_selected_action": [asia.pk, nar.pk]}
        page = self.client.post(url, chosen)
        self.assertContains(page, "Keep which one?")
        self.client.post(url, {**chosen, "keep": nar.pk, "merge": "Merge"})
        self.assertEqual(list(Agent.objects.filter(name__startswith="Nikkei")), [nar])

    def test_a_viewer_cannot_merge(self):
        Agent.objects.create(name="Nikkei Asia", kind=Agent.Kind.ORGANISATION)
        self.client.force_login(self.vera)
        page = self.client.get(reverse("admin:sources_agent_duplicates"))
        self.assertNotContains(page, 'value="merge"')
        self.assertEqual(self.client.post(reverse("admin:sources_agent_duplicates"), {}).status_code, 403)


class DuplicateProposalTests(VoicesTestCase):
    def test_organisations_sharing_a_distinctive_word_are_proposed(self):
        Agent.objects.create(name="Nikkei Asian Review", kind=Agent.Kind.ORGANISATION)
        Agent.objects.create(name="Nikkei Asia", kind=Agent.Kind.ORGANISATION)
        proposals = [(p.first.name, p.second.name, p.reasons) for p in likely_duplicates()]
        self.assertIn(("Nikkei Asian Review", "Nikkei Asia", ["both names have the word “Nikkei”"]), proposals)

    def test_publishers_whose_sources_share_a_domain_are_proposed_until_marked_distinct(self):
        update_source(source=self.ledger, url="https://www.shared.com/a")
        update_source(source=self.harbour, url="https://news.shared.com/b")
        self.assertEqual([p.reasons for p in likely_duplicates()], [["their sources share the domain shared.com"]])
        self.client.force_login(self.bob)
        self.client.post(
            reverse("admin:sources_agent_duplicates"),
            {"first": self.ledger_press.pk, "second": self.harbour_press.pk, "choice": "distinct"},
        )
        self.assertTrue(DistinctPublishers.objects.exists())
        self.assertEqual(likely_duplicates(), [])

    def test_a_recount_reads_only_the_organisations_it_asks_about_when_their_names_share_no_word(self):
        for name in ("Alpha Nikkei", "Beta Nikkei", "Gamma Nikkei"):
            Agent.objects.create(name=name, kind=Agent.Kind.ORGANISATION)
        with CaptureQueriesContext(connection) as queries:
            self.assertEqual(likely_duplicates(among=[self.ledger_press.pk, self.harbour_press.pk]), [])
        read = [q["sql"] for q in queries if q["sql"].startswith('SELECT "sources_agent"."id"')]
        self.assertEqual(len(read), 1, read)
        self.assertIn('"sources_agent"."id" IN', read[0])

    def test_a_word_two_of_them_share_still_counts_every_organisation_holding_it(self):
        asked = [Agent.objects.create(name=f"Kuril {n} Weekly", kind=Agent.Kind.ORGANISATION).pk for n in "AB"]
        proposed = likely_duplicates(among=asked)
        self.assertEqual([p.reasons for p in proposed], [["both names have the word “Kuril”"]])
        for n in range(MAX_HOLDERS - 1):  # the word in more names than MAX_HOLDERS says nothing
            Agent.objects.create(name=f"Kuril Desk {n}", kind=Agent.Kind.ORGANISATION)
        self.assertEqual(likely_duplicates(among=asked), [])

    def test_a_reviewer_merges_a_proposed_pair_from_the_page(self):
        update_source(source=self.ledger, url="https://www.shared.com/a")
        update_source(source=self.harbour, url="https://news.shared.com/b")
        self.client.force_login(self.bob)
        page = self.client.get(reverse("admin:sources_agent_duplicates"))
        self.assertContains(page, "Keep Northern Ledger")
        chosen = {"first": self.ledger_press.pk, "second": self.harbour_press.pk, "choice": "merge"}
        asked = self.client.post(reverse("admin:sources_agent_duplicates"), chosen)
        self.assertContains(asked, "Yes, merge into Northern Ledger")
        self.harbour.refresh_from_db()
        self.assertEqual(self.harbour.publisher, self.harbour_press)
        self.client.post(reverse("admin:sources_agent_duplicates"), {**chosen, "confirm": "yes"})
        self.harbour.refresh_from_db()
        self.assertEqual(self.harbour.publisher, self.ledger_press)

    def test_demo_organisations_are_not_proposed_for_the_word_demo(self):
        for name in ("Harbour Times (demo)", "Northern Ledger (demo)", "Pacific Review (demo)"):
            Agent.objects.create(name=name, kind=Agent.Kind.ORGANISATION)
        pairs = [{p.first.name, p.second.name} for p in likely_duplicates()]
        self.assertNotIn({"Harbour Times (demo)", "Pacific Review (demo)"}, pairs)
        self.assertNotIn({"Northern Ledger (demo)", "Pacific Review (demo)"}, pairs)


class ExplanationTests(VoicesTestCase):
    def test_the_claim_page_and_admin_page_say_which_group_each_source_is_in_and_why(self):
        update_source(source=self.ledger, url="https://www.nikkei.com/ledger")
        self.corroborate(title="Nikkei again", url="https://asia.nikkei.com/x", publisher=self.ledger_press)
        writer = Agent.objects.create(name="J. Berkshire Miller")
        self.corroborate(title="Diplomat", url="https://thediplomat.com/a", authors=[writer])
        self.corroborate(title="Foreign Policy", url="https://foreignpolicy.com/b", authors=[writer])
        self.corroborate(title="Valdai")
        self.client.force_login(self.vera)
        for url in (
            reverse("claims:detail", args=[self.unacceptable.pk]),
            reverse("admin:claims_claim_change", args=[self.unacceptable.pk]),
        ):
            with self.subTest(url=url):
                page = self.client.get(url)
                self.assertContains(
                    page, "same publisher as “Ledger on missile defence”: Northern Ledger, via nikkei.com"
                )
                self.assertContains(page, "shares the author J. Berkshire Miller with “Foreign Policy”")
                self.assertContains(
                    page, "<td>unverified</td><td>no author, publisher or URL: never counted as independent"
                )
                self.assertContains(page, "<dt>Independent voices</dt><dd>1")


class RecountCommandTests(VoicesTestCase):
    check_counts = False  # it makes drift on purpose

    def test_the_command_reports_and_repairs_drift(self):
        link_claims(claim_a=self.unacceptable, claim_b=self.rejected)
        Claim.objects.filter(pk=self.unacceptable.pk).update(independent_voices=7)
        with self.assertRaisesMessage(CommandError, "1 claim(s) store wrong counts"):
            call_command("recount_corroboration", "--check", stdout=io.StringIO())
        out = io.StringIO()
        call_command("recount_corroboration", stdout=out)
        listed = f"'{self.rejected.pk}', ''"
        self.assertIn(
            f"claim {self.unacceptable.pk}: stored (1, 7, 0, 0, {listed}), should be (1, 1, 0, 0, {listed})",
            out.getvalue(),
        )
        self.assertEqual(recount_all(repair=False), {})


class SeedArticleTests(VoicesTestCase):
    """The five seed articles imported with the folder command give the counts a careful reader expects."""

    def setUp(self):
        if not SEEDS.is_dir():
            self.skipTest(f"the seed articles are not at {SEEDS}")
        folder = Path(tempfile.mkdtemp())
        self.addCleanup(shutil.rmtree, folder)
        for path in sorted(SEEDS.glob("*.txt")):
            shutil.copy(path, folder / path.name)
        call_command("import_sources", str(folder), stdout=io.StringIO())
        self.seeds = {s.title[:12]: s for s in Source.objects.filter(captures__isnull=False).distinct()}
        # One claim in each article; every other article corroborates the first Nikkei one.
        self.claims = {key: create_claim(source=s, quote=s.text[:30]) for key, s in self.seeds.items()}
        self.nikkei = self.claims["The failure "]
        for claim in self.claims.values():
            if claim != self.nikkei:
                link_claims(claim_a=self.nikkei, claim_b=claim)

    def test_the_seed_articles_count_as_a_careful_reader_expects(self):
        # Corroborating: the Valdai piece (nothing known: unverified), the two J. Berkshire Miller pieces
        # (one voice), and Nikkei Asia, which is Nikkei Asian Review under its new name (the page says so).
        self.assertEqual(self.counts(self.nikkei), (4, 1, 1, 0))

    def test_nikkei_asian_review_and_nikkei_asia_are_one_publisher_with_both_names(self):
        publisher = self.seeds["China fears "].publisher
        self.assertEqual(self.seeds["The failure "].publisher, publisher)
        self.assertEqual({publisher.name, *publisher.alias_list}, {"Nikkei Asian Review", "Nikkei Asia"})
        self.assertNotIn(
            {"Nikkei Asian Review", "Nikkei Asia"}, [{p.first.name, p.second.name} for p in likely_duplicates()]
        )

    def test_brown_and_miller_articles_still_group_by_author(self):
        groups = {row.source.title[:12]: row.group for row in explain(self.nikkei)}
        self.assertEqual(groups["Japan’s “Rus"], groups["Russia Won’t"])
        self.assertTrue(groups["Japan’s “Rus"].startswith("independent voice"))
        self.assertEqual(groups["China fears "], "the claim's own source's voice")
        self.assertEqual(groups["Can We Talk "], "unverified")


class LinkRecountQueryTests(VoicesTestCase):
    def add_corroborating_sources(self, n: int) -> None:
        desk = Agent.objects.create(name=f"Desk {n}", kind=Agent.Kind.ORGANISATION, parent=self.ledger_press)
        for i in range(n):
            writer = Agent.objects.create(name=f"Writer {n}.{i}")
            url = f"https://paper{i}.example.com/{n}"
            self.corroborate(title=f"Paper {n}.{i}", url=url, authors=[writer], publisher=desk)

    def test_adding_a_link_validates_saves_and_recounts_in_a_fixed_number_of_queries(self):
        # Validation (the two claims, the duplicate check, their sources as they now stand, the constraints), the
        # link, the person its history row names, the row; then the recount: the links of both claims, their
        # sources' facts, the people and organisations above, the update.
        for corroborating in (1, 4):
            with self.subTest(corroborating=corroborating):
                self.add_corroborating_sources(corroborating)
                claim = create_claim(source=create_source(title="Late", text=REPORT), quote=REPORT[:40])
                with self.assertNumQueries(QUERIES_TO_LINK):
                    link_claims(claim_a=claim, claim_b=self.unacceptable)


class DeletingAnAuthorTests(VoicesTestCase):
    """Two articles by one writer are one voice; once the writer is deleted they are two (BaseTestCase's closing
    check recomputes every stored count and compares)."""

    def setUp(self):
        self.writer = Agent.objects.create(name="J. Berkshire Miller")
        self.corroborate(title="Diplomat", url="https://thediplomat.com/a", authors=[self.writer])
        self.corroborate(title="Foreign Policy", url="https://foreignpolicy.com/b", authors=[self.writer])
        self.unacceptable.refresh_from_db()
        self.assertEqual(self.unacceptable.independent_voices, 1)

    def test_deleting_the_shared_author_in_the_admin_recounts_the_claims_they_touch(self):
        self.client.force_login(self.root)
        response = self.client.post(reverse("admin:sources_agent_delete", args=[self.writer.pk]), {"post": "yes"})
        self.assertEqual(response.status_code, 302)
        self.unacceptable.refresh_from_db()
        self.assertEqual(self.unacceptable.independent_voices, 2)

    def test_deleting_the_shared_author_through_the_api_recounts_the_claims_they_touch(self):
        from rest_framework.test import APIClient

        api = APIClient()
        api.force_authenticate(self.root)
        self.assertEqual(api.delete(f"/api/agents/{self.writer.pk}/").status_code, 204)
        self.unacceptable.refresh_from_db()
        self.assertEqual(self.unacceptable.independent_voices, 2)
