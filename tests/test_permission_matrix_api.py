"""The permission matrix of tests/test_permission_matrix.py for every endpoint and method of the web API.

Each role calls with its token (anonymous with none): the status code, and what the database holds afterwards. As
there, every object named is of project A, and each role is tried as held in A and as held only in B: a role of B
that passes the permission asked before an object is looked up finds no object of A (404), and a create naming A's
rows or A is refused as a bad request (400: not one of the choices; not a project where they may add).
"""

import json

from django.db import transaction
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from claims.models import Claim, DismissedSuggestion, Link
from sources.models import Agent, Source
from tests import test_permission_matrix as admin_matrix
from tests.test_permission_matrix import (
    ANNOTATORS,
    OTHER,
    REVIEWERS,
    ROLES,
    SUPERUSER,
    VIEWERS,
    Endpoint,
    Rollback,
)


def call(method: str, url_name: str, *args, body=None):
    def send(test, client):
        url = reverse(url_name, args=[a(test) if callable(a) else a for a in args])
        payload = body(test) if callable(body) else body
        return (
            getattr(client, method)(url, payload, format="json")
            if payload is not None
            else getattr(client, method)(url)
        )

    return send


def read(name: str, url_name: str, *args) -> Endpoint:
    """A page of one of A's objects (404 to a role of B only), or a list (theirs, without A's rows: 200)."""
    return Endpoint(
        name, call("get", url_name, *args), lambda t: False, VIEWERS, ok=200, elsewhere=404 if args else 200
    )


# Words of A's rows, which no list shows to a role of B only.
A_WORDS = ["Vladimir Putin", "Ledger on missile defence", "absolutely unacceptable", "example.net/ledger"]


def version(claim: Claim) -> int:
    return Claim.objects.get(pk=claim.pk).version


def annotation(test) -> dict:
    return {
        "type": "Annotation",
        "target": {
            "source": test.ledger.url,
            "selector": {"type": "TextQuoteSelector", "exact": "Talks on joint projects"},
        },
    }


READS = [
    read("API sources list", "api:source-list"),
    read("API source", "api:source-detail", lambda t: t.ledger.pk),
    read("API claims list", "api:claim-list"),
    read("API claim", "api:claim-detail", lambda t: t.unacceptable.pk),
    read("API claim suggestions", "api:claim-suggestions", lambda t: t.unacceptable.pk),
    read("API claim corroboration", "api:claim-corroboration", lambda t: t.unacceptable.pk),
    read("API links list", "api:link-list"),
    read("API link", "api:link-detail", lambda t: t.link.pk),
    read("API agents list", "api:agent-list"),
    read("API agent", "api:agent-detail", lambda t: t.putin.pk),
    read("API annotation container", "api:annotations"),
    read("API annotation", "api:annotation", lambda t: t.unacceptable.pk),
]

