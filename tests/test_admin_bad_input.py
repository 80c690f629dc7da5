"""Bad input to the admin, each refused with a message where it is read, never a server error: a NUL in a list
filter or an autocomplete search, a lone surrogate or NUL in a JSON import, a link file naming a pair already
linked (said once)."""

import io
import json
import tempfile
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from claims.exchange.columns import csv_line
from claims.models import Link
from claims.services import link_claims
from sources.models import Agent, Source
from tests.base import BaseTestCase


class NulInListFilterTests(BaseTestCase):
    def test_a_nul_in_a_list_filter_is_an_incorrect_lookup_not_a_server_error(self):
        self.client.force_login(self.root)
        lists = {
            "admin:claims_claim_changelist": ["status__exact=%00", "kind__exact=x%00", "anchor_state__exact=%00"],
            "admin:claims_link_changelist": ["relation__exact=%00"],
            "admin:sources_source_changelist": ["language=%00", "language__exact=en%00"],
            "admin:sources_agent_changelist": ["kind__exact=%00"],
        }
        for name, queries in lists.items():
            for query in queries:
                with self.subTest(list=name, query=query):
                    response = self.client.get(f"{reverse(name)}?{query}")
                    # The admin's own answer to a lookup it cannot make: the list again, with ?e=1.
                    self.assertEqual(response.status_code, 302)
                    self.assertEqual(response["Location"], f"{reverse(name)}?e=1")

    def test_a_list_filter_without_a_nul_still_filters(self):
        self.client.force_login(self.root)
        response = self.client.get(reverse("admin:claims_claim_changelist"), {"status__exact": "draft"})
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.context["cl"].result_count, 2)

    def test_a_nul_in_an_autocomplete_search_is_a_400(self):
        self.client.force_login(self.root)
        for model, field in (("claim", "speaker"), ("claim", "source"), ("link", "claim_a")):
            with self.subTest(field=field):
                query = {"term": "Pu\x00tin", "app_label": "claims", "model_name": model, "field_name": field}
                response = self.client.get(reverse("admin:autocomplete"), query)
                self.assertEqual(response.status_code, 400)

    def test_an_autocomplete_search_without_a_nul_still_finds(self):
        self.client.force_login(self.root)
        query = {"term": "Putin", "app_label": "claims", "model_name": "claim", "field_name": "speaker"}
        response = self.client.get(reverse("admin:autocomplete"), query)
        self.assertEqual([row["id"] for row in response.json()["results"]], [str(self.putin.pk)])


class JsonImportTests(BaseTestCase):
    def post_json(self, url: str, records) -> object:
        self.client.force_login(self.bob)
        upload = SimpleUploadedFile("rows.json", json.dumps(records).encode(), content_type="application/json")
        return self.client.post(reverse(url), {"format": "1", "resource": "0", "import_file": upload})

    def test_a_lone_surrogate_in_a_sources_json_import_is_refused_naming_the_record_and_field(self):
        response = self.post_json("admin:sources_source_import", [{"title": "\ud800"}])
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "record 1, title: holds a lone surrogate (U+D800)")
        self.assertNotIn("confirm_form", response.context)

    def test_a_nul_or_lone_surrogate_in_a_people_json_import_is_refused(self):
        records = [{"name": "Ada Quill", "kind": "person"}, {"name": "Ben\x00Rook", "kind": "person"}]
        response = self.post_json("admin:sources_agent_import", records)
        self.assertContains(response, "record 2, name: holds a NUL character")
        response = self.post_json("admin:sources_agent_import", [{"name": "Ada", "aliases": "x\udfff"}])
        self.assertContains(response, "record 1, aliases: holds a lone surrogate (U+DFFF)")
        self.assertFalse(Agent.objects.filter(name__startswith="Ada").exists())

    def test_a_clean_json_import_still_previews(self):
        response = self.post_json("admin:sources_source_import", [{"id": self.harbour.pk, "title": "Harbour, renamed"}])
        self.assertIn("confirm_form", response.context)
        self.assertFalse(Source.objects.filter(title="Harbour, renamed").exists(), "the preview writes nothing")


class DuplicateLinkMessageTests(BaseTestCase):
    def test_importing_a_link_that_exists_says_so_once(self):
        link_claims(claim_a=self.unacceptable, claim_b=self.rejected, relation="corroborates")
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "links.csv"
            path.write_text(
                csv_line(["claim_a", "claim_b", "relation", "note"])
                + csv_line([str(self.rejected.pk), str(self.unacceptable.pk), "corroborates", ""])
            )
            err = io.StringIO()
            with self.assertRaises(CommandError):
                call_command("import_links", str(path), stderr=err)
        self.assertEqual(err.getvalue().count("already linked"), 1, err.getvalue())
        self.assertEqual(Link.objects.count(), 1)
