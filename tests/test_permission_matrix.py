"""Every write endpoint × every role × own or other project: the status code and what the database holds afterwards.

Every object the endpoints name is of project A. Each role is tried as held in A (own) and as held only in another
project, B (other), where it holds nothing over A's objects: the endpoint answers 404 when it looks up an A object
(never 403: another project's objects are not revealed), or refuses an add naming A's rows without writing. A person
who is a Viewer in A and a Reviewer in B holds a Viewer's rights in A.

Each case runs in a transaction rolled back afterwards, so every role meets the same data. A role not
allowed to write must leave the database as it was, whatever the status code says.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.contrib.auth import SESSION_KEY as USER_SESSION_KEY
from django.contrib.auth.models import Group, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token

from claims.exchange.columns import HEADER, csv_line
from claims.models import Claim, DismissedSuggestion, Link, Republication, Tag
from claims.services import create_claim, dismiss_suggestion, link_claims
from common.admin_projects import SESSION_KEY
from common.projects import sole_project
from sources.models import Agent, DistinctPublishers, Membership, Project, Source
from sources.services import create_source
from tests.base import LEDGER_TEXT, BaseTestCase, make_member
from tests.test_editor_views import claim_data
from tests.test_links import claim_form_data

# The roles held in project A, where every object the endpoints name lives (own project).
OWN = ["anonymous", "non-staff", "staff without a role", "Viewer", "Annotator", "Reviewer", "Manager", "superuser"]
# Each role held only in project B (other project), with the same role's name in A.
OTHER = {"Viewer of B": "Viewer", "Annotator of B": "Annotator", "Reviewer of B": "Reviewer", "Manager of B": "Manager"}
# A Viewer in A who is a Reviewer in B: in A, a Viewer's rights.
VIEWER_HERE_REVIEWER_THERE = "Viewer of A, Reviewer of B"
ROLES = [*OWN, *OTHER, VIEWER_HERE_REVIEWER_THERE]

STAFF = {"staff without a role", "Viewer", "Annotator", "Reviewer", "Manager", "superuser"}
VIEWERS = {"Viewer", "Annotator", "Reviewer", "Manager", "superuser"}
ANNOTATORS = {"Annotator", "Reviewer", "Manager", "superuser"}
REVIEWERS = {"Reviewer", "Manager", "superuser"}
MANAGERS = {"Manager", "superuser"}
SUPERUSER = {"superuser"}
NOBODY: set[str] = set()
# History reverts are turned off: every role that may see the object is told the method is not allowed.
NOT_ALLOWED = dict.fromkeys(VIEWERS, 405)
# Only a Manager sees a project's members (the Memberships list): to the other roles a membership is not found.
MEMBERS_UNSEEN = dict.fromkeys(VIEWERS - MANAGERS, 404)
# A list action the role is not offered, among none offered: the list again ("No action selected").
NOT_OFFERED = dict.fromkeys(VIEWERS, 200)
# Another person's API token is not among one's own: Django's "perhaps it was deleted" redirect, as for a key that is
# no one's.
NOT_THEIRS = dict.fromkeys(STAFF, 302)


# The endpoints that write to one saved object (its page, its history, its suggestions).
OF_AN_OBJECT = {
    f"{model} {action}"
    for model in ("claim", "link", "source", "agent", "republication", "tag", "membership", "project")
    for action in ("change", "delete", "history revert")
} | {
    "claim status in the form",
    "claim rating in the form",
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
    # The roles (named as in A) whose rights pass the checks made before an object is looked up (the admin's
    # "may this person add claims at all", the annotate page's permission_required): held in B only, they then find
    # no object of A (`elsewhere`); the others are refused there, as in A. Every staff role for an admin page of an
    # object, which looks the object up first; `allowed` when not given.
    gate: set[str] | None = None
    # The answer to a role of B only that passes the gate: 404 (A's object is not found), or for an add naming A's
    # rows, the form's refusal (200: not one of the choices) or the list action's (302: no row of theirs selected);
    # None for a write of their own that belongs to no project (their API token), allowed as to the same role in A.
    elsewhere: int | None = 404
    # The answer to the Viewer of A who reviews in B, when not a Viewer's: they pass the gates a Viewer does not, and
    # are then refused in A (a form whose choices hold no project of A where they may add, a service's refusal).
    mixed: int | None = None


def post(url_name: str, *args, data: Callable | dict | None = None):
    def send(test, client):
        payload = data(test) if callable(data) else (data or {})
        return client.post(reverse(url_name, args=[a(test) if callable(a) else a for a in args]), payload)

    return send


def delete_selected(model: str, obj: Callable):
    """The list's "Delete selected" action on one object, confirmed."""
    return post(
        f"admin:{model}_changelist",
        data=lambda t: {"action": "delete_selected", "_selected_action": [obj(t).pk], "post": "yes"},
    )


