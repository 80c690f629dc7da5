"""The admin, scoped by project: a member of one project sees, opens, chooses, filters by and finds nothing of
another's (its pages answer 404); permissions are asked in each object's project; the current project narrows the
lists; a Manager manages the members of their own projects only."""

import datetime

from django.contrib.auth.models import Group, User
from django.urls import reverse

from claims.models import Claim, Tag
from claims.services import create_claim, link_claims
from common.admin_projects import SESSION_KEY
from common.projects import sole_project
from sources.models import Agent, DistinctPublishers, Membership, Project
from sources.services import create_source, delete_agent
from tests.base import BaseTestCase, make_member

# Every text of project B carries this word: it must appear in no page a member of only A is shown.
MARKER = "Zanzibarmarker"
B_TEXT = f"The {MARKER} harbour master said the docks would close in May. Ferries would run until then."
B_OTHER_TEXT = f"Ferries would run until then, the {MARKER} port office confirmed."


class ProjectAdminTestCase(BaseTestCase):
    """Main (A) holds the base story; Harbour (B) holds one of its own, every name carrying MARKER. Vera is a Viewer
    in A only; Mia is a Viewer in A and a Reviewer in B; Manny is a Manager in A."""

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.main = sole_project()
        cls.harbour_project = Project.objects.create(name=f"Harbour {MARKER}", slug="harbour")
        b = cls.harbour_project
        cls.b_speaker = Agent.objects.create(name=f"Quillon {MARKER}", project=b)
        cls.b_press = Agent.objects.create(name=f"{MARKER} Gazette", kind=Agent.Kind.ORGANISATION, project=b)
        cls.b_press_online = Agent.objects.create(
            name=f"{MARKER} Gazette Online", kind=Agent.Kind.ORGANISATION, project=b
        )
        cls.b_source = create_source(
            title=f"{MARKER} docks to close",
            text=B_TEXT,
            url="https://example.com/docks",
            publisher=cls.b_press,
            published_on=datetime.date(2020, 3, 1),
            project=b,
        )
        cls.b_claim = create_claim(source=cls.b_source, quote="the docks would close in May", speaker=cls.b_speaker)
        cls.b_other_source = create_source(
            title=f"{MARKER} port office", text=B_OTHER_TEXT, url="https://example.com/port", project=b
        )
        cls.b_other_claim = create_claim(source=cls.b_other_source, quote="Ferries would run until then")
        cls.b_link = link_claims(claim_a=cls.b_claim, claim_b=cls.b_other_claim)
        cls.b_tag = Tag.objects.create(name=f"{MARKER}-tag", project=b)
        cls.b_claim.tags.add(cls.b_tag)
        from claims.tagging import refresh_tag_names_of

        refresh_tag_names_of([cls.b_tag])
        cls.a_tag = Tag.objects.create(name="kurils", project=cls.main)

        cls.mia = cls.make_user("mia", "Viewer", cls.main)
        make_member(cls.mia, "Reviewer", b)
        cls.manny = cls.make_user("manny", "Manager", cls.main)

    def page(self, user, url, **params):
        self.client.force_login(user)
        return self.client.get(url, params)

    def assertHidesB(self, response):
        self.assertNotIn(MARKER, response.content.decode(), f"{response.request['PATH_INFO']} names project B")


LISTS = [
    "admin:claims_claim_changelist",
    "admin:sources_source_changelist",
    "admin:sources_agent_changelist",
    "admin:claims_link_changelist",
    "admin:claims_tag_changelist",
    "admin:claims_republication_changelist",
]


