"""One door per object: every write to a claim, link, source, person or organisation, republication or dismissal
goes through a write service, whichever page, API call, import or command asks for it; and the permissions
those services ask are the ones every path follows, a custom set included.

The recorder below watches the models' own writes (save, delete, queryset update and delete, bulk writes, the
tags' and authors' rows) while each write endpoint of the permission matrices runs as a superuser, and records
every write made with no write service of the model's own app on the call stack (CLAIMS_DOORS, SOURCES_DOORS).
"""

import inspect
import io
from contextlib import contextmanager
from unittest import mock

import tablib
from django.contrib.auth.models import Group, Permission, User
from django.core.management import call_command
from django.db import models, transaction
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from claims.exchange.columns import csv_line
from claims.exchange.importing import import_spreadsheet
from claims.models import Claim, DismissedSuggestion, Link, Republication
from claims.services import create_claim
from sources.models import Agent, Source
from sources.resources import SourceResource
from sources.services import create_source
from tests import test_permission_matrix as admin_matrix
from tests import test_permission_matrix_api as api_matrix
from tests.base import BaseTestCase, make_member
from tests.test_permission_matrix import Rollback

# The write services: the one home of each object's writes (README, "Where each rule lives").
CLAIMS_DOORS = {
    "claims.services",  # claims, links, dismissals, republications
    "claims.exchange.importing",  # many claims or links at once (the CSV import), through claims.rules
    "claims.anchoring",  # claims following their words into a new capture's text
    "claims.corroboration.counting",  # the stored counts
}
SOURCES_DOORS = {
    "sources.services",  # sources, people and organisations
    "sources.importing",  # a capture replacing a source's text
}
# Each guarded model and the doors its writes may come through: a claims door that wrote a person itself would go
# around the people's door as surely as a view. A merge of people re-points what still points at the merged ones
# (sources.services.merge_agents), after claims moved their speakers through their own door.
GUARDED = {model: CLAIMS_DOORS for model in (Claim, Link, Republication, DismissedSuggestion, Claim.tags.through)}
GUARDED |= {model: SOURCES_DOORS for model in (Source, Agent, Source.authors.through)}
GUARDED[Claim] = CLAIMS_DOORS | {"sources.services"}


def from_a_door(model) -> bool:
    doors = GUARDED[model]
    return any(frame.frame.f_globals.get("__name__") in doors for frame in inspect.stack(context=0))


@contextmanager
def writes_outside_services():
    """Yield a list that collects "Model.method" for every write to a guarded model made outside the services."""
    outside: list[str] = []

    def watched(original, name, model_of):
        def write(self, *args, **kwargs):
            model = model_of(self)
            if model in GUARDED and not from_a_door(model):
                outside.append(f"{model.__name__}.{name}")
            return original(self, *args, **kwargs)

        return write

    patches = [
        mock.patch.object(models.Model, name, watched(getattr(models.Model, name), name, type))
        for name in ("save", "delete")
    ] + [
        mock.patch.object(models.QuerySet, name, watched(getattr(models.QuerySet, name), name, lambda qs: qs.model))
        for name in ("update", "delete", "bulk_create", "bulk_update")
    ]
    for patch in patches:
        patch.start()
    try:
        yield outside
    finally:
        for patch in patches:
            patch.stop()


def writes(endpoints):
    """The matrix's endpoints a superuser may use (a history revert is turned off for everyone)."""
    return [endpoint for endpoint in endpoints if "superuser" in endpoint.allowed]


NEW_SPEAKER = "Nadia Reyes"
ADD_PEOPLE_DENIED = "You may not add people or organisations."


def a_new_speakers_claim(test) -> bytes:
    """A claims file of one row whose speaker nobody in the project is called yet."""
    header = ["source_id", "quote", "speaker"]
    return (csv_line(header) + csv_line([str(test.harbour.pk), "the president said on 1 June", NEW_SPEAKER])).encode()


class MatrixData(admin_matrix.PermissionMatrixTests):
    """The admin matrix's people and data, without running its role-by-role tests again (they run once, in
    tests/test_permission_matrix.py)."""

    test_every_write_endpoint_answers_each_role_as_its_permissions_say = None
    test_every_export_answers_each_role_as_its_permissions_say = None


