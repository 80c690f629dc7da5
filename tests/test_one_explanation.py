"""Every place that explains a claim's voices reads one explanation: the claim page, the provenance page, the
annotate panel, the API's /corroboration/ and the links CSV say the same for the same claim."""

import csv
import html
import io
import re
import unittest
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.urls import reverse

from claims.corroboration.independence import facts_for, reasons
from claims.exchange.importing import LINK_COLUMNS
from claims.models import Claim
from claims.services import create_claim, link_claims
from sources.models import Agent, Source
from sources.services import create_source
from tests.base import BaseTestCase

SEEDS = Path(settings.BASE_DIR).parent / "shared" / "seeds"


def text(fragment: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", fragment)).strip()


class EveryPlace:
    """Reads what each place says about the Ledger claim's corroborating sources: source title → "group: why"."""

    def get(self, name: str, *args) -> str:
        response = self.client.get(reverse(name, args=args))
        self.assertEqual(response.status_code, 200)
        return response.content.decode()

    def on_the_claim_page(self) -> dict[str, str]:
        page = self.get("claims:detail", self.unacceptable.pk)
        table = page[page.index('<table class="claim-voices">') :]
        rows = re.findall(r"<tr><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td></tr>", table[: table.index("</table>")])
        return {text(title): f"{text(group)}: {text(why)}" for title, group, why in rows}

    def on_the_provenance_page(self) -> dict[str, str]:
        page = self.get("sources:provenance", self.ledger.pk)
        row = page[page.index(f'<tr id="claim-{self.unacceptable.pk}"') :]
        links = re.findall(r"</a> in (.*?)\n<span class=\"[\w-]+\">(.*?)</span></li>", row[: row.index("</tr>")])
        return {text(title): text(summary) for title, summary in links}

    def in_the_annotate_panel(self) -> dict[str, str]:
        panel = self.get("annotate:claim", self.unacceptable.pk)
        links = re.findall(r"<cite>(.*?)</cite></span>\s*<div class=\"link-voice [\w-]+\">(.*?)</div>", panel)
        return {text(title): text(summary) for title, summary in links}

    def in_the_api(self) -> dict[str, str]:
        body = self.client.get(reverse("api:claim-corroboration", args=[self.unacceptable.pk])).json()
        return {link["source_title"]: f"{link['group']}: {link['why']}" for link in body["links"]}

    def in_the_links_csv(self) -> dict[str, str]:
        form = {"format": "0", "resource": "0", **{f"linkresource_{name}": "on" for name in LINK_COLUMNS}}
        response = self.client.post(reverse("admin:claims_link_export"), form)
        said = {}
        for row in csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))):
            a, b = int(row["claim_a"]), int(row["claim_b"])
            if self.unacceptable.pk not in (a, b):
                continue
            ours, theirs = ("voice_for_claim_a", b) if a == self.unacceptable.pk else ("voice_for_claim_b", a)
            said[Claim.objects.get(pk=theirs).source.title] = row[ours]
        return said

    def in_every_place(self) -> list[tuple[str, dict[str, str]]]:
        return [
            ("claim page", self.on_the_claim_page()),
            ("provenance page", self.on_the_provenance_page()),
            ("annotate panel", self.in_the_annotate_panel()),
            ("API /corroboration/", self.in_the_api()),
            ("links CSV", self.in_the_links_csv()),
        ]


class OneExplanationTests(EveryPlace, BaseTestCase):
    """The Ledger's claim is corroborated by the Harbour (its own voice), the Ledger's own digest (same publisher)
    and a bare page (unverified)."""

    def setUp(self):
        link_claims(claim_a=self.unacceptable, claim_b=self.rejected)
        digest = create_source(
            title="Ledger digest", text="Bases are unacceptable, he said.", publisher=self.ledger_press
        )
        bare = create_source(title="Bare page", text="The president called the sites unacceptable.")
        link_claims(claim_a=create_claim(source=digest, quote="Bases are unacceptable"), claim_b=self.unacceptable)
        link_claims(claim_a=self.unacceptable, claim_b=create_claim(source=bare, quote="called the sites unacceptable"))
        self.client.force_login(self.bob)

    def test_every_place_gives_each_corroborating_source_the_same_voice_and_reason(self):
        expected = self.on_the_claim_page()
        self.assertEqual(set(expected), {"Harbour on the Kurils", "Ledger digest", "Bare page"})
        self.assertTrue(expected["Harbour on the Kurils"].startswith("independent voice 1: "))
        self.assertTrue(expected["Ledger digest"].startswith("the claim's own source's voice: same publisher"))
        self.assertTrue(expected["Bare page"].startswith("unverified: "))
        for place, said in self.in_every_place()[1:]:
            with self.subTest(place=place):
                self.assertEqual(said, expected)

    def test_the_annotate_panel_shows_the_stored_counts(self):
        panel = self.get("annotate:claim", self.unacceptable.pk)
        counts = re.findall(r"<dt>(.*?)</dt><dd>(\d+)", panel)
        self.assertEqual(
            counts,
            [
                ("Corroborating sources", "3"),
                ("Independent voices", "1"),
                ("Unverified sources", "1"),
                ("Contradicting sources", "0"),
            ],
        )

    def test_an_unverified_source_is_never_shown_in_green_on_the_provenance_page(self):
        page = self.get("sources:provenance", self.ledger.pk)
        link = page[page.index("</a> in Bare page") :]
        self.assertIn('<span class="unverified">unverified: ', link[: link.index("</li>")])