WRITES = [
    Endpoint(
        "API source create",
        call("post", "api:source-list", body=lambda t: {"project": t.a.slug, "title": "New", "text": "Fresh words."}),
        lambda t: Source.objects.filter(title="New").exists(),
        REVIEWERS,
        ok=201,
        elsewhere=400,  # "You may not add to a project “main”, or there is none."
        mixed=400,
    ),
    Endpoint(
        "API source patch",
        call("patch", "api:source-detail", lambda t: t.spare_source.pk, body={"title": "Renamed"}),
        lambda t: Source.objects.filter(title="Renamed").exists(),
        REVIEWERS,
        ok=200,
    ),
    Endpoint(
        "API source put",
        call(
            "put",
            "api:source-detail",
            lambda t: t.spare_source.pk,
            body={"title": "Put", "text": "Nothing claimed here."},
        ),
        lambda t: Source.objects.filter(title="Put").exists(),
        REVIEWERS,
        ok=200,
    ),
    Endpoint(
        "API source delete",
        call("delete", "api:source-detail", lambda t: t.spare_source.pk),
        lambda t: not Source.objects.filter(pk=t.spare_source.pk).exists(),
        SUPERUSER,
        ok=204,
    ),
    Endpoint(
        "API claim create",
        call("post", "api:claim-list", body=lambda t: {"source": t.ledger.pk, "quote": "Talks on joint projects"}),
        lambda t: Claim.objects.filter(quote="Talks on joint projects").exists(),
        ANNOTATORS,
        ok=201,
        elsewhere=400,  # A's source is not one of the choices
    ),
    Endpoint(
        "API claim patch",
        call(
            "patch",
            "api:claim-detail",
            lambda t: t.rejected.pk,
            body=lambda t: {"statement": "changed", "version": version(t.rejected)},
        ),
        lambda t: Claim.objects.filter(statement="changed").exists(),
        ANNOTATORS,
        ok=200,
    ),
    Endpoint(
        "API claim put",
        call(
            "put",
            "api:claim-detail",
            lambda t: t.rejected.pk,
            body=lambda t: {"source": t.harbour.pk, "quote": t.rejected.quote, "statement": "put", "version": 0},
        ),
        lambda t: Claim.objects.filter(statement="put").exists(),
        ANNOTATORS,
        ok=200,
    ),
    Endpoint(
        "API claim status",
        call(
            "patch",
            "api:claim-detail",
            lambda t: t.rejected.pk,
            body=lambda t: {"status": "reviewed", "version": version(t.rejected)},
        ),
        lambda t: Claim.objects.filter(pk=t.rejected.pk, status="reviewed").exists(),
        REVIEWERS,
        ok=200,
        gate=ANNOTATORS,  # a change of a claim: then asked in the claim's project
    ),
    Endpoint(
        "API claim rating",
        call(
            "patch",
            "api:claim-detail",
            lambda t: t.rejected.pk,
            body=lambda t: {"rating": 1, "version": version(t.rejected)},
        ),
        lambda t: Claim.objects.filter(pk=t.rejected.pk, rating=1).exists(),
        REVIEWERS,
        ok=200,
        gate=ANNOTATORS,  # a change of a claim: then asked in the claim's project
    ),
    Endpoint(
        "API claim delete",
        call("delete", "api:claim-detail", lambda t: t.unacceptable.pk),
        lambda t: not Claim.objects.filter(pk=t.unacceptable.pk).exists(),
        REVIEWERS,
        ok=204,
    ),
    Endpoint(
        "API link create",
        call(
            "post",
            "api:link-list",
            body=lambda t: {"claim_a": t.unacceptable.pk, "claim_b": t.rejected.pk, "relation": "contradicts"},
        ),
        lambda t: Link.objects.filter(claim_a=t.unacceptable, claim_b=t.rejected).exists(),
        ANNOTATORS,
        ok=201,
        elsewhere=400,  # A's claims are not among the choices
    ),
    Endpoint(
        "API link patch",
        call("patch", "api:link-detail", lambda t: t.link.pk, body={"note": "patched"}),
        lambda t: Link.objects.filter(note="patched").exists(),
        ANNOTATORS,
        ok=200,
    ),
    Endpoint(
        "API link put",
        call(
            "put",
            "api:link-detail",
            lambda t: t.link.pk,
            body=lambda t: {
                "claim_a": t.rejected.pk,
                "claim_b": t.third_claim.pk,
                "relation": "contradicts",
                "note": "put",
            },
        ),
        lambda t: Link.objects.filter(note="put", relation="contradicts").exists(),
        ANNOTATORS,
        ok=200,
    ),
    Endpoint(
        "API link delete",
        call("delete", "api:link-detail", lambda t: t.link.pk),
        lambda t: not Link.objects.filter(pk=t.link.pk).exists(),
        ANNOTATORS,
        ok=204,
    ),
    Endpoint(
        "API agent create",
        call(
            "post", "api:agent-list", body=lambda t: {"project": t.a.slug, "name": "Maria Zakharova", "kind": "person"}
        ),
        lambda t: Agent.objects.filter(name="Maria Zakharova").exists(),
        ANNOTATORS,
        ok=201,
        elsewhere=400,  # not a project where they may add
        mixed=400,
    ),
    Endpoint(
        "API agent patch",
        call("patch", "api:agent-detail", lambda t: t.spare_agent.pk, body={"name": "Renamed Person"}),
        lambda t: Agent.objects.filter(name="Renamed Person").exists(),
        REVIEWERS,
        ok=200,
    ),
    Endpoint(
        "API agent put",
        call("put", "api:agent-detail", lambda t: t.spare_agent.pk, body={"name": "Put Person", "kind": "person"}),
        lambda t: Agent.objects.filter(name="Put Person").exists(),
        REVIEWERS,
        ok=200,
    ),
    Endpoint(
        "API agent delete",
        call("delete", "api:agent-detail", lambda t: t.spare_agent.pk),
        lambda t: not Agent.objects.filter(pk=t.spare_agent.pk).exists(),
        SUPERUSER,
        ok=204,
    ),
    Endpoint(
        "API suggestion link",
        call(
            "post",
            "api:claim-act-on-suggestion",
            lambda t: t.unacceptable.pk,
            lambda t: t.rejected.pk,
            body={"action": "corroborates"},
        ),
        lambda t: Link.objects.filter(claim_a=t.unacceptable, claim_b=t.rejected).exists(),
        ANNOTATORS,
        ok=201,
    ),
    Endpoint(
        "API suggestion dismiss",
        call(
            "post",
            "api:claim-act-on-suggestion",
            lambda t: t.unacceptable.pk,
            lambda t: t.rejected.pk,
            body={"action": "dismiss"},
        ),
        lambda t: DismissedSuggestion.objects.filter(claim=t.unacceptable, suggested=t.rejected).exists(),
        ANNOTATORS,
        ok=204,
    ),
    Endpoint(
        "API annotation create",
        call("post", "api:annotations", body=annotation),
        lambda t: Claim.objects.filter(quote="Talks on joint projects").exists(),
        ANNOTATORS,
        ok=201,
        elsewhere=400,  # "No source is at …", as for a URL of no source
    ),
]