class EveryWriteGoesThroughItsServiceTests(MatrixData):
    """The admin matrix's people and data; every write endpoint of both matrices, as a superuser."""

    def through(self, endpoint, client) -> list[str]:
        with writes_outside_services() as outside:
            try:
                with transaction.atomic():
                    response = endpoint.send(self, client)
                    self.assertEqual(response.status_code, endpoint.ok, getattr(response, "content", b"")[:500])
                    self.assertTrue(endpoint.written(self), "the write did not happen")
                    raise Rollback
            except Rollback:
                pass
        return outside

    def test_every_admin_and_annotate_page_write_goes_through_a_service(self):
        client = self.client_of("superuser")  # working in project A, as the matrix's superuser does
        for endpoint in writes(admin_matrix.ENDPOINTS):
            with self.subTest(endpoint=endpoint.name):
                self.assertEqual(self.through(endpoint, client), [])

    def test_every_api_write_goes_through_a_service(self):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=self.root)[0].key}")
        for endpoint in writes(api_matrix.WRITES):
            with self.subTest(endpoint=endpoint.name):
                self.assertEqual(self.through(endpoint, client), [])

    def test_merging_people_goes_through_the_services_and_moves_their_claims_versions(self):
        twin = Agent.objects.create(name="V. Putin", kind=Agent.Kind.PERSON, project=self.a)
        spoken = create_claim(source=self.third, quote="confirmed the plan on Monday", speaker=twin)
        client = self.client_of("superuser")
        with writes_outside_services() as outside:
            response = client.post(
                reverse("admin:sources_agent_changelist"),
                {
                    "action": "merge_selected",
                    "_selected_action": [self.putin.pk, twin.pk],
                    "keep": self.putin.pk,
                    "merge": "1",
                },
            )
        self.assertEqual(response.status_code, 302)
        self.assertEqual(outside, [])
        moved = Claim.objects.get(pk=spoken.pk)
        self.assertEqual((moved.speaker_id, moved.version), (self.putin.pk, spoken.version + 1))
        self.assertEqual(moved.history.latest().speaker_id, self.putin.pk)
        self.assertIn("merged into", moved.history.latest().history_change_reason)

    def test_a_claims_import_naming_a_new_speaker_adds_them_through_the_peoples_door(self):
        with writes_outside_services() as outside:
            data = a_new_speakers_claim(self)
            report = import_spreadsheet("claims", io.BytesIO(data), name="claims.csv", user=self.root, project=self.a)
        self.assertEqual((report.problems, report.created), ([], 1))
        self.assertEqual(outside, [])
        self.assertTrue(Agent.objects.filter(name=NEW_SPEAKER).exists())

    def test_a_sources_import_saves_each_rows_authors_with_the_source_through_the_sources_door(self):
        rows = tablib.Dataset(headers=["id", "title", "authors"])
        rows.append([self.third.pk, "Third, signed", self.putin.name])
        with writes_outside_services() as outside:
            result = SourceResource(project=self.a).import_data(rows, dry_run=False, user=self.root)
        self.assertFalse(result.has_errors() or result.has_validation_errors())
        self.assertEqual(outside, [])
        self.assertEqual(list(Source.objects.get(pk=self.third.pk).authors.all()), [self.putin])
        self.assertEqual(Source.history.filter(id=self.third.pk, title="Third, signed").count(), 1)

    def test_the_demo_command_writes_through_the_services(self):
        before = (Source.objects.count(), Claim.objects.count(), Link.objects.count())
        with writes_outside_services() as outside:
            call_command("load_demo", project=self.a.slug, verbosity=0)
        self.assertEqual(outside, [])
        after = (Source.objects.count(), Claim.objects.count(), Link.objects.count())
        self.assertTrue(all(a > b for a, b in zip(after, before, strict=True)), (before, after))