class ListTests(ProjectAdminTestCase):
    def test_each_admin_list_shows_only_the_rows_of_the_members_projects(self):
        for name in LISTS:
            with self.subTest(name):
                response = self.page(self.vera, reverse(name) + "?all=")
                self.assertEqual(response.status_code, 200)
                self.assertHidesB(response)

    def test_a_member_of_both_projects_sees_both_in_the_lists(self):
        for name in ["admin:claims_claim_changelist", "admin:sources_source_changelist", "admin:claims_tag_changelist"]:
            with self.subTest(name):
                response = self.page(self.mia, reverse(name))
                self.assertContains(response, MARKER)

    def test_the_superuser_sees_every_project(self):
        response = self.page(self.root, reverse("admin:sources_source_changelist"))
        self.assertContains(response, MARKER)
        self.assertContains(response, "Ledger on missile defence")

    def test_list_filter_choices_name_no_tag_or_publisher_of_another_project(self):
        claims = self.page(self.vera, reverse("admin:claims_claim_changelist"))
        self.assertContains(claims, "kurils")  # A's tag is a choice
        self.assertHidesB(claims)
        sources = self.page(self.vera, reverse("admin:sources_source_changelist"))
        self.assertContains(sources, "Northern Ledger")
        self.assertHidesB(sources)

    def test_an_autocomplete_filter_given_another_projects_person_names_nobody(self):
        response = self.page(self.vera, reverse("admin:claims_claim_changelist"), speaker=self.b_speaker.pk)
        self.assertEqual(response.status_code, 200)
        self.assertHidesB(response)
        self.assertEqual(list(response.context["cl"].result_list), [])

    def test_a_search_for_another_projects_word_finds_nothing(self):
        for name in [
            "admin:claims_claim_changelist",
            "admin:sources_source_changelist",
            "admin:sources_agent_changelist",
        ]:
            with self.subTest(name):
                response = self.page(self.vera, reverse(name), q=MARKER)
                self.assertEqual(response.context["cl"].result_count, 0)


class ObjectPageTests(ProjectAdminTestCase):
    def b_objects(self):
        return {
            "claims_claim": self.b_claim.pk,
            "sources_source": self.b_source.pk,
            "sources_agent": self.b_speaker.pk,
            "claims_link": self.b_link.pk,
            "claims_tag": self.b_tag.pk,
        }

    def test_another_projects_change_delete_and_history_pages_answer_404(self):
        for model, pk in self.b_objects().items():
            for view in ("change", "delete", "history"):
                with self.subTest(model=model, view=view):
                    response = self.page(self.vera, reverse(f"admin:{model}_{view}", args=[pk]))
                    self.assertEqual(response.status_code, 404)
                    self.assertHidesB(response)

    def test_another_projects_old_versions_answer_404(self):
        record = self.b_claim.history.first()
        url = reverse("admin:claims_claim_simple_history", args=[self.b_claim.pk, record.history_id])
        self.assertEqual(self.page(self.vera, url).status_code, 404)
        self.assertEqual(self.client.post(url).status_code, 404)
        self.assertEqual(self.page(self.mia, url).status_code, 200)

    def test_a_deleted_persons_history_is_read_only_by_the_members_of_its_project(self):
        url = reverse("admin:sources_agent_history", args=[self.b_press_online.pk])
        delete_agent(agent=self.b_press_online, user=None)
        self.assertEqual(self.page(self.vera, url).status_code, 404)
        self.assertEqual(self.page(self.mia, url).status_code, 200)
        self.assertEqual(self.page(self.root, url).status_code, 200)

    def test_an_id_that_never_existed_answers_404_as_well(self):
        for model in ("claims_claim", "claims_tag", "sources_agent"):
            for view in ("change", "history"):
                with self.subTest(model=model, view=view):
                    response = self.page(self.vera, reverse(f"admin:{model}_{view}", args=[999999]))
                    self.assertEqual(response.status_code, 404)

    def test_the_suggestion_buttons_and_json_ld_of_another_projects_claim_answer_404(self):
        self.client.force_login(self.bob)  # a Reviewer in A only
        suggest = reverse("admin:claims_claim_suggestion", args=[self.unacceptable.pk, self.b_claim.pk, "dismiss"])
        self.assertEqual(self.client.post(suggest).status_code, 404)
        own = reverse("admin:claims_claim_suggestion", args=[self.b_claim.pk, self.unacceptable.pk, "dismiss"])
        self.assertEqual(self.client.post(own).status_code, 404)
        jsonld = reverse("admin:claims_claim_jsonld", args=[self.b_claim.pk])
        self.assertEqual(self.client.get(jsonld).status_code, 404)