class ApiPermissionMatrixTests(admin_matrix.PermissionMatrixTests):
    """The admin matrix's people and data (its setUpTestData), through the API."""

    def client_of(self, role: str) -> APIClient:
        """The role's client, calling with the person's token (made once a test)."""
        if role not in self.clients:
            client = self.clients[role] = APIClient()
            user = self.users[role]
            if user is not None:
                client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
        return self.clients[role]

    def attempt(self, endpoint: Endpoint, role: str):
        client = self.client_of(role)
        outcome = None
        try:
            with transaction.atomic():
                response = endpoint.send(self, client)
                outcome = response, endpoint.written(self)
                raise Rollback
        except Rollback:
            pass
        return outcome

    def refusal(self, endpoint: Endpoint, role: str) -> int:
        return 401 if role == "anonymous" else endpoint.refused.get(role, 403)

    def check(self, endpoints: list[Endpoint]) -> None:
        for endpoint in endpoints:
            for role in ROLES:
                with self.subTest(endpoint=endpoint.name, role=role):
                    response, written = self.attempt(endpoint, role)
                    body = json.dumps(getattr(response, "data", None), default=str)
                    expected = self.expected(endpoint, role)
                    if expected is None:
                        self.assertEqual(response.status_code, endpoint.ok, body)
                        if endpoint in WRITES:
                            self.assertTrue(written, "the allowed write did not happen")
                        continue
                    self.assertFalse(written, "a refused role wrote to the database")
                    self.assertEqual(response.status_code, expected, body)
                    if role in OTHER and endpoint in READS:
                        for word in A_WORDS:
                            self.assertNotIn(word, response.content.decode(), "a role of B only was shown A's rows")

    def test_every_write_endpoint_answers_each_role_as_its_permissions_say(self):
        self.check(WRITES)

    def test_every_read_endpoint_answers_each_role_as_its_permissions_say(self):
        self.check(READS)

    # The admin's exports are checked in tests/test_permission_matrix.py.
    test_every_export_answers_each_role_as_its_permissions_say = None
