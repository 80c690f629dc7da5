"""Every write endpoint × every role: the status code and what the database holds afterwards.

Each case runs in a transaction rolled back afterwards, so every role meets the same data. A role not
allowed to write must leave the database as it was, whatever the status code says.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.urls import reverse

from claims.exchange.columns import HEADER, csv_line
from claims.models import Claim, DismissedSuggestion, Link, Republication
from claims.services import create_claim, dismiss_suggestion, link_claims
from sources.models import Agent, Source
from sources.services import create_source
from tests.base import LEDGER_TEXT, BaseTestCase, make_member
from tests.test_editor_views import claim_data
from tests.test_links import claim_form_data

ROLES = ["anonymous", "non-staff", "staff without a role", "Viewer", "Annotator", "Reviewer", "superuser"]
VIEWERS = {"Viewer", "Annotator", "Reviewer", "superuser"}
ANNOTATORS = {"Annotator", "Reviewer", "superuser"}
REVIEWERS = {"Reviewer", "superuser"}
SUPERUSER = {"superuser"}
NOBODY: set[str] = set()


# The endpoints that write to one saved object (its page, its history, its suggestions).
OF_AN_OBJECT = {
    f"{model} {action}"
    for model in ("claim", "link", "source", "agent", "republication")
    for action in ("change", "delete", "history revert")
} | {
    "claim status in the form",
    "claim add link inline",
    "admin undo a dismissal",
    "admin link a suggestion",
    "admin dismiss a suggestion",
}


class Rollback(Exception):
    pass


@dataclass
class Endpoint:
    name: str
    send: Callable  # (test, client) -> response
    written: Callable  # (test) -> bool: whether the write happened
    allowed: set[str]
    ok: int = 302
    # Status for a staff role that is refused, when not 403 (an admin action the role is not offered redirects).
    refused: dict[str, int] = field(default_factory=dict)


def post(url_name: str, *args, data: Callable | dict | None = None):
    def send(test, client):
        payload = data(test) if callable(data) else (data or {})
        return client.post(reverse(url_name, args=[a(test) if callable(a) else a for a in args]), payload)

    return send


def undo_dismissal(test, client):
    """A dismissal made, then undone from the claim's admin page."""
    dismiss_suggestion(claim=test.unacceptable, suggested=test.rejected)
    url = reverse("admin:claims_claim_undo_dismissal", args=[test.unacceptable.pk, test.rejected.pk])
    return client.post(url)


def upload(text: str) -> SimpleUploadedFile:
    return SimpleUploadedFile("rows.csv", text.encode(), content_type="text/csv")


def admin_import(model: str, text: Callable):
    """The admin's two-step import: the preview, then its confirm form (only for those who may import)."""

    def send(test, client):
        data = {"format": "0", "resource": "0", "import_file": upload(text(test))}
        response = client.post(reverse(f"admin:{model}_import"), data)
        if response.status_code != 200:
            return response
        confirm = response.context["confirm_form"]
        return client.post(reverse(f"admin:{model}_process_import"), confirm.initial)

    return send


def admin_export(model: str, fields: list[str]):
    def send(test, client):
        prefix = {"claims_claim": "claimresource", "claims_link": "linkresource"}.get(model)
        prefix = prefix or {"sources_source": "sourceresource", "sources_agent": "agentresource"}[model]
        data = {"format": "0", "resource": "0", **{f"{prefix}_{name}": "on" for name in fields}}
        return client.post(reverse(f"admin:{model}_export"), data)

    return send


def revert(model: str, obj: Callable, data: Callable):
    def send(test, client):
        target = obj(test)
        url = reverse(f"admin:{model}_simple_history", args=[target.pk, target.history.earliest().history_id])
        return client.post(url, data(test))

    return send


def source_form(source: Source, **changes) -> dict:
    return {
        "title": source.title,
        "url": source.url,
        "publisher": str(source.publisher_id or ""),
        "published_on": "",
        "published_on_precision": source.published_on_precision,
        "language": source.language,
        "text": source.text,
        "raw_text": source.raw_text,
        "retrieved_at_0": "",
        "retrieved_at_1": "",
        "notes": source.notes,
        **changes,
    }


