"""An API token ends with the password it was created under; logging out of the browser leaves it working."""

import io
from unittest import mock

from django.core.management import call_command
from django.urls import reverse
from rest_framework.authtoken.models import Token

from tests.test_api import ApiTestCase

NEW_PASSWORD = "a-new-long-passphrase-41"


class TokenRotationTests(ApiTestCase):
    def test_changing_ones_own_password_in_the_admin_revokes_ones_token(self):
        client = self.as_user(self.bob)
        self.client.force_login(self.bob)
        response = self.client.post(
            reverse("admin:password_change"),
            {"old_password": "pw", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        )
        self.assertEqual(response.status_code, 302, response.content[-2000:])
        self.assertFalse(Token.objects.filter(user=self.bob).exists())
        self.assertEqual(client.get(reverse("api:claim-list")).status_code, 401)

    def test_an_admin_setting_someones_password_revokes_their_token(self):
        self.as_user(self.alice)
        self.client.force_login(self.root)
        response = self.client.post(
            reverse("admin:auth_user_password_change", args=[self.alice.pk]),
            {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"},
        )
        self.assertEqual(response.status_code, 302, response.content[-2000:])
        self.assertFalse(Token.objects.filter(user=self.alice).exists())

    def test_a_password_set_in_code_revokes_only_that_persons_token(self):
        self.as_user(self.bob)
        self.as_user(self.alice)
        self.alice.set_password(NEW_PASSWORD)
        self.alice.save()
        self.assertFalse(Token.objects.filter(user=self.alice).exists())
        self.assertTrue(Token.objects.filter(user=self.bob).exists())

    def test_the_changepassword_command_revokes_the_token(self):
        self.as_user(self.alice)
        with mock.patch("getpass.getpass", return_value=NEW_PASSWORD):
            call_command("changepassword", "alice", stdout=io.StringIO())
        self.assertFalse(Token.objects.filter(user=self.alice).exists())

    def test_saving_a_person_without_changing_the_password_keeps_the_token(self):
        self.as_user(self.alice)
        self.alice.first_name = "Alice"
        self.alice.save()
        self.assertTrue(Token.objects.filter(user=self.alice).exists())

    def test_logging_out_of_the_browser_leaves_the_token_working(self):
        client = self.as_user(self.bob)
        self.client.force_login(self.bob)
        self.client.post(reverse("admin:logout"))
        self.assertEqual(client.get(reverse("api:claim-list")).status_code, 200)
