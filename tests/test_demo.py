from django.core.management import call_command
from django.test import TestCase
from django.urls import reverse

from claims.models import Claim, Link
from sources.duplicates import likely_duplicates
from sources.models import Source


class DemoDataTests(TestCase):
    def test_the_demo_data_has_sources_claims_and_both_kinds_of_link(self):
        call_command("load_demo", stdout=open("/dev/null", "w"))
        self.assertEqual(Source.objects.count(), 5)  # three on the Kurils, two on the footbridge
        self.assertTrue(Link.objects.filter(relation="corroborates").exists())
        self.assertTrue(Link.objects.filter(relation="contradicts").exists())
        for claim in Claim.objects.select_related("source"):
            self.assertEqual(claim.source.text[claim.start : claim.end], claim.quote)

    def test_loading_the_demo_twice_changes_nothing(self):
        call_command("load_demo", stdout=open("/dev/null", "w"))
        call_command("load_demo", stdout=open("/dev/null", "w"))  # two projects now: nothing to choose, nothing done
        self.assertEqual(Source.objects.count(), 5)

    def test_the_local_admin_login_that_is_printed_works(self):
        from io import StringIO

        out = StringIO()
        call_command("local_admin", stdout=out)
        username, password = out.getvalue().strip().rsplit(": ", 1)[1].split(" / ")
        # Through the login page: the login throttle (django-axes) checks every login with its request.
        response = self.client.post(reverse("admin:login"), {"username": username, "password": password})
        self.assertEqual(response.status_code, 302)
        call_command("load_demo", stdout=StringIO())
        self.assertContains(
            self.client.get(reverse("admin:claims_claim_changelist")),
            "Moscow has never objected to a US military presence",
        )

    def test_the_demo_data_proposes_no_likely_duplicates(self):
        call_command("load_demo", stdout=open("/dev/null", "w"))
        pairs = [(p.first.name, p.second.name, p.reasons) for p in likely_duplicates()]
        self.assertEqual(pairs, [])