def link_inlines() -> dict:
    return {"links_from-TOTAL_FORMS": "0", "links_from-INITIAL_FORMS": "0"}


ENDPOINTS = [
    # The claims admin.
    Endpoint(
        "claim add",
        post(
            "admin:claims_claim_add",
            data=lambda t: (
                claim_form_data(t.unacceptable)
                | {"quote": "Talks on joint projects", "start": "", "end": "", "status": "draft", "seen_version": ""}
            ),
        ),
        lambda t: Claim.objects.filter(quote="Talks on joint projects").exists(),
        ANNOTATORS,
    ),
    Endpoint(
        "claim change",
        post(
            "admin:claims_claim_change",
            lambda t: t.rejected.pk,
            data=lambda t: claim_form_data(t.rejected) | {"statement": "changed"},
        ),
        lambda t: Claim.objects.filter(statement="changed").exists(),
        ANNOTATORS,
    ),
    Endpoint(
        "claim status in the form",
        post(
            "admin:claims_claim_change",
            lambda t: t.rejected.pk,
            data=lambda t: claim_form_data(t.rejected) | {"status": "reviewed"},
        ),
        lambda t: Claim.objects.filter(pk=t.rejected.pk, status="reviewed").exists(),
        REVIEWERS,
        refused={"Annotator": 302},  # saved, the status left as it was (a read-only field for an annotator)
    ),
    Endpoint(
        "claim delete",
        post("admin:claims_claim_delete", lambda t: t.unacceptable.pk, data={"post": "yes"}),
        lambda t: not Claim.objects.filter(pk=t.unacceptable.pk).exists(),
        REVIEWERS,
    ),
    Endpoint(
        "claim history revert",
        revert("claims_claim", lambda t: t.rejected, lambda t: claim_form_data(t.rejected) | {"statement": "reverted"}),
        lambda t: Claim.objects.filter(statement="reverted").exists(),
        NOBODY,
        refused={"Viewer": 405, "Annotator": 405, "Reviewer": 405, "superuser": 405},
    ),
    Endpoint(
        "claim action mark reviewed",
        post(
            "admin:claims_claim_changelist",
            data=lambda t: {"action": "mark_reviewed", "_selected_action": [t.rejected.pk]},
        ),
        lambda t: Claim.objects.filter(pk=t.rejected.pk, status="reviewed").exists(),
        REVIEWERS,
        refused={"Viewer": 200, "Annotator": 200},  # not offered the action: the list again, "No action selected"
    ),
    Endpoint(
        "claim action mark retracted",
        post(
            "admin:claims_claim_changelist",
            data=lambda t: {"action": "mark_retracted", "_selected_action": [t.rejected.pk]},
        ),
        lambda t: Claim.objects.filter(pk=t.rejected.pk, status="retracted").exists(),
        REVIEWERS,
        refused={"Viewer": 200, "Annotator": 200},
    ),
    Endpoint(
        "claim add link inline",
        post(
            "admin:claims_claim_change",
            lambda t: t.unacceptable.pk,
            data=lambda t: (
                claim_form_data(t.unacceptable)
                | {
                    "links_from-TOTAL_FORMS": "1",
                    "links_from-0-claim_b": str(t.rejected.pk),
                    "links_from-0-relation": "corroborates",
                }
            ),
        ),
        lambda t: Link.objects.filter(claim_a=t.unacceptable, claim_b=t.rejected).exists(),
        ANNOTATORS,
    ),
    # The links admin.
    Endpoint(
        "link add",
        post(
            "admin:claims_link_add",
            data=lambda t: {
                "claim_a": t.unacceptable.pk,
                "claim_b": t.rejected.pk,
                "relation": "corroborates",
                "note": "",
            },
        ),
        lambda t: Link.objects.filter(claim_a=t.unacceptable, claim_b=t.rejected).exists(),
        ANNOTATORS,
    ),
    Endpoint(
        "link change",
        post(
            "admin:claims_link_change",
            lambda t: t.link.pk,
            data=lambda t: {
                "claim_a": t.rejected.pk,
                "claim_b": t.third_claim.pk,
                "relation": "contradicts",
                "note": "changed",
            },
        ),
        lambda t: Link.objects.filter(pk=t.link.pk, note="changed").exists(),
        ANNOTATORS,
    ),
    Endpoint(
        "link delete",
        post("admin:claims_link_delete", lambda t: t.link.pk, data={"post": "yes"}),
        lambda t: not Link.objects.filter(pk=t.link.pk).exists(),
        ANNOTATORS,
    ),
    Endpoint(
        "link history revert",
        revert(
            "claims_link",
            lambda t: t.link,
            lambda t: {
                "claim_a": t.rejected.pk,
                "claim_b": t.third_claim.pk,
                "relation": "contradicts",
                "note": "reverted",
            },
        ),
        lambda t: Link.objects.filter(note="reverted").exists(),
        NOBODY,
        refused={"Viewer": 405, "Annotator": 405, "Reviewer": 405, "superuser": 405},
    ),
    # The sources admin.
    Endpoint(
        "source add",
        post(
            "admin:sources_source_add",
            data=lambda t: source_form(
                t.spare_source, title="Brand new", url="https://example.org/new", text="New text."
            ),
        ),
        lambda t: Source.objects.filter(title="Brand new").exists(),
        REVIEWERS,
    ),
    Endpoint(
        "source change",
        post(
            "admin:sources_source_change", lambda t: t.ledger.pk, data=lambda t: source_form(t.ledger, title="Retitled")
        ),
        lambda t: Source.objects.filter(title="Retitled").exists(),
        REVIEWERS,
    ),
    Endpoint(
        "source delete",
        post("admin:sources_source_delete", lambda t: t.spare_source.pk, data={"post": "yes"}),
        lambda t: not Source.objects.filter(pk=t.spare_source.pk).exists(),
        SUPERUSER,
    ),
    Endpoint(
        "source history revert",
        revert("sources_source", lambda t: t.ledger, lambda t: source_form(t.ledger, title="Reverted")),
        lambda t: Source.objects.filter(title="Reverted").exists(),
        NOBODY,
        refused={"Viewer": 405, "Annotator": 405, "Reviewer": 405, "superuser": 405},
    ),
    # People and organisations.
    Endpoint(
        "agent add",
        post(
            "admin:sources_agent_add",
            data={"name": "Maria Zakharova", "kind": "person", "aliases": "", "wikidata_id": ""},
        ),
        lambda t: Agent.objects.filter(name="Maria Zakharova").exists(),
        ANNOTATORS,
    ),
    Endpoint(
        "agent change",
        post(
            "admin:sources_agent_change",
            lambda t: t.spare_agent.pk,
            data={"name": "Renamed", "kind": "person", "aliases": "", "wikidata_id": ""},
        ),
        lambda t: Agent.objects.filter(name="Renamed").exists(),
        REVIEWERS,
    ),
    Endpoint(
        "agent delete",
        post("admin:sources_agent_delete", lambda t: t.spare_agent.pk, data={"post": "yes"}),
        lambda t: not Agent.objects.filter(pk=t.spare_agent.pk).exists(),
        SUPERUSER,
    ),
    Endpoint(
        "agent history revert",
        revert("sources_agent", lambda t: t.spare_agent, lambda t: {"name": "Reverted", "kind": "person"}),
        lambda t: Agent.objects.filter(name="Reverted").exists(),
        NOBODY,
        refused={"Viewer": 405, "Annotator": 405, "Reviewer": 405, "superuser": 405},
    ),
    # Republications.
    Endpoint(
        "republication add",
        post(
            "admin:claims_republication_add",
            data=lambda t: {"copy": t.spare_source.pk, "original": t.ledger.pk, "note": ""},
        ),
        lambda t: Republication.objects.filter(copy=t.spare_source).exists(),
        REVIEWERS,
        refused={"Viewer": 403, "Annotator": 403},
    ),
    Endpoint(
        "republication change",
        post(
            "admin:claims_republication_change",
            lambda t: t.republication.pk,
            data=lambda t: {"copy": t.third.pk, "original": t.harbour.pk, "note": "changed"},
        ),
        lambda t: Republication.objects.filter(note="changed").exists(),
        REVIEWERS,
    ),
    Endpoint(
        "republication delete",
        post("admin:claims_republication_delete", lambda t: t.republication.pk, data={"post": "yes"}),
        lambda t: not Republication.objects.exists(),
        REVIEWERS,
    ),
    # The annotate page.
    Endpoint(
        "annotate add claim",
        post(
            "annotate:add_claim",
            lambda t: t.ledger.pk,
            data=claim_data("Talks on joint projects", LEDGER_TEXT.index("Talks")),
        ),
        lambda t: Claim.objects.filter(quote="Talks on joint projects").exists(),
        ANNOTATORS,
        ok=200,
    ),
    Endpoint(
        "annotate save claim",
        post(
            "annotate:claim",
            lambda t: t.rejected.pk,
            data=lambda t: claim_data(t.rejected.quote, t.rejected.start, seen_version=0, statement="changed"),
        ),
        lambda t: Claim.objects.filter(statement="changed").exists(),
        ANNOTATORS,
        ok=200,
    ),
    Endpoint(
        "annotate add link",
        post(
            "annotate:add_link",
            lambda t: t.unacceptable.pk,
            data=lambda t: {"other": t.rejected.pk, "relation": "corroborates"},
        ),
        lambda t: Link.objects.filter(claim_a=t.unacceptable, claim_b=t.rejected).exists(),
        ANNOTATORS,
        ok=200,
    ),
    Endpoint(
        "annotate link a suggestion",
        post("annotate:suggestion", lambda t: t.unacceptable.pk, lambda t: t.rejected.pk, "corroborates"),
        lambda t: Link.objects.filter(claim_a=t.unacceptable, claim_b=t.rejected).exists(),
        ANNOTATORS,
        ok=200,
    ),
    Endpoint(
        "annotate dismiss a suggestion",
        post("annotate:suggestion", lambda t: t.unacceptable.pk, lambda t: t.rejected.pk, "dismiss"),
        lambda t: DismissedSuggestion.objects.exists(),
        ANNOTATORS,
        ok=200,
    ),
    # Suggestions on the claim's admin page.
    Endpoint(
        "admin undo a dismissal",
        undo_dismissal,
        lambda t: not DismissedSuggestion.objects.exists(),
        ANNOTATORS,
    ),
    Endpoint(
        "admin link a suggestion",
        post("admin:claims_claim_suggestion", lambda t: t.unacceptable.pk, lambda t: t.rejected.pk, "contradicts"),
        lambda t: Link.objects.filter(claim_a=t.unacceptable, claim_b=t.rejected).exists(),
        ANNOTATORS,
    ),
    Endpoint(
        "admin dismiss a suggestion",
        post("admin:claims_claim_suggestion", lambda t: t.unacceptable.pk, lambda t: t.rejected.pk, "dismiss"),
        lambda t: DismissedSuggestion.objects.exists(),
        ANNOTATORS,
    ),
    # Imports.
    Endpoint(
        "claims import",
        admin_import(
            "claims_claim",
            lambda t: csv_line(["source_id", "quote"]) + csv_line([str(t.harbour.pk), "the president said on 1 June"]),
        ),
        lambda t: Claim.objects.filter(quote="the president said on 1 June").exists(),
        REVIEWERS,
    ),
    Endpoint(
        "links import",
        admin_import(
            "claims_link",
            lambda t: csv_line(["claim_a", "claim_b"]) + csv_line([str(t.unacceptable.pk), str(t.rejected.pk)]),
        ),
        lambda t: Link.objects.filter(claim_a=t.unacceptable, claim_b=t.rejected).exists(),
        REVIEWERS,
    ),
    Endpoint(
        "sources import",
        admin_import(
            "sources_source", lambda t: csv_line(["id", "title"]) + csv_line([str(t.ledger.pk), "Imported title"])
        ),
        lambda t: Source.objects.filter(title="Imported title").exists(),
        REVIEWERS,
    ),
    Endpoint(
        "people import",
        admin_import(
            "sources_agent", lambda t: csv_line(["id", "name", "kind"]) + csv_line(["", "Maria Zakharova", "person"])
        ),
        lambda t: Agent.objects.filter(name="Maria Zakharova").exists(),
        REVIEWERS,
    ),
]
EXPORTS = [
    Endpoint("claims export", admin_export("claims_claim", HEADER), lambda t: False, VIEWERS, ok=200),
    Endpoint(
        "links export",
        admin_export("claims_link", ["id", "claim_a", "claim_b"]),
        lambda t: False,
        VIEWERS,
        ok=200,
    ),
    Endpoint("sources export", admin_export("sources_source", ["id", "title"]), lambda t: False, VIEWERS, ok=200),
    Endpoint("people export", admin_export("sources_agent", ["id", "name"]), lambda t: False, VIEWERS, ok=200),
]


