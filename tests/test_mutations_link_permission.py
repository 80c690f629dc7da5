"""Linking two claims changes both claims (their counts, what their pages say), so it asks for change_claim as
well as add_link (claims.rules.may_link) on every path. A person given every permission on links but not
change_claim links nothing, whichever door they try."""

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from claims.corroboration.counting import recount_all
from claims.exchange.columns import csv_line
from claims.models import Link
from claims.services import create_claim
from common.projects import sole_project
from sources.services import create_source
from tests.base import HARBOUR_TEXT, LEDGER_TEXT
from tests.test_permission_matrix import admin_import

# Everything about links, reading claims and sources, adding claims (the API asks add_claim for a POST on a claim);
# not change_claim.
LINK_PERMISSIONS = [
    "view_claim",
    "add_claim",
    "view_source",
    "view_link",
    "add_link",
    "change_link",
    "import_link",
    "export_link",
]


class Story:
    def __init__(self):
        self.a = sole_project()  # the admin matrix's imports name the project they read into
        self.ledger = create_source(title="Ledger", text=LEDGER_TEXT, url="https://example.net/ledger")
        self.harbour = create_source(title="Harbour", text=HARBOUR_TEXT, url="https://example.org/harbour")
        self.unacceptable = create_claim(source=self.ledger, quote="would be “absolutely unacceptable”")
        self.rejected = create_claim(source=self.harbour, quote="Moscow rejected any American anti-missile base")
        self.lina = User.objects.create_user("lina", password="pw", is_staff=True)
        permissions = Permission.objects.filter(content_type__app_label__in=["claims", "sources"])
        self.lina.user_permissions.set(permissions.filter(codename__in=LINK_PERMISSIONS))


def logged_in(story: Story) -> Client:
    client = Client()
    client.force_login(story.lina)
    return client


def api(story: Story) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=story.lina).key}")
    return client


def editor_link(story):
    url = reverse("annotate:add_link", args=[story.unacceptable.pk])
    return logged_in(story).post(url, {"other": story.rejected.pk, "relation": "corroborates"})


def editor_suggestion(story):
    url = reverse("annotate:suggestion", args=[story.unacceptable.pk, story.rejected.pk, "corroborates"])
    return logged_in(story).post(url)


def api_links(story):
    body = {"claim_a": story.unacceptable.pk, "claim_b": story.rejected.pk, "relation": "corroborates"}
    return api(story).post(reverse("api:link-list"), body, format="json")


def api_suggestion(story):
    url = reverse("api:claim-act-on-suggestion", args=[story.unacceptable.pk, story.rejected.pk])
    return api(story).post(url, {"action": "corroborates"}, format="json")


def admin_suggestion(story):
    url = reverse("admin:claims_claim_suggestion", args=[story.unacceptable.pk, story.rejected.pk, "corroborates"])
    return logged_in(story).post(url)


def admin_link(story):
    data = {"claim_a": story.unacceptable.pk, "claim_b": story.rejected.pk, "relation": "corroborates", "note": ""}
    return logged_in(story).post(reverse("admin:claims_link_add"), data)


def links_import(story):
    rows = csv_line(["claim_a", "claim_b"]) + csv_line([str(story.unacceptable.pk), str(story.rejected.pk)])
    return admin_import("claims_link", lambda t: rows)(story, logged_in(story))


@pytest.mark.django_db
@pytest.mark.parametrize(
    "door",
    [
        editor_link,
        editor_suggestion,
        api_links,
        api_suggestion,
        admin_suggestion,
        admin_link,
        links_import,
    ],
    ids=lambda door: door.__name__,
)
def test_someone_who_may_add_links_but_not_change_claims_cannot_link_two_claims(door):
    story = Story()
    response = door(story)
    assert not Link.objects.exists(), f"{door.__name__} linked the claims (status {response.status_code})"
    assert response.status_code == 403, response.status_code
    assert recount_all(repair=False) == {}