def on_duplicates_page(choice: str):
    """A decision on the "likely duplicates" page about A's two publishers (a merge confirmed)."""
    return post(
        "admin:sources_agent_duplicates",
        data=lambda t: {"first": t.ledger_press.pk, "second": t.harbour_press.pk, "choice": choice, "confirm": "yes"},
    )


def own_token(test, client) -> str:
    """The key of the logged-in person's own API token (none for anonymous: a key that is no one's)."""
    user_id = client.session.get(USER_SESSION_KEY)
    return Token.objects.get(user_id=user_id).key if user_id else "no-one-s"


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
        data = {"format": "0", "resource": "0", "project": test.a.pk, "import_file": upload(text(test))}
        response = client.post(reverse(f"admin:{model}_import"), data)
        confirm = response.context and response.context.get("confirm_form")
        if response.status_code != 200 or confirm is None:
            return response  # refused, or a preview with errors that offers no import
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


def status_action(status: str) -> "Endpoint":
    """The claim list's action that marks the selected claims with this status (A's claim `rejected`)."""
    return Endpoint(
        f"claim action mark {status}",
        post(
            "admin:claims_claim_changelist",
            data=lambda t: {"action": f"mark_{status}", "_selected_action": [t.rejected.pk]},
        ),
        lambda t: Claim.objects.filter(pk=t.rejected.pk, status=status).exists(),
        REVIEWERS,
        refused={"Viewer": 200, "Annotator": 200},  # not offered the action: the list again, "No action selected"
        elsewhere=302,  # the action runs on the rows of their list, where A's claim is not: none is changed
        mixed=302,  # offered the action (they review in B), refused in A: "No claim was changed"
    )


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
        elsewhere=200,  # A's source is not among the form's choices
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
        "claim rating in the form",
        post(
            "admin:claims_claim_change",
            lambda t: t.rejected.pk,
            data=lambda t: claim_form_data(t.rejected) | {"rating": "1"},
        ),
        lambda t: Claim.objects.filter(pk=t.rejected.pk, rating=1).exists(),
        REVIEWERS,
        refused={"Annotator": 302},  # saved, the rating left as it was (a read-only field for an annotator)
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
        refused=NOT_ALLOWED,
    ),
    *(status_action(status) for status in ("reviewed", "retracted", "disputed")),
    Endpoint(
        "claim action delete selected",
        delete_selected("claims_claim", lambda t: t.unacceptable),
        lambda t: not Claim.objects.filter(pk=t.unacceptable.pk).exists(),
        REVIEWERS,
        refused=NOT_OFFERED,
        elsewhere=302,  # the action runs on the rows of their list, where A's claim is not: none is deleted
        mixed=403,  # offered the action (they delete claims in B), refused for A's claim
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
        elsewhere=200,  # A's claims are not among the form's choices
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
        refused=NOT_ALLOWED,
    ),
    Endpoint(
        "link action delete selected",
        delete_selected("claims_link", lambda t: t.link),
        lambda t: not Link.objects.filter(pk=t.link.pk).exists(),
        ANNOTATORS,
        refused=NOT_OFFERED,
        elsewhere=302,  # the action runs on the rows of their list, where A's link is not: none is deleted
        mixed=403,  # offered the action (they delete links in B), refused for A's link
    ),
    # The sources admin.
    Endpoint(
        "source add",
        post(
            "admin:sources_source_add",
            data=lambda t: source_form(
                t.spare_source, title="Brand new", url="https://example.org/new", text="New text.", project=t.a.pk
            ),
        ),
        lambda t: Source.objects.filter(title="Brand new").exists(),
        REVIEWERS,
        elsewhere=200,  # project A is not among the form's choices
        mixed=200,  # nor for them: they may add sources in B only
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
        refused=NOT_ALLOWED,
    ),
    Endpoint(
        "source action delete selected",
        delete_selected("sources_source", lambda t: t.spare_source),
        lambda t: not Source.objects.filter(pk=t.spare_source.pk).exists(),
        SUPERUSER,
        refused=NOT_OFFERED,
    ),
    # People and organisations.
    Endpoint(
        "agent add",
        post(
            "admin:sources_agent_add",
            data=lambda t: {
                "project": t.a.pk,
                "name": "Maria Zakharova",
                "kind": "person",
                "aliases": "",
                "wikidata_id": "",
            },
        ),
        lambda t: Agent.objects.filter(name="Maria Zakharova").exists(),
        ANNOTATORS,
        elsewhere=200,  # project A is not among the form's choices
        mixed=200,  # nor for them: in A they may not add
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
        refused=NOT_ALLOWED,
    ),
    Endpoint(
        "agent action merge",
        post(
            "admin:sources_agent_changelist",
            data=lambda t: {
                "action": "merge_selected",
                "_selected_action": [t.putin.pk, t.spare_agent.pk],
                "keep": t.putin.pk,
                "merge": "yes",
            },
        ),
        lambda t: not Agent.objects.filter(pk=t.spare_agent.pk).exists(),
        REVIEWERS,
        refused={"Viewer": 200, "Annotator": 200},  # not offered the action: the list again, "No action selected"
        elsewhere=302,  # the action runs on the rows of their list, where A's people are not: none is merged
        mixed=403,  # offered the action (they merge in B), refused in A by merge_agents
    ),
    Endpoint(
        "agent action delete selected",
        delete_selected("sources_agent", lambda t: t.spare_agent),
        lambda t: not Agent.objects.filter(pk=t.spare_agent.pk).exists(),
        SUPERUSER,
        # Offered the merge, not the delete: "No action selected", and back to the list.
        refused=NOT_OFFERED | dict.fromkeys(REVIEWERS - SUPERUSER, 302),
        mixed=302,  # offered the merge (they merge in B)
    ),
    Endpoint(
        "agent duplicates mark distinct",
        on_duplicates_page("distinct"),
        lambda t: DistinctPublishers.objects.exists(),
        REVIEWERS,
        mixed=403,  # may merge (in B), refused in A by mark_distinct
    ),
    Endpoint(
        "agent duplicates merge",
        on_duplicates_page("merge"),
        lambda t: not Agent.objects.filter(pk=t.harbour_press.pk).exists(),
        REVIEWERS,
        mixed=403,  # may merge (in B), refused in A by merge_agents
    ),
    # Tags.
    Endpoint(
        "tag add",
        post("admin:claims_tag_add", data=lambda t: {"project": t.a.pk, "name": "missile defence"}),
        lambda t: Tag.objects.filter(name="missile defence").exists(),
        ANNOTATORS,
        elsewhere=200,  # project A is not among the form's choices
        mixed=200,
    ),
    Endpoint(
        "tag change",
        post("admin:claims_tag_change", lambda t: t.tag.pk, data={"name": "renamed"}),
        lambda t: Tag.objects.filter(name="renamed").exists(),
        SUPERUSER,  # no role renames or deletes a project's tags (claims/migrations/0002_roles.py)
    ),
    Endpoint(
        "tag delete",
        post("admin:claims_tag_delete", lambda t: t.tag.pk, data={"post": "yes"}),
        lambda t: not Tag.objects.filter(pk=t.tag.pk).exists(),
        SUPERUSER,
    ),
    Endpoint(
        "tag action delete selected",
        delete_selected("claims_tag", lambda t: t.tag),
        lambda t: not Tag.objects.filter(pk=t.tag.pk).exists(),
        SUPERUSER,
        refused=NOT_OFFERED,
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
        elsewhere=200,  # A's sources are not among the form's choices
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
    Endpoint(
        "republication action delete selected",
        delete_selected("claims_republication", lambda t: t.republication),
        lambda t: not Republication.objects.exists(),
        REVIEWERS,
        refused=NOT_OFFERED,
        elsewhere=302,  # the action runs on the rows of their list, where A's republication is not
        mixed=403,  # offered the action (they delete republications in B), refused for A's
    ),
    # Members and projects (a Manager's).
    Endpoint(
        "membership add",
        post(
            "admin:sources_membership_add",
            data=lambda t: {"project": t.a.pk, "user": "nobody", "role": Group.objects.get(name="Viewer").pk},
        ),
        lambda t: Membership.objects.filter(user__username="nobody").exists(),
        MANAGERS,
        elsewhere=200,  # project A is not among the form's choices
    ),
    Endpoint(
        "membership change",
        post(
            "admin:sources_membership_change",
            lambda t: t.veras_membership.pk,
            data=lambda t: {"project": t.a.pk, "user": "vera", "role": Group.objects.get(name="Reviewer").pk},
        ),
        lambda t: Membership.objects.filter(pk=t.veras_membership.pk, role__name="Reviewer").exists(),
        MANAGERS,
        refused=MEMBERS_UNSEEN,
    ),
    Endpoint(
        "membership delete",
        post("admin:sources_membership_delete", lambda t: t.veras_membership.pk, data={"post": "yes"}),
        lambda t: not Membership.objects.filter(pk=t.veras_membership.pk).exists(),
        MANAGERS,
        refused=MEMBERS_UNSEEN,
    ),
    Endpoint(
        "membership action delete selected",
        delete_selected("sources_membership", lambda t: t.veras_membership),
        lambda t: not Membership.objects.filter(pk=t.veras_membership.pk).exists(),
        MANAGERS,  # the others may not see the list of members
        elsewhere=302,  # the action runs on the rows of their list, where A's members are not
    ),
    Endpoint(
        "project change",
        post(
            "admin:sources_project_change",
            lambda t: t.a.pk,
            data=lambda t: {"name": t.a.name, "slug": t.a.slug, "description": "The renamed desk."},
        ),
        lambda t: Project.objects.filter(description="The renamed desk.").exists(),
        MANAGERS,
    ),
    Endpoint(
        "project delete",
        post("admin:sources_project_delete", lambda t: t.a.pk, data={"post": "yes"}),
        lambda t: not Project.objects.filter(pk=t.a.pk).exists(),
        NOBODY,  # a project with sources is deleted by no one (PROTECT)
        refused={"superuser": 200},  # shown the sources that keep it
    ),
    Endpoint(
        "project action delete selected",
        delete_selected("sources_project", lambda t: t.a),
        lambda t: not Project.objects.filter(pk=t.a.pk).exists(),
        NOBODY,
        # Only a Manager sees the list of projects, and is not offered the delete; the superuser is shown the sources
        # that keep it.
        refused=dict.fromkeys(MANAGERS, 200),
    ),
    # API tokens: a person's own, in no project.
    Endpoint(
        "API token add own",
        post("admin:authtoken_tokenproxy_add"),
        lambda t: Token.objects.exclude(key__in=t.token_keys).exists(),
        STAFF,
        elsewhere=None,
    ),
    Endpoint(
        "API token delete own",
        lambda t, client: client.post(
            reverse("admin:authtoken_tokenproxy_delete", args=[own_token(t, client)]), {"post": "yes"}
        ),
        lambda t: Token.objects.count() < len(t.token_keys),
        STAFF,
        elsewhere=None,
    ),
    Endpoint(
        "API token delete another's",
        post("admin:authtoken_tokenproxy_delete", lambda t: t.others_token.key, data={"post": "yes"}),
        lambda t: not Token.objects.filter(key=t.others_token.key).exists(),
        SUPERUSER,
        refused=NOT_THEIRS,
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
        gate=VIEWERS,  # the panel opens for whoever may read claims; the change is then asked in the claim's project
    ),
    Endpoint(
        "annotate claim status",
        post(
            "annotate:claim",
            lambda t: t.rejected.pk,
            data=lambda t: claim_data(t.rejected.quote, t.rejected.start, seen_version=0, status="reviewed"),
        ),
        lambda t: Claim.objects.filter(pk=t.rejected.pk, status="reviewed").exists(),
        REVIEWERS,
        ok=200,
        refused={"Annotator": 200},  # saved, the status left as it was (a disabled field for an annotator)
        gate=VIEWERS,  # the panel opens for whoever may read claims; the change is then asked in the claim's project
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
        elsewhere=200,  # project A is not among the form's choices
        mixed=200,
    ),
    Endpoint(
        "links import",
        admin_import(
            "claims_link",
            lambda t: csv_line(["claim_a", "claim_b"]) + csv_line([str(t.unacceptable.pk), str(t.rejected.pk)]),
        ),
        lambda t: Link.objects.filter(claim_a=t.unacceptable, claim_b=t.rejected).exists(),
        REVIEWERS,
        elsewhere=200,  # project A is not among the form's choices
        mixed=200,
    ),
    Endpoint(
        "sources import",
        admin_import(
            "sources_source", lambda t: csv_line(["id", "title"]) + csv_line([str(t.ledger.pk), "Imported title"])
        ),
        lambda t: Source.objects.filter(title="Imported title").exists(),
        REVIEWERS,
        elsewhere=200,  # read into B, where the row's id of A is unknown
        mixed=200,
    ),
    Endpoint(
        "people import",
        admin_import(
            "sources_agent",
            lambda t: (
                csv_line(["id", "name", "kind"])
                + csv_line(["", "Maria Zakharova", "person"])
                + csv_line([str(t.spare_agent.pk), "Renamed by import", "person"])
            ),
        ),
        lambda t: Agent.objects.filter(name__in=["Maria Zakharova", "Renamed by import"]).exists(),
        REVIEWERS,
        elsewhere=200,  # read into B, where the row's id of A is unknown
        mixed=200,
    ),
]
# An export writes nothing: a role of B only exports B's rows, none of A's (`check` reads the file).
EXPORTS = [
    Endpoint("claims export", admin_export("claims_claim", HEADER), lambda t: False, VIEWERS, ok=200, elsewhere=200),
    Endpoint(
        "links export",
        admin_export("claims_link", ["id", "claim_a", "claim_b"]),
        lambda t: False,
        VIEWERS,
        ok=200,
        elsewhere=200,
    ),
    Endpoint(
        "sources export",
        admin_export("sources_source", ["id", "title"]),
        lambda t: False,
        VIEWERS,
        ok=200,
        elsewhere=200,
    ),
    Endpoint(
        "people export", admin_export("sources_agent", ["id", "name"]), lambda t: False, VIEWERS, ok=200, elsewhere=200
    ),
]