class AutocompleteTests(ProjectAdminTestCase):
    def autocomplete(self, user, model, field, term):
        self.client.force_login(user)
        params = {"term": term, "app_label": "claims", "model_name": model, "field_name": field}
        response = self.client.get(reverse("admin:autocomplete"), params)
        self.assertEqual(response.status_code, 200)
        return [result["text"] for result in response.json()["results"]]

    def test_autocomplete_never_offers_another_projects_person_tag_or_source(self):
        for model, field in [("claim", "speaker"), ("claim", "tags"), ("claim", "source"), ("link", "claim_b")]:
            for term in ("", "z", MARKER[:4], "the"):
                with self.subTest(field=field, term=term):
                    texts = self.autocomplete(self.vera, model, field, term)
                    self.assertFalse([text for text in texts if MARKER in text or "docks" in text], texts)

    def test_autocomplete_offers_a_members_other_project(self):
        self.assertIn(f"Quillon {MARKER}", self.autocomplete(self.mia, "claim", "speaker", "quil"))

    def test_autocomplete_offers_the_current_projects_rows_only(self):
        self.client.force_login(self.mia)
        self.client.post(reverse("admin:project"), {"project": self.main.pk})
        self.assertEqual(self.autocomplete(self.mia, "claim", "speaker", "quil"), [])
        self.assertIn("Vladimir Putin", self.autocomplete(self.mia, "claim", "speaker", "vlad"))


class DuplicatesTests(ProjectAdminTestCase):
    def test_the_likely_duplicates_page_proposes_only_the_members_organisations(self):
        url = reverse("admin:sources_agent_duplicates")
        self.assertHidesB(self.page(self.vera, url))
        self.assertContains(self.page(self.mia, url), MARKER)  # the same page can show B to B's member

    def test_marking_another_projects_organisations_distinct_answers_404(self):
        self.client.force_login(self.bob)
        url = reverse("admin:sources_agent_duplicates")
        response = self.client.post(
            url, {"first": self.b_press.pk, "second": self.b_press_online.pk, "choice": "distinct"}
        )
        self.assertEqual(response.status_code, 404)

    def decide(self, user, choice: str, first: Agent, second: Agent) -> list[str]:
        """A confirmed decision on the likely-duplicates page: the messages of the page it returns to."""
        self.client.force_login(user)
        data = {"first": first.pk, "second": second.pk, "choice": choice, "confirm": "yes"}
        response = self.client.post(reverse("admin:sources_agent_duplicates"), data, follow=True)
        self.assertEqual(response.status_code, 200)
        return [str(message) for message in response.context["messages"]]

    def test_organisations_of_two_projects_are_neither_merged_nor_marked_distinct_but_told_why(self):
        for choice in ("merge", "distinct"):
            with self.subTest(choice=choice):
                said = self.decide(self.root, choice, self.ledger_press, self.b_press)
                self.assertIn("These belong to different projects", " ".join(said))
        self.assertTrue(Agent.objects.filter(pk=self.b_press.pk).exists())
        self.assertFalse(DistinctPublishers.objects.exists())

    def test_marking_a_pair_distinct_twice_says_it_is_marked_already(self):
        self.decide(self.bob, "distinct", self.ledger_press, self.harbour_press)
        said = self.decide(self.bob, "distinct", self.ledger_press, self.harbour_press)
        self.assertIn("These two publishers are already marked distinct.", said)
        self.assertEqual(DistinctPublishers.objects.count(), 1)

    def test_the_merge_action_on_people_of_two_projects_merges_none_and_says_why(self):
        self.client.force_login(self.root)
        data = {
            "action": "merge_selected",
            "_selected_action": [self.ledger_press.pk, self.b_press.pk],
            "keep": self.ledger_press.pk,
            "merge": "yes",
        }
        response = self.client.post(reverse("admin:sources_agent_changelist"), data, follow=True)
        said = " ".join(str(message) for message in response.context["messages"])
        self.assertIn("These belong to different projects", said)
        self.assertTrue(Agent.objects.filter(pk=self.b_press.pk).exists())


