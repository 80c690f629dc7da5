"""Every admin list runs the same number of queries for 5 rows as for 500."""

from django.urls import reverse

from claims.corroboration.counting import recount_all
from claims.models import Claim, Link, Tag
from claims.tagging import refresh_tag_names
from sources.models import Agent, Source
from tests.base import BaseTestCase


class ChangelistQueryTests(BaseTestCase):
    def add_rows(self, n: int) -> None:
        """Add n sources (with an author), n speakers, n claims (with a tag) and n links."""
        words = [f"w{i:04d}" for i in range(n)]
        text = " ".join(words)
        project = self.ledger.project  # bulk inserts skip the save that places a row in the only project
        speakers = Agent.objects.bulk_create(Agent(name=f"Speaker {i}", project=project) for i in range(n))
        sources = Source.objects.bulk_create(
            Source(
                title=f"Source {i}",
                text=text,
                publisher=self.ledger_press,
                url=f"https://example.org/{n}/{i}",
                project=project,
            )
            for i in range(n)
        )
        Source.authors.through.objects.bulk_create(
            Source.authors.through(source=s, agent=a) for s, a in zip(sources, speakers, strict=True)
        )
        claims = Claim.objects.bulk_create(
            Claim(
                source=sources[i], quote=words[i], start=6 * i, end=6 * i + 5, speaker=speakers[i], kind="direct_quote"
            )
            for i in range(n)
        )
        tag = Tag.objects.create(name=f"tag{n}", project=project)
        Claim.tags.through.objects.bulk_create(Claim.tags.through(claim=c, tag=tag) for c in claims)
        Link.objects.bulk_create(
            Link(claim_a=claims[i], claim_b=claims[(i + 1) % n], created_by=self.alice) for i in range(n)
        )
        recount_all()  # bulk inserts skip the services, as seed_synthetic's do
        refresh_tag_names(c.pk for c in claims)

    def assert_changelist_queries(self, url_name: str, expected: int) -> None:
        self.client.force_login(self.root)
        url = reverse(url_name) + "?all="
        for rows in (5, 500):
            with self.subTest(rows=rows):
                self.add_rows(rows if rows == 5 else rows - 5)
                with self.assertNumQueries(expected):
                    response = self.client.get(url)
                self.assertEqual(response.status_code, 200)

    def test_the_claim_list_runs_a_fixed_number_of_queries(self):
        # Session, user, tags for their filter, the count and the page: the other filters read nothing.
        self.assert_changelist_queries("admin:claims_claim_changelist", 5)

    def test_the_source_list_runs_a_fixed_number_of_queries(self):
        self.assert_changelist_queries("admin:sources_source_changelist", 10)

    def test_the_link_list_runs_a_fixed_number_of_queries(self):
        self.assert_changelist_queries("admin:claims_link_changelist", 5)

    def test_the_people_and_organisations_list_runs_a_fixed_number_of_queries(self):
        self.assert_changelist_queries("admin:sources_agent_changelist", 5)


class RowCheckboxTests(BaseTestCase):
    def test_each_rows_checkbox_is_written_as_djangos_widget_writes_it(self):
        from django.contrib import admin
        from django.contrib.admin import ModelAdmin

        import config.urls  # noqa: F401 - the admins are registered as the URLs load (config/urls.py)

        claim = Claim.objects.get(pk=self.unacceptable.pk)
        claim.quote = 'A <b>bold</b> & "quoted" claim'  # escaped in its label
        for model in (Claim, Source, Agent):
            with self.subTest(model=model.__name__):
                ours = admin.site._registry[model]
                shown = claim if model is Claim else model.objects.first()
                self.assertEqual(ours.action_checkbox(shown), ModelAdmin.action_checkbox(ours, shown))
        self.assertIn(
            "&lt;b&gt;bold&lt;/b&gt; &amp; &quot;quoted&quot;", admin.site._registry[Claim].action_checkbox(claim)
        )

    def test_the_claim_lists_header_keeps_the_select_all_checkbox(self):
        self.client.force_login(self.root)
        response = self.client.get(reverse("admin:claims_claim_changelist"))
        self.assertContains(response, '<input type="checkbox" id="action-toggle"', html=False)
        self.assertContains(response, f'name="_selected_action" value="{self.unacceptable.pk}" class="action-select"')