def member(username: str, role: str, project: Project) -> User:
    """A staff account holding `role` in the project, logged in by the tests only (no password to hash)."""
    user = User.objects.create_user(username, is_staff=True)
    make_member(user, role, project)
    return user


def rows_in(export) -> int:
    """The rows of an exported CSV file, its header left out."""
    body = b"".join(export.streaming_content) if export.streaming else export.content
    return len(body.decode("utf-8-sig").strip().splitlines()) - 1


class PermissionMatrixTests(BaseTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.a = sole_project()
        outsider = User.objects.create_user("outsider", is_staff=False)
        make_member(outsider, "Reviewer")
        cls.third = create_source(
            title="Third", text="Officials confirmed the plan on Monday.", url="https://example.org/third"
        )
        cls.third_claim = create_claim(source=cls.third, quote="Officials confirmed the plan")
        cls.link = link_claims(claim_a=cls.rejected, claim_b=cls.third_claim, note="")
        cls.spare_source = create_source(title="Spare", text="Nothing claimed here.", url="https://example.org/spare")
        cls.spare_agent = Agent.objects.create(name="Spare Person", kind=Agent.Kind.PERSON)
        cls.republication = Republication.objects.create(copy=cls.third, original=cls.harbour)
        cls.veras_membership = Membership.objects.get(user=cls.vera)
        cls.tag = Tag.objects.create(name="kurils", project=cls.a)
        # Project B, made last (with two projects, a new row must name its project), has members of its own.
        b = Project.objects.create(name="Harbour desk", slug="harbour")
        mixed = member("mia", "Viewer", cls.a)
        make_member(mixed, "Reviewer", b)
        cls.users = {
            "anonymous": None,
            "non-staff": outsider,
            "staff without a role": User.objects.create_user("nobody", is_staff=True),
            "Viewer": cls.vera,
            "Annotator": cls.alice,
            "Reviewer": cls.bob,
            "Manager": member("manny", "Manager", cls.a),
            "superuser": cls.root,
            **{role: member(f"{own.lower()}-of-b", own, b) for role, own in OTHER.items()},
            VIEWER_HERE_REVIEWER_THERE: mixed,
        }
        # Each person's own API token, and one of someone who holds no role here.
        for user in cls.users.values():
            if user is not None:
                Token.objects.create(user=user)
        cls.others_token = Token.objects.create(user=User.objects.create_user("tess", is_staff=True))
        cls.token_keys = set(Token.objects.values_list("key", flat=True))

    def setUp(self):
        super().setUp()
        self.clients = {}

    def client_of(self, role: str) -> Client:
        """The role's client, logged in once a test (its session outlives each case's rollback), working in project A
        (the admin's current project: the superuser, who may add to both, adds there; for someone not in A it is no
        choice and changes nothing)."""
        if role not in self.clients:
            client = self.clients[role] = Client()
            if self.users[role] is not None:
                client.force_login(self.users[role])
                session = client.session
                session[SESSION_KEY] = self.a.pk
                session.save()
        return self.clients[role]

    def attempt(self, endpoint: Endpoint, role: str):
        """The endpoint's response to the role, and whether it wrote; the database is then put back."""
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

    def expected(self, endpoint: Endpoint, role: str) -> int | None:
        """The status the role is answered with; None when it is allowed to write."""
        if role in OTHER:
            # Held in B only: refused before any object is looked up as the same role in A is, else A's object is
            # not found (or A's rows are not among an add's choices).
            own = OTHER[role]
            gate = STAFF if endpoint.name in OF_AN_OBJECT else endpoint.gate
            return endpoint.elsewhere if own in (gate or endpoint.allowed) else self.refusal(endpoint, own)
        if role == VIEWER_HERE_REVIEWER_THERE:
            role = "Viewer"
            if role not in endpoint.allowed and endpoint.mixed is not None:
                return endpoint.mixed
        return None if role in endpoint.allowed else self.refusal(endpoint, role)

    def refusal(self, endpoint: Endpoint, role: str) -> int:
        """How a role held in A (or in no project) is refused."""
        if role in ("anonymous", "non-staff"):
            return 302  # to the login page
        if role == "staff without a role" and endpoint.name in OF_AN_OBJECT:
            # In no project, they find no object: its pages answer as another project's do (issue 27).
            return 404
        return endpoint.refused.get(role, 403)

    def check(self, endpoints: list[Endpoint]) -> None:
        for endpoint in endpoints:
            for role in ROLES:
                with self.subTest(endpoint=endpoint.name, role=role):
                    response, written = self.attempt(endpoint, role)
                    status, location = response.status_code, response.get("Location", "")
                    expected = self.expected(endpoint, role)
                    if expected is None:
                        self.assertEqual(status, endpoint.ok)
                        self.assertNotIn("login", location)
                        if endpoint in ENDPOINTS:
                            self.assertTrue(written, "the allowed write did not happen")
                        continue
                    self.assertFalse(written, "a refused role wrote to the database")
                    self.assertEqual(status, expected)
                    if role in ("anonymous", "non-staff"):
                        self.assertTrue(location.startswith(reverse("admin:login")), location)
                    if endpoint in EXPORTS and role in OTHER:
                        self.assertEqual(rows_in(response), 0, "a role of another project exported A's rows")

    def test_every_write_endpoint_answers_each_role_as_its_permissions_say(self):
        self.check(ENDPOINTS)

    def test_every_export_answers_each_role_as_its_permissions_say(self):
        self.check(EXPORTS)