class PermissionMatrixTests(BaseTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        outsider = User.objects.create_user("outsider", password="pw", is_staff=False)
        make_member(outsider, "Reviewer")
        cls.users = {
            "anonymous": None,
            "non-staff": outsider,
            "staff without a role": User.objects.create_user("nobody", password="pw", is_staff=True),
            "Viewer": cls.vera,
            "Annotator": cls.alice,
            "Reviewer": cls.bob,
            "superuser": cls.root,
        }
        cls.third = create_source(
            title="Third", text="Officials confirmed the plan on Monday.", url="https://example.org/third"
        )
        cls.third_claim = create_claim(source=cls.third, quote="Officials confirmed the plan")
        cls.link = link_claims(claim_a=cls.rejected, claim_b=cls.third_claim, note="")
        cls.spare_source = create_source(title="Spare", text="Nothing claimed here.", url="https://example.org/spare")
        cls.spare_agent = Agent.objects.create(name="Spare Person", kind=Agent.Kind.PERSON)
        cls.republication = Republication.objects.create(copy=cls.third, original=cls.harbour)

    def attempt(self, endpoint: Endpoint, role: str) -> tuple[int, str, bool]:
        """The endpoint's answer to the role, and whether it wrote; the database is then put back."""
        client = Client()
        if self.users[role] is not None:
            client.force_login(self.users[role])
        outcome = None
        try:
            with transaction.atomic():
                response = endpoint.send(self, client)
                outcome = response.status_code, response.get("Location", ""), endpoint.written(self)
                raise Rollback
        except Rollback:
            pass
        return outcome

    def check(self, endpoints: list[Endpoint]) -> None:
        for endpoint in endpoints:
            for role in ROLES:
                with self.subTest(endpoint=endpoint.name, role=role):
                    status, location, written = self.attempt(endpoint, role)
                    if role in endpoint.allowed:
                        self.assertEqual(status, endpoint.ok)
                        self.assertNotIn("login", location)
                        if endpoint in ENDPOINTS:
                            self.assertTrue(written, "the allowed write did not happen")
                        continue
                    self.assertFalse(written, "a refused role wrote to the database")
                    if role in ("anonymous", "non-staff"):
                        self.assertEqual(status, 302)
                        self.assertTrue(location.startswith(reverse("admin:login")), location)
                    elif role == "staff without a role" and endpoint.name in OF_AN_OBJECT:
                        # In no project, they find no object: its pages answer as another project's do (issue 27).
                        self.assertEqual(status, 404)
                    else:
                        self.assertEqual(status, endpoint.refused.get(role, 403))

    def test_every_write_endpoint_answers_each_role_as_its_permissions_say(self):
        self.check(ENDPOINTS)

    def test_every_export_answers_each_role_as_its_permissions_say(self):
        self.check(EXPORTS)