class ThroughAThirdSourceTests(EveryPlace, BaseTestCase):
    """The Ledger's claim is corroborated by a Ledger weekly (same publisher: its own voice), by an Island Post piece
    sharing only its author with the weekly (tied to the claim's own voice through the weekly, nothing in common
    with the Ledger itself), and by the Harbour (a voice of its own)."""

    def setUp(self):
        writer = Agent.objects.create(name="Anna Writer", kind=Agent.Kind.PERSON)
        island = Agent.objects.create(name="Island Post", kind=Agent.Kind.ORGANISATION)
        text = "Bases would be unacceptable, the president said."
        self.weekly = create_source(
            title="Ledger weekly", text=text, publisher=self.ledger_press, authors=[writer], url=""
        )
        self.post = create_source(
            title="Island Post piece", text=text, publisher=island, authors=[writer], url="https://islandpost.com/p"
        )
        for source in (self.weekly, self.post):
            link_claims(claim_a=self.unacceptable, claim_b=create_claim(source=source, quote="Bases would be"))
        link_claims(claim_a=self.unacceptable, claim_b=self.rejected)
        self.client.force_login(self.bob)

    def test_the_piece_shares_nothing_with_the_claims_own_source_directly(self):
        self.assertEqual(reasons(facts_for({self.ledger.pk, self.post.pk}), self.post.pk, self.ledger.pk), [])

    def test_it_is_counted_not_independent(self):
        claim = Claim.objects.get(pk=self.unacceptable.pk)
        self.assertEqual((claim.corroborating_sources, claim.independent_voices), (3, 1))

    def test_every_place_shows_it_in_the_claims_own_voice_through_the_weekly(self):
        for place, said in self.in_every_place():
            with self.subTest(place=place):
                self.assertEqual(
                    said["Island Post piece"],
                    "the claim's own source's voice: shares the author Anna Writer with “Ledger weekly”",
                )
                self.assertEqual(said["Harbour on the Kurils"].split(":")[0], "independent voice 1")
                self.assertNotIn("a voice of its own", " ".join(said.values()))

    def test_the_api_says_it_is_not_independent_and_never_gives_the_no_shared_reason_to_the_own_voice(self):
        body = self.client.get(reverse("api:claim-corroboration", args=[self.unacceptable.pk])).json()
        piece = [link for link in body["links"] if link["source_title"] == "Island Post piece"]
        self.assertEqual(
            [(link["independent"], link["group"]) for link in piece], [(False, "the claim's own source's voice")]
        )
        for link in body["links"]:
            if not link["independent"]:
                self.assertNotIn("no author, publisher", link["why"])

    def test_the_groups_shown_are_the_groups_counted(self):
        claim = Claim.objects.get(pk=self.unacceptable.pk)
        for place, said in self.in_every_place():
            with self.subTest(place=place):
                groups = {summary.split(":")[0] for summary in said.values()}
                independent = {group for group in groups if group.startswith("independent voice")}
                self.assertEqual(len(independent), claim.independent_voices)
                self.assertEqual(len(said), claim.corroborating_sources)


@unittest.skipUnless(SEEDS.is_dir(), "the seed articles are not in ../shared/seeds")
class SeedArticlesInEveryPlaceTests(EveryPlace, BaseTestCase):
    """The five seed articles imported as the README says; a claim in Brown's Nikkei Asian Review article corroborated
    by one claim in each of the others."""

    def setUp(self):
        call_command("import_sources", str(SEEDS), stdout=io.StringIO())
        seeds = {source.title[:12]: source for source in Source.objects.filter(captures__isnull=False)}
        self.ledger = seeds["The failure "]  # the names EveryPlace reads: the claim's source and the claim
        self.unacceptable = create_claim(source=self.ledger, quote=self.ledger.text[:30])
        for source in seeds.values():
            if source != self.ledger:
                link_claims(claim_a=self.unacceptable, claim_b=create_claim(source=source, quote=source.text[:30]))
        self.titles = {key: source.title for key, source in seeds.items()}
        self.client.force_login(self.bob)

    def test_every_place_gives_nikkei_asia_the_claims_own_voice_miller_one_voice_and_valdai_unverified(self):
        for place, said in self.in_every_place():
            with self.subTest(place=place):
                groups = {title: summary.split(":")[0] for title, summary in said.items()}
                self.assertEqual(
                    groups,
                    {
                        self.titles["China fears "]: "the claim's own source's voice",
                        self.titles["Japan’s “Rus"]: "independent voice 1",
                        self.titles["Russia Won’t"]: "independent voice 1",
                        self.titles["Can We Talk "]: "unverified",
                    },
                )
                self.assertIn("Nikkei", said[self.titles["China fears "]])