class CustomPermissionSetTests(MatrixData):
    """Permissions given one by one, not through the stock roles: every path follows them."""

    LINK_ENDPOINTS = {
        "annotate add link",
        "annotate link a suggestion",
        "annotate dismiss a suggestion",
        "admin undo a dismissal",
        "admin link a suggestion",
        "admin dismiss a suggestion",
        "link add",
        "API link create",
        "API suggestion link",
        "API suggestion dismiss",
    }

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.linker = cls.given("linker", "view_claim", "view_link", "change_claim", "add_link")
        cls.adder = cls.given("adder", "view_claim", "view_link", "add_link")

    @classmethod
    def given(cls, username: str, *codenames: str) -> User:
        user = User.objects.create_user(username, password="pw", is_staff=True)
        user.user_permissions.add(*Permission.objects.filter(content_type__app_label="claims", codename__in=codenames))
        return user

    def answers(self, user: User, endpoints) -> dict[str, tuple[int, bool]]:
        answers = {}
        for endpoint in endpoints:
            if endpoint.name not in self.LINK_ENDPOINTS:
                continue
            if endpoint.name.startswith("API"):
                client = APIClient()
                client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
            else:
                client = Client()
                client.force_login(user)
            try:
                with transaction.atomic():
                    response = endpoint.send(self, client)
                    answers[endpoint.name] = (response.status_code, endpoint.written(self))
                    raise Rollback
            except Rollback:
                pass
        return answers

    def endpoints(self):
        return admin_matrix.ENDPOINTS + api_matrix.WRITES

    def test_changing_claims_and_adding_links_is_enough_to_link_on_every_path(self):
        answers = self.answers(self.linker, self.endpoints())
        self.assertEqual(set(answers), self.LINK_ENDPOINTS)
        for name, (status, written) in answers.items():
            with self.subTest(endpoint=name):
                self.assertTrue(written, f"{name} answered {status} and did not write")

    def test_adding_links_without_changing_claims_links_on_no_path(self):
        answers = self.answers(self.adder, self.endpoints())
        self.assertEqual(set(answers), self.LINK_ENDPOINTS)
        for name, (status, written) in answers.items():
            with self.subTest(endpoint=name):
                self.assertFalse(written, f"{name} wrote")
                self.assertEqual(status, 403, name)

    def test_has_perm_the_admin_and_templates_ask_the_same_rule(self):
        linker = User.objects.get(pk=self.linker.pk)
        adder = User.objects.get(pk=self.adder.pk)
        self.assertEqual((linker.has_perm("claims.link_claim"), adder.has_perm("claims.link_claim")), (True, False))
        offered = {}
        for user in (linker, adder):
            client = Client()
            client.force_login(user)
            page = client.get(reverse("annotate:source", args=[self.ledger.pk]) + f"?claim={self.unacceptable.pk}")
            panel = client.get(reverse("annotate:claim", args=[self.unacceptable.pk]))
            self.assertEqual((page.status_code, panel.status_code), (200, 200))
            offered[user.username] = panel.context["may_link"], "perms" in panel.context
        self.assertEqual(offered, {"linker": (True, True), "adder": (False, True)})

    def test_a_claims_import_names_no_new_speaker_for_someone_who_may_not_add_people(self):
        importer = self.given("importer", "view_claim", "add_claim", "change_claim", "import_claim")
        importer.user_permissions.add(*Permission.objects.filter(codename__in=["view_source", "view_agent"]))
        data = a_new_speakers_claim(self)
        importer = User.objects.get(pk=importer.pk)
        report = import_spreadsheet("claims", io.BytesIO(data), name="claims.csv", user=importer, project=self.a)
        problems = [str(problem) for problem in report.problems]
        self.assertEqual(
            problems, [f"line 2: speaker: No one is named “{NEW_SPEAKER}” in this project: {ADD_PEOPLE_DENIED}"]
        )
        self.assertFalse(Agent.objects.filter(name=NEW_SPEAKER).exists())


class CustomRolesTests(CustomPermissionSetTests):
    """The same permission sets held the way a team holds them: as the role a person has in the project (a
    Membership's role is an auth.Group, whose permissions a superuser edits in the admin's groups), here the
    Annotator's and Viewer's roles given other permissions than the stock ones."""

    ROLES = {"linker": "Annotator", "adder": "Viewer"}
    test_a_claims_import_names_no_new_speaker_for_someone_who_may_not_add_people = None

    @classmethod
    def given(cls, username: str, *codenames: str) -> User:
        role = Group.objects.get(name=cls.ROLES[username])
        role.permissions.set(Permission.objects.filter(content_type__app_label="claims", codename__in=codenames))
        user = User.objects.create_user(username, password="pw", is_staff=True)
        make_member(user, role.name, cls.a)
        return user

    def test_the_permissions_are_held_through_the_role_in_the_project_only(self):
        linker = User.objects.get(pk=self.linker.pk)
        self.assertEqual(linker.user_permissions.count(), 0)
        self.assertTrue(linker.has_perm("claims.link_claim", self.unacceptable))
        self.assertFalse(linker.has_perm("claims.review_claim", self.unacceptable))


class SourcesWrittenByTheImporterTests(BaseTestCase):
    def test_a_new_source_from_the_service_and_a_plain_save_differ_only_in_the_door(self):
        with writes_outside_services() as outside:
            create_source(title="Door", text="Words behind the door.", url="https://example.org/door")
            Source(title="Window", text="Words through the window.").save()
        self.assertEqual(outside, ["Source.save"])
