"""Login throttling (django-axes) and the Content-Security-Policy header on every response."""

from axes.models import AccessAttempt
from django.conf import settings
from django.test import override_settings
from django.urls import reverse

from tests.base import BaseTestCase

LOGIN = reverse("admin:login")


class LoginThrottlingTests(BaseTestCase):
    def try_password(self, password: str, username: str = "bob", address: str = "203.0.113.7"):
        return self.client.post(
            LOGIN, {"username": username, "password": password, "next": "/admin/"}, REMOTE_ADDR=address
        )

    def test_wrong_passwords_lock_the_account_out_even_for_the_right_password(self):
        for _ in range(settings.AXES_FAILURE_LIMIT):
            self.try_password("guess")
        response = self.try_password("pw")
        self.assertEqual(response.status_code, 429)
        self.assertContains(response, "Too many failed logins", status_code=429)
        self.assertContains(response, "ask a Reviewer or an administrator", status_code=429)
        self.assertNotIn("_auth_user_id", self.client.session)

    def test_wrong_passwords_for_one_account_lock_it_from_another_address_too(self):
        for _ in range(settings.AXES_FAILURE_LIMIT):
            self.try_password("guess", address="203.0.113.7")
        self.assertEqual(self.try_password("pw", address="198.51.100.9").status_code, 429)

    def test_one_address_guessing_many_accounts_is_locked_out(self):
        for number in range(settings.AXES_ADDRESS_FAILURE_LIMIT):
            self.try_password("guess", username=f"nobody{number % 3}-{number}")
        self.assertEqual(self.try_password("pw", username="bob").status_code, 429)

    def test_one_persons_wrong_passwords_do_not_lock_out_colleagues_at_the_same_address(self):
        for _ in range(settings.AXES_FAILURE_LIMIT):
            self.try_password("guess", username="alice")
        self.assertEqual(self.try_password("pw", username="alice").status_code, 429)
        self.assertRedirects(self.try_password("pw", username="bob"), "/admin/", fetch_redirect_response=False)

    def test_a_few_wrong_passwords_then_the_right_one_logs_in(self):
        for _ in range(settings.AXES_FAILURE_LIMIT - 1):
            self.try_password("guess")
        self.assertRedirects(self.try_password("pw"), "/admin/", fetch_redirect_response=False)

    def test_a_reviewer_lifts_a_lockout_by_deleting_the_access_attempt(self):
        for _ in range(settings.AXES_FAILURE_LIMIT):
            self.try_password("guess", username="alice")
        attempt = AccessAttempt.objects.get(username="alice")
        reviewer = self.client_class()
        reviewer.force_login(self.bob)
        listing = reviewer.get(reverse("admin:axes_accessattempt_changelist"))
        self.assertContains(listing, "alice")
        response = reviewer.post(reverse("admin:axes_accessattempt_delete", args=[attempt.pk]), {"post": "yes"})
        self.assertEqual(response.status_code, 302)
        response = self.try_password("pw", username="alice", address="192.0.2.1")
        self.assertRedirects(response, "/admin/", fetch_redirect_response=False)

    def test_an_annotator_cannot_see_or_lift_lockouts(self):
        self.client.force_login(self.alice)
        self.assertEqual(self.client.get(reverse("admin:axes_accessattempt_changelist")).status_code, 403)


class ContentSecurityPolicyTests(BaseTestCase):
    def assert_strict_policy(self, response):
        policy = response.headers.get("Content-Security-Policy", "")
        self.assertIn("script-src 'self'", policy)
        self.assertIn("default-src 'self'", policy)
        self.assertIn("frame-ancestors 'none'", policy)
        script_src = next(part for part in policy.split(";") if part.strip().startswith("script-src"))
        self.assertNotIn("unsafe", script_src)

    def test_the_login_page_is_sent_with_a_strict_policy(self):
        self.assert_strict_policy(self.client.get(LOGIN))

    def test_admin_pages_the_provenance_page_and_errors_are_sent_with_it(self):
        self.client.force_login(self.bob)
        for url in [
            reverse("admin:claims_claim_changelist"),
            reverse("sources:provenance", args=[self.ledger.pk]),
            reverse("claims:detail", args=[self.unacceptable.pk]),
            "/no/such/page/",
        ]:
            with self.subTest(url=url):
                self.assert_strict_policy(self.client.get(url))

    @override_settings(AXES_FAILURE_LIMIT=1)
    def test_the_lockout_page_is_sent_with_it(self):
        self.client.post(LOGIN, {"username": "bob", "password": "guess"})
        self.assert_strict_policy(self.client.post(LOGIN, {"username": "bob", "password": "pw"}))