class SwitcherTests(ProjectAdminTestCase):
    def test_the_switcher_is_shown_only_to_a_member_of_several_projects(self):
        self.assertNotContains(self.page(self.vera, reverse("admin:index")), reverse("admin:project"))
        self.assertContains(self.page(self.mia, reverse("admin:index")), reverse("admin:project"))

    def test_choosing_a_project_narrows_every_list_to_it(self):
        self.client.force_login(self.mia)
        self.client.post(reverse("admin:project"), {"project": self.main.pk})
        claims = self.client.get(reverse("admin:claims_claim_changelist"))
        self.assertEqual({claim.source.project_id for claim in claims.context["cl"].result_list}, {self.main.pk})
        self.assertNotContains(claims, "the docks would close")
        self.assertNotContains(self.client.get(reverse("admin:claims_claim_changelist")), f"{MARKER}-tag")

        self.client.post(reverse("admin:project"), {"project": self.harbour_project.pk})
        sources = self.client.get(reverse("admin:sources_source_changelist"))
        self.assertEqual(set(sources.context["cl"].result_list), {self.b_source, self.b_other_source})

        self.client.post(reverse("admin:project"), {"project": ""})
        claims = self.client.get(reverse("admin:claims_claim_changelist"))
        self.assertEqual(claims.context["cl"].result_count, Claim.objects.count())

    def test_a_project_the_person_is_not_in_cannot_be_chosen(self):
        self.client.force_login(self.vera)
        response = self.client.post(reverse("admin:project"), {"project": self.harbour_project.pk})
        self.assertEqual(response.status_code, 200)  # the form again, with its error
        self.assertNotIn(SESSION_KEY, self.client.session)
        self.assertHidesB(response)

    def test_a_chosen_project_still_opens_the_persons_other_projects_objects(self):
        self.client.force_login(self.mia)
        self.client.post(reverse("admin:project"), {"project": self.main.pk})
        response = self.client.get(reverse("admin:claims_claim_change", args=[self.b_claim.pk]))
        self.assertEqual(response.status_code, 200)

    def test_a_new_source_goes_into_the_current_project_among_those_where_the_person_may_add(self):
        self.client.force_login(self.mia)  # may add sources in B (a Reviewer) but not in A (a Viewer)
        form = self.client.get(reverse("admin:sources_source_add")).context["adminform"].form
        self.assertEqual(list(form.fields["project"].queryset), [self.harbour_project])
        self.assertEqual(form.fields["project"].initial, self.harbour_project.pk)

        self.client.force_login(self.root)
        self.client.post(reverse("admin:project"), {"project": self.harbour_project.pk})
        form = self.client.get(reverse("admin:sources_agent_add")).context["adminform"].form
        self.assertEqual(set(form.fields["project"].queryset), {self.main, self.harbour_project})
        self.assertEqual(form.fields["project"].initial, self.harbour_project.pk)

    def test_a_person_added_in_the_admin_is_saved_in_the_chosen_project(self):
        self.client.force_login(self.mia)
        response = self.client.post(
            reverse("admin:sources_agent_add"),
            {"project": self.harbour_project.pk, "name": "Harbour pilot", "kind": "person"},
        )
        self.assertEqual(response.status_code, 302)
        self.assertEqual(Agent.objects.get(name="Harbour pilot").project, self.harbour_project)

    def test_a_person_cannot_be_added_to_a_project_where_the_user_may_not_add(self):
        self.client.force_login(self.mia)
        response = self.client.post(
            reverse("admin:sources_agent_add"), {"project": self.main.pk, "name": "Main pilot", "kind": "person"}
        )
        self.assertEqual(response.status_code, 200)
        self.assertIn("project", response.context["adminform"].form.errors)
        self.assertFalse(Agent.objects.filter(name="Main pilot").exists())


