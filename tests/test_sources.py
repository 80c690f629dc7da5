import datetime
import hashlib

from django.core.exceptions import ValidationError
from django.urls import reverse

from sources.models import Agent, Source
from sources.services import create_source
from tests.base import LEDGER_TEXT, BaseTestCase


def source_form_data(source: Source, **changes) -> dict:
    data = {
        "title": source.title,
        "url": source.url,
        "publisher": str(source.publisher_id or ""),
        "published_on": source.published_on_iso,
        "language": source.language,
        "text": source.text,
        "raw_text": source.raw_text,
        "retrieved_at_0": "",
        "retrieved_at_1": "",
        "notes": source.notes,
    }
    data.update(changes)
    return data


class SourceTests(BaseTestCase):
    def test_both_texts_are_fingerprinted_with_sha256(self):
        self.assertEqual(self.ledger.text_sha256, hashlib.sha256(LEDGER_TEXT.encode()).hexdigest())
        self.assertEqual(self.ledger.raw_sha256, hashlib.sha256(("<nav>menu</nav>" + LEDGER_TEXT).encode()).hexdigest())

    def test_the_text_of_a_source_with_claims_cannot_be_edited(self):
        self.ledger.text = LEDGER_TEXT.replace("president", "leader")
        with self.assertRaisesMessage(ValidationError, "has claims anchored to its text"):
            self.ledger.full_clean()

    def test_the_admin_keeps_the_text_of_a_source_with_claims_whatever_is_posted(self):
        self.client.force_login(self.bob)
        url = reverse("admin:sources_source_change", args=[self.ledger.pk])
        response = self.client.post(url, source_form_data(self.ledger, text="Something else entirely."))
        self.assertEqual(response.status_code, 302)
        self.ledger.refresh_from_db()
        self.assertEqual(self.ledger.text, LEDGER_TEXT)

    def test_the_admin_shows_the_text_of_a_source_with_claims_read_only(self):
        self.client.force_login(self.bob)
        page = self.client.get(reverse("admin:sources_source_change", args=[self.ledger.pk]))
        self.assertNotIn("text", page.context["adminform"].form.fields)
        self.assertNotIn("raw_text", page.context["adminform"].form.fields)
        self.assertContains(page, "absolutely unacceptable")

    def test_a_source_with_claims_is_saved_from_a_browser_that_sends_crlf_line_breaks(self):
        self.client.force_login(self.bob)
        url = reverse("admin:sources_source_change", args=[self.ledger.pk])
        posted = source_form_data(
            self.ledger,
            title="Ledger, corrected title",
            url="https://example.org/ledger-2017",
            published_on="2017-06-03",
            publisher=str(self.harbour_press.pk),
            text=LEDGER_TEXT.replace("\n", "\r\n"),
            raw_text=self.ledger.raw_text.replace("\n", "\r\n"),
        )
        response = self.client.post(url, posted)
        self.assertEqual(response.status_code, 302, response.content.decode()[:3000])
        self.ledger.refresh_from_db()
        self.assertEqual(
            (self.ledger.title, self.ledger.url, self.ledger.published_on, self.ledger.publisher),
            (
                "Ledger, corrected title",
                "https://example.org/ledger-2017",
                datetime.date(2017, 6, 3),
                self.harbour_press,
            ),
        )
        self.assertEqual(self.ledger.text, LEDGER_TEXT)

    def test_the_text_of_a_source_without_claims_is_still_edited_in_the_admin(self):
        source = create_source(title="Draft", text="First wording.")
        self.client.force_login(self.bob)
        url = reverse("admin:sources_source_change", args=[source.pk])
        self.assertEqual(self.client.post(url, source_form_data(source, text="Second wording.")).status_code, 302)
        source.refresh_from_db()
        self.assertEqual(source.text, "Second wording.")

    def test_other_fields_of_a_source_with_claims_can_still_be_edited(self):
        self.client.force_login(self.bob)
        url = reverse("admin:sources_source_change", args=[self.ledger.pk])
        response = self.client.post(url, source_form_data(self.ledger, title="A better title"))
        self.assertEqual(response.status_code, 302)
        self.ledger.refresh_from_db()
        self.assertEqual(self.ledger.title, "A better title")

    def test_the_text_of_a_source_without_claims_can_be_edited_and_is_fingerprinted_again(self):
        source = create_source(title="Draft", text="First wording.")
        source.text = "Second wording."
        source.full_clean()
        source.save()
        self.assertEqual(source.text_sha256, hashlib.sha256(b"Second wording.").hexdigest())

    def test_two_sources_cannot_share_a_url(self):
        with self.assertRaisesMessage(ValidationError, "Another source of this project has this URL"):
            create_source(title="Copy", text="Other text.", url=self.ledger.url)

    def test_many_sources_may_have_no_url(self):
        create_source(title="One", text="One text.")
        create_source(title="Two", text="Two text.")
        self.assertEqual(Source.objects.filter(url="").count(), 2)

    def test_published_on_keeps_its_year_precision(self):
        source = create_source(
            title="Yearly", text="Text.", published_on=datetime.date(2016, 12, 15), published_on_precision="year"
        )
        self.assertEqual(source.published_on_iso, "2016")


class AgentTests(BaseTestCase):
    def test_a_parent_must_be_an_organisation(self):
        desk = Agent(name="Desk", kind=Agent.Kind.ORGANISATION, parent=self.putin)
        with self.assertRaisesMessage(ValidationError, "must be an organisation"):
            desk.full_clean()

    def test_a_parent_chain_cannot_loop(self):
        desk = Agent.objects.create(name="Ledger desk", kind=Agent.Kind.ORGANISATION, parent=self.ledger_press)
        self.ledger_press.parent = desk
        with self.assertRaisesMessage(ValidationError, "loop"):
            self.ledger_press.full_clean()

    def test_a_wikidata_id_is_checked_and_unique(self):
        self.putin.wikidata_id = "Q7747"
        self.putin.full_clean()
        self.putin.save()
        with self.assertRaisesMessage(ValidationError, "Another person or organisation has this Wikidata id"):
            Agent(name="V. Putin", wikidata_id="Q7747").full_clean()
        with self.assertRaisesMessage(ValidationError, "looks like Q7747"):
            Agent(name="Nobody", wikidata_id="7747").full_clean()
