"""The evidence chain names the capture whose text holds the claim's words, whatever moved its anchor: a new
capture, the annotate page's re-anchor (either button: both save the claim's form with the selected words), or a
new quote typed in the admin."""

import datetime
import io
import json
import shutil
import tempfile
import zipfile
from pathlib import Path

from django.urls import reverse

from claims.models import Claim
from claims.services import create_claim
from sources.importing import import_file
from tests.base import BaseTestCase
from tests.test_links import claim_form_data

FIXTURES = Path(__file__).parent / "fixtures" / "articles"
ORIGINAL = (FIXTURES / "harbour_talks.txt").read_text()
WORDS = "nowhere near enough to keep our boats working"
CHANGED = "far too little to keep our boats working"
FIRST_DAY = datetime.datetime(2026, 1, 5, 9, 0, tzinfo=datetime.UTC)
SECOND_DAY = datetime.datetime(2026, 2, 5, 9, 0, tzinfo=datetime.UTC)


class EvidenceChainTests(BaseTestCase):
    def setUp(self):
        self.folder = Path(tempfile.mkdtemp())
        self.addCleanup(shutil.rmtree, self.folder)
        self.first = self.capture(ORIGINAL, FIRST_DAY)
        self.source = self.first.source
        self.claim = create_claim(source=self.source, quote=WORDS)

    def capture(self, raw: str, retrieved_at: datetime.datetime):
        path = self.folder / "harbour_talks.txt"
        path.write_text(raw)
        return import_file(path=path, imported_by="archivist", retrieved_at=retrieved_at).capture

    def break_the_claim(self):
        second = self.capture(ORIGINAL.replace("nowhere near enough", "far too little"), SECOND_DAY)
        self.claim.refresh_from_db()
        self.assertEqual(self.claim.anchor_state, Claim.AnchorState.BROKEN)
        return second

    def chain(self) -> str:
        self.client.force_login(self.vera)
        page = self.client.get(reverse("claims:detail", args=[self.claim.pk])).content.decode()
        return page.split('id="chain"')[1]

    def annotation_state(self) -> dict:
        self.client.force_login(self.bob)
        response = self.client.get(reverse("claims:evidence", args=[self.source.pk]))
        with zipfile.ZipFile(io.BytesIO(response.content)) as bundle:
            annotations = json.loads(bundle.read("annotations.jsonld"))
        (annotation,) = [a for a in annotations if a.get("type") == "Annotation"]
        return annotation["target"]["state"]

    def assert_named(self, capture) -> None:
        self.assertIn(f'<code class="sha256">{capture.sha256}</code>', self.chain())
        self.assertEqual(self.annotation_state()["sourceDate"], capture.retrieved_at.isoformat())

    def reanchor_in_the_editor(self, quote: str) -> None:
        start = Claim.objects.get(pk=self.claim.pk).source.text.index(quote)
        self.client.force_login(self.alice)
        data = {
            "quote": quote,
            "start": start,
            "end": start + len(quote),
            "kind": self.claim.kind,
            "status": self.claim.status,
            "seen_version": Claim.objects.get(pk=self.claim.pk).version,
        }
        response = self.client.post(
            reverse("annotate:claim", args=[self.claim.pk]), data, HTTP_ACCEPT="application/json"
        )
        self.assertEqual(response.status_code, 200, response.content)
        self.claim.refresh_from_db()

    def test_a_broken_claim_names_the_capture_where_its_words_last_stood(self):
        self.break_the_claim()
        self.assert_named(self.first)

    def test_a_claim_held_by_a_new_capture_names_the_new_capture(self):
        second = self.capture(
            ORIGINAL + "\nThe council will meet again in March to decide on the quotas.\n", SECOND_DAY
        )
        self.claim.refresh_from_db()
        self.assertEqual(self.claim.anchor_state, Claim.AnchorState.HELD)
        self.assert_named(second)

    def test_a_claim_moved_by_a_new_capture_names_the_new_capture(self):
        second = self.capture(ORIGINAL.replace("The mayor of", "It rained all week. The mayor of"), SECOND_DAY)
        self.claim.refresh_from_db()
        self.assertEqual(self.claim.anchor_state, Claim.AnchorState.MOVED)
        self.assert_named(second)

    def test_a_claim_re_anchored_in_the_annotate_page_names_the_capture_holding_its_new_words(self):
        second = self.break_the_claim()
        self.reanchor_in_the_editor(CHANGED)
        self.assertEqual(self.claim.quote, CHANGED)
        self.assert_named(second)

    def test_a_broken_claim_given_other_words_as_its_quote_names_the_capture_holding_them(self):
        second = self.break_the_claim()
        self.reanchor_in_the_editor("Piet Korda")
        self.assertEqual((self.claim.quote, self.claim.anchor_state), ("Piet Korda", Claim.AnchorState.HELD))
        self.assert_named(second)

    def test_a_broken_claim_given_a_new_quote_in_the_admin_names_the_capture_holding_it(self):
        second = self.break_the_claim()
        self.client.force_login(self.alice)
        url = reverse("admin:claims_claim_change", args=[self.claim.pk])
        new_quote = {"quote": CHANGED, "start": "", "end": ""}
        response = self.client.post(url, claim_form_data(self.claim) | new_quote)
        self.assertEqual(response.status_code, 302, response.content.decode()[:2000])
        self.claim.refresh_from_db()
        self.assertEqual((self.claim.quote, self.claim.anchor_state), (CHANGED, Claim.AnchorState.HELD))
        self.assert_named(second)