def change_form_data(response) -> dict:
    """What the admin's change form posts back unchanged: its fields' values and its inlines' management forms."""
    form = response.context["adminform"].form
    data = {}
    for name in form.fields:
        value = form[name].value()
        if value is not None:
            data[name] = [str(v) for v in value] if isinstance(value, list | tuple) else value
    for inline in response.context["inline_admin_formsets"]:
        management = inline.formset.management_form
        for name in management.fields:
            data[management.add_prefix(name)] = management[name].value()
        data[management.add_prefix("TOTAL_FORMS")] = management["INITIAL_FORMS"].value()  # no new rows
        for each in inline.formset.initial_forms:
            for name in each.fields:
                value = each[name].value()
                if value is not None:
                    data[each.add_prefix(name)] = value
    return data


class PermissionTests(ProjectAdminTestCase):
    def test_a_viewer_in_a_who_is_a_reviewer_in_b_reads_as_claim_and_changes_bs(self):
        self.client.force_login(self.mia)
        a_page = self.client.get(reverse("admin:claims_claim_change", args=[self.unacceptable.pk]))
        self.assertEqual(a_page.status_code, 200)
        self.assertFalse(a_page.context["has_change_permission"])
        a_post = self.client.post(
            reverse("admin:claims_claim_change", args=[self.unacceptable.pk]), {"statement": "changed"}
        )
        self.assertEqual(a_post.status_code, 403)

        url = reverse("admin:claims_claim_change", args=[self.b_claim.pk])
        b_page = self.client.get(url)
        self.assertTrue(b_page.context["has_change_permission"])
        data = change_form_data(b_page)
        data["statement"] = "The harbour master announced the closing."
        response = self.client.post(url, data)
        self.assertEqual(response.status_code, 302, response.context and response.context["adminform"].form.errors)
        self.b_claim.refresh_from_db()
        self.assertEqual(self.b_claim.statement, "The harbour master announced the closing.")

    def test_the_review_status_is_editable_only_in_the_project_where_the_person_reviews(self):
        self.client.force_login(self.mia)
        a_form = self.client.get(reverse("admin:claims_claim_change", args=[self.unacceptable.pk]))
        self.assertIn("status", a_form.context["adminform"].readonly_fields)
        b_form = self.client.get(reverse("admin:claims_claim_change", args=[self.b_claim.pk]))
        self.assertNotIn("status", b_form.context["adminform"].readonly_fields)


