"""The Sources list flags sources that lack a date, an author or a publisher."""

from django.urls import reverse

from sources.services import create_source
from tests.base import BaseTestCase


class MissingMetadataFilterTests(BaseTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        # The ledger has a date and a publisher but no author; the harbour has a publisher only.
        cls.complete = create_source(
            title="Complete", text="Every fact is stated.", publisher=cls.ledger_press, authors=[cls.putin]
        )
        cls.complete.published_on = cls.ledger.published_on
        cls.complete.save()
        cls.bare = create_source(title="Bare", text="Nothing is stated.")

    def titles(self, missing: str) -> list[str]:
        self.client.force_login(self.vera)
        response = self.client.get(reverse("admin:sources_source_changelist"), {"missing": missing})
        return sorted(source.title for source in response.context["cl"].result_list)

    def test_missing_anything_lists_every_source_without_a_date_author_or_publisher(self):
        self.assertEqual(self.titles("any"), ["Bare", "Harbour on the Kurils", "Ledger on missile defence"])

    def test_each_kind_of_missing_metadata_has_its_own_choice(self):
        self.assertEqual(self.titles("date"), ["Bare", "Harbour on the Kurils"])
        self.assertEqual(self.titles("author"), ["Bare", "Harbour on the Kurils", "Ledger on missile defence"])
        self.assertEqual(self.titles("publisher"), ["Bare"])

    def test_the_filter_is_offered_on_the_sources_list(self):
        self.client.force_login(self.vera)
        self.assertContains(self.client.get(reverse("admin:sources_source_changelist")), "By missing metadata")