class MembershipTests(ProjectAdminTestCase):
    def add_member(self, project, username="walter", role="Viewer"):
        User.objects.get_or_create(username=username, defaults={"is_staff": True})
        self.client.force_login(self.manny)
        return self.client.post(
            reverse("admin:sources_membership_add"),
            {"project": project.pk, "user": username, "role": Group.objects.get(name=role).pk},
        )

    def test_a_manager_adds_a_member_to_their_project(self):
        response = self.add_member(self.main)
        self.assertEqual(response.status_code, 302)
        self.assertTrue(Membership.objects.filter(project=self.main, user__username="walter").exists())

    def test_a_manager_cannot_add_anyone_to_another_project_not_even_themselves(self):
        for username in ("walter", "manny"):
            with self.subTest(username):
                response = self.add_member(self.harbour_project, username=username, role="Manager")
                self.assertEqual(response.status_code, 200)
                self.assertIn("project", response.context["adminform"].form.errors)
                self.assertFalse(Membership.objects.filter(project=self.harbour_project, user__username=username))

    def test_a_manager_sees_and_changes_only_their_projects_members(self):
        self.client.force_login(self.manny)
        members = self.client.get(reverse("admin:sources_membership_changelist"))
        self.assertEqual({m.project for m in members.context["cl"].result_list}, {self.main})
        self.assertHidesB(members)
        b_membership = Membership.objects.get(project=self.harbour_project, user=self.mia)
        for view in ("change", "delete"):
            with self.subTest(view):
                url = reverse(f"admin:sources_membership_{view}", args=[b_membership.pk])
                self.assertEqual(self.client.get(url).status_code, 404)

    def test_a_manager_changes_a_members_role_in_their_project(self):
        membership = Membership.objects.get(project=self.main, user=self.vera)
        url = reverse("admin:sources_membership_change", args=[membership.pk])
        self.client.force_login(self.manny)
        form = self.client.get(url).context["adminform"].form
        self.assertEqual(form["user"].value(), "vera")
        reviewer = Group.objects.get(name="Reviewer")
        response = self.client.post(url, {"project": self.main.pk, "user": "vera", "role": reviewer.pk})
        self.assertEqual(response.status_code, 302)
        membership.refresh_from_db()
        self.assertEqual(membership.role, reviewer)

    def test_the_roles_offered_are_the_four_role_groups(self):
        Group.objects.create(name="Editors elsewhere")
        self.client.force_login(self.manny)
        form = self.client.get(reverse("admin:sources_membership_add")).context["adminform"].form
        self.assertEqual(
            {group.name for group in form.fields["role"].queryset}, {"Viewer", "Annotator", "Reviewer", "Manager"}
        )

    def test_only_a_superuser_creates_projects(self):
        self.client.force_login(self.manny)
        self.assertEqual(self.client.get(reverse("admin:sources_project_add")).status_code, 403)
        self.client.force_login(self.root)
        response = self.client.post(reverse("admin:sources_project_add"), {"name": "Elections", "slug": "elections"})
        self.assertEqual(response.status_code, 302)
        self.assertTrue(Project.objects.filter(slug="elections").exists())

    def test_a_viewer_does_not_see_the_members_list(self):
        self.client.force_login(self.vera)
        self.assertEqual(self.client.get(reverse("admin:sources_membership_changelist")).status_code, 403)


class ExportTests(ProjectAdminTestCase):
    def test_the_people_export_holds_only_the_members_projects(self):
        self.client.force_login(self.vera)
        url = reverse("admin:sources_agent_export")
        form = self.client.get(url).context["form"]
        data = {"format": "0"}
        data.update({name: "on" for name, field in form.fields.items() if name != "format" and field.initial})
        response = self.client.post(url, data)
        self.assertEqual(response.status_code, 200)
        content = response.content.decode()
        self.assertIn("Vladimir Putin", content)
        self.assertNotIn(MARKER, content)


class QueryCountTests(ProjectAdminTestCase):
    def test_a_members_claim_list_runs_as_many_queries_for_many_claims_as_for_few(self):
        self.client.force_login(self.mia)
        url = reverse("admin:claims_claim_changelist")
        self.client.get(url)
        # Session, user, their direct permissions, their roles by project, the tags of the filter, the count, the page
        # (the switcher knows the person has two projects from their roles; no project is chosen, none is named).
        with self.assertNumQueries(7) as few:
            self.client.get(url)
        words = [f"w{i:03d}" for i in range(30)]
        source = create_source(title="Many words", text=" ".join(words), project=self.harbour_project)
        for i, word in enumerate(words):
            create_claim(source=source, quote=word, speaker=self.b_speaker if i % 2 else None)
        with self.assertNumQueries(len(few.captured_queries)):
            self.client.get(url)
