"""The leak crawler (issue 27): nothing named only inside project B can be seen or inferred by someone who is only
in project A.

Two projects hold the same kinds of work (sources, captures, people and organisations, claims, tags, links, a
republication, a dismissed suggestion, publishers marked distinct); every text of B's carries the word "zebrafinch",
every text of A's "kingfisher". A member of A only crawls every page reachable from the admin index and the API
root (tests/leak_crawler.py), every list filter and search, the autocompletes with every letter, the exports, and
asks for each of B's objects by its URL. B's word must be in no answer, B's objects must answer as an object that
does not exist (404; in the admin, Django's own "does not exist" redirect to the index, the same as for an id
nobody has), and nothing may fail with a 5xx. The same crawl as a member of both projects, and as a superuser,
finds both words and opens B's objects: the crawler can fail.
"""

import datetime
import hashlib
import json
import string
from unittest import mock

from django.contrib import admin
from django.contrib.auth.models import Group, User
from django.test import Client, TestCase
from django.urls import NoReverseMatch, get_resolver, reverse

from claims.admin import TagAdmin
from claims.models import DismissedSuggestion, Link, Tag
from claims.services import create_claim, dismiss_suggestion, link_claims, record_republication
from common.autocomplete_filter import AutocompleteFilter
from sources.models import Agent, Capture, Membership, Project
from sources.services import create_source, mark_distinct, save_agent
from tests.leak_crawler import Crawl, LinkParser, PostForm, autocompletes_in, body_of

A_WORD = "kingfisher"
B_WORD = "zebrafinch"
# What the crawler types into search boxes: part of the word, so that a page repeating the search term back
# ("0 results for …") does not hold the word itself.
B_SEARCH = B_WORD[1:-1]
A_SEARCH = A_WORD[1:-1]
NOBODY_HAS = 2_000_000_000  # an id no object has: how the site answers for what does not exist
LIMIT = 800  # pages a crawl follows at most (a crawl stopped by it fails)


def make_work(word: str) -> dict:
    """A project whose every name and text carries `word`: the objects by name."""
    Word = word.capitalize()
    project = Project.objects.create(name=f"{Word} desk", slug=word, description=f"The {word} investigation.")
    gazette = save_agent(
        Agent(name=f"{Word} Gazette", kind=Agent.Kind.ORGANISATION, aliases=f"{Word} Daily", project=project),
        user=None,
    )
    online = save_agent(
        Agent(name=f"{Word} Gazette Online", kind=Agent.Kind.ORGANISATION, parent=gazette, project=project), user=None
    )
    wire = save_agent(Agent(name=f"{Word} Wire", kind=Agent.Kind.ORGANISATION, project=project), user=None)
    minister = save_agent(
        Agent(name=f"Minister {Word}", aliases=f"{Word} the Elder", wikidata_id="Q42", project=project), user=None
    )
    writer = save_agent(Agent(name=f"{Word} Writer", project=project), user=None)
    text = (
        f"Minister {Word} said the {word} harbour will close in May.\n"
        f"The {word} port authority disagreed and said the {word} harbour stays open."
    )
    report = create_source(
        title=f"{Word} harbour report",
        text=text,
        raw_text=f"<p>{text}</p>",
        url=f"https://{word}.example/report",
        publisher=gazette,
        authors=[writer],
        published_on=datetime.date(2024, 5, 1),
        language="en",
        notes=f"Notes on the {word} report.",
        project=project,
    )
    ledger = create_source(
        title=f"{Word} ledger",
        text=f"The {word} harbour will close in May, Minister {Word} confirmed.",
        url=f"https://www.{word}.example/ledger",
        publisher=online,
        project=project,
    )
    copy = create_source(
        title=f"{Word} wire copy",
        text=f"Minister {Word} said the {word} harbour will close in May.",
        url=f"https://{word}-wire.example/copy",
        publisher=wire,
        project=project,
    )
    raw = f"{Word} harbour report\n\n{text}\n".encode()
    capture = Capture.objects.create(
        source=report,
        file_name=f"{word}-report.txt",
        source_path=f"/imports/{word}-report.txt",
        size=len(raw),
        sha256=hashlib.sha256(raw).hexdigest(),
        raw=raw,
        encoding="utf-8",
        method=Capture.Method.TEXT,
        software_version=f"claimtrail tests ({word})",
        imported_by=f"{word}-importer",
        clean_text=text,
        stated_title=f"{Word} harbour report",
    )
    closing = create_claim(
        source=report,
        quote=f"the {word} harbour will close in May",
        statement=f"The {word} harbour closes in May.",
        speaker=minister,
        claimed_on=datetime.date(2024, 5, 1),
        tags=[f"{word}-ports", f"{word}-transport"],
    )
    open_ = create_claim(source=report, quote=f"the {word} harbour stays open", tags=[f"{word}-ports"])
    confirmed = create_claim(
        source=ledger, quote=f"The {word} harbour will close in May", speaker=minister, tags=[f"{word}-ports"]
    )
    copied = create_claim(source=copy, quote=f"the {word} harbour will close in May", speaker=minister)
    link = link_claims(claim_a=closing, claim_b=confirmed, note=f"Both say the {word} harbour closes.")
    contradiction = link_claims(
        claim_a=open_, claim_b=confirmed, relation=Link.Relation.CONTRADICTS, note=f"The {word} authority disagrees."
    )
    dismissal = dismiss_suggestion(claim=closing, suggested=copied)
    republication = record_republication(copy=copy, original=report, note=f"The {word} wire ran it.")
    mark_distinct(first=gazette, second=wire)
    return {
        "project": project,
        "agents": [gazette, online, wire, minister, writer],
        "sources": [report, ledger, copy],
        "capture": capture,
        "claims": [closing, open_, confirmed, copied],
        "links": [link, contradiction],
        "dismissal": dismissal,
        "republication": republication,
        "tags": list(Tag.objects.filter(project=project)),
    }


def member(username: str, *roles: tuple[Project, str], superuser: bool = False) -> User:
    user = User.objects.create_user(username, password="pw", is_staff=True, is_superuser=superuser)
    for project, role in roles:
        Membership.objects.create(project=project, user=user, role=Group.objects.get(name=role))
    return user


class LeakCrawlerTestCase(TestCase):
    maxDiff = None

    @classmethod
    def setUpTestData(cls):
        cls.a = make_work(A_WORD)
        cls.b = make_work(B_WORD)
        cls.reviewer_of_a = member("ana", (cls.a["project"], "Reviewer"))
        cls.viewer_of_a = member("vic", (cls.a["project"], "Viewer"))
        cls.reviewer_of_both = member("bea", (cls.a["project"], "Reviewer"), (cls.b["project"], "Reviewer"))
        cls.root = member("root", superuser=True)

    # The crawl ---------------------------------------------------------------------------------------------

    def crawl(self, user: User, *, only_links: bool = False, choose: Project | None = None) -> Crawl:
        """Everything `user` can reach, and every list filter, search, autocomplete and export as them (with
        `only_links`: only what the links from the admin index and the API root reach), having first tried to make
        `choose` their current project in the admin's project switcher (where there is one)."""
        client = Client(raise_request_exception=False)
        client.force_login(user)
        crawl = Crawl(client, limit=LIMIT)
        if choose is not None and self.switcher() is not None:
            crawl.post(self.switcher(), {"project": choose.pk, "next": reverse("admin:index")})
        crawl.walk(reverse("admin:index"), reverse("api:api-root"))
        if only_links:
            self.assertEqual(crawl.queue, [], f"the crawl stopped at {LIMIT} pages: raise LIMIT to reach these too")
            return crawl
        for url in self.list_urls():
            crawl.queue.append(url)
        # Every page of A's own objects (the suggestions, corroboration and history of each): none may name B's.
        crawl.queue += [url for url, _, _ in self.object_urls(self.a) if "/delete/" not in url]
        crawl.walk()
        self.ask_autocompletes(crawl)
        self.export_everything(crawl)
        crawl.walk()  # what the autocompletes and exports linked to
        self.assertEqual(crawl.queue, [], f"the crawl stopped at {LIMIT} pages: raise LIMIT to reach these too")
        return crawl

    def switcher(self) -> str | None:
        try:
            return reverse("admin:project")
        except NoReverseMatch:
            return None

    def registered(self):
        return [(model, model_admin) for model, model_admin in admin.site._registry.items()]

    def list_urls(self) -> list[str]:
        """Each changelist searched for either word and for each of B's objects by id; each choice of each list
        filter as the superuser sees them (B's choices too), and each autocomplete filter set to B's objects; each
        API list a few rows a page (its cursor pages) and filtered by B's objects."""
        urls = []
        for model, model_admin in self.registered():
            try:
                changelist = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
            except NoReverseMatch:
                continue
            urls += [f"{changelist}?q={B_SEARCH}", f"{changelist}?q={A_SEARCH}", f"{changelist}?_facets=True"]
            urls += [f"{changelist}?q=%23{obj.pk}" for obj in self.b_objects(model)]
            urls += self.filter_choices(changelist)
            for spec in model_admin.list_filter:
                if isinstance(spec, type) and issubclass(spec, AutocompleteFilter):
                    related = spec.foreign_key(spec).remote_field.model
                    urls += [f"{changelist}?{spec.parameter_name}={obj.pk}" for obj in self.b_objects(related)]
        # The W3C annotation container is not in the API root's list: asked for here, a page and a few rows a page.
        urls += [reverse("api:annotations"), f"{reverse('api:annotations')}?page_size=2"]
        for name in ("api:claim-list", "api:source-list", "api:link-list", "api:agent-list"):
            urls.append(f"{reverse(name)}?page_size=2")
        claims = reverse("api:claim-list")
        b = self.b
        urls += [f"{claims}?source={s.pk}" for s in b["sources"]]
        urls += [f"{claims}?speaker={a.pk}" for a in b["agents"]]
        urls += [f"{claims}?publisher={a.pk}" for a in b["agents"]]
        urls += [f"{claims}?q={B_SEARCH}", f"{reverse('api:agent-list')}?q={B_SEARCH}"]
        urls += [f"{reverse('api:link-list')}?claim={c.pk}" for c in b["claims"]]
        # The annotate page's link search and panels, for A's claims, looking for B's.
        for claim in self.a["claims"]:
            search = reverse("annotate:link_search", args=[claim.pk])
            urls += [f"{search}?words={B_SEARCH}", f"{search}?words=harbour", f"{search}?speaker=Minister"]
            urls += [reverse("annotate:claim", args=[claim.pk]), reverse("annotate:suggestions", args=[claim.pk])]
            urls.append(reverse("admin:claims_claim_jsonld", args=[claim.pk]))
            urls.append(reverse("claims:detail", args=[claim.pk]))
        for source in self.a["sources"]:
            urls.append(reverse("claims:evidence", args=[source.pk]))
            urls.append(f"{reverse('annotate:source', args=[source.pk])}?claim={b['claims'][0].pk}")
        return urls

    def filter_choices(self, changelist: str) -> list[str]:
        """Every list filter choice of the changelist as the superuser sees it (B's choices too)."""
        client = Client()
        client.force_login(self.root)
        page = LinkParser()
        page.feed(client.get(changelist).content.decode())
        return [changelist + href for href in page.hrefs if href.startswith("?")]

    def autocomplete_fields(self) -> set[tuple[str, str, str]]:
        """(app_label, model_name, field_name) of every autocomplete the admins declare."""
        fields = set()
        for model, model_admin in self.registered():
            for name in model_admin.autocomplete_fields:
                fields.add((model._meta.app_label, model._meta.model_name, name))
            for inline in model_admin.inlines:
                for name in inline.autocomplete_fields:
                    fields.add((inline.model._meta.app_label, inline.model._meta.model_name, name))
            for spec in model_admin.list_filter:
                if isinstance(spec, type) and issubclass(spec, AutocompleteFilter):
                    fields.add(spec.field)
        return fields

    def ask_autocompletes(self, crawl: Crawl) -> None:
        """Each autocomplete (declared, or drawn on a page the crawl saw) with every letter and the search word,
        every page of its results."""
        fields = self.autocomplete_fields()
        for answer in crawl.answers:
            if "data-app-label" in answer.body:
                fields |= autocompletes_in(answer.body)
        self.assertTrue(fields, "the crawler found no autocomplete to ask")
        url = reverse("admin:autocomplete")
        for app_label, model_name, field_name in sorted(fields):
            for term in [*string.ascii_lowercase, B_SEARCH, A_SEARCH, ""]:
                for page in range(1, 20):
                    query = f"app_label={app_label}&model_name={model_name}&field_name={field_name}"
                    answer = crawl.get(f"{url}?{query}&term={term}&page={page}")
                    if answer.status != 200 or not json.loads(answer.body)["pagination"]["more"]:
                        break

    def export_everything(self, crawl: Crawl) -> None:
        """Every admin's export page, posted in each of its formats with every column."""
        for model, _ in self.registered():
            try:
                url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_export")
            except NoReverseMatch:
                continue
            page = crawl.get(url)
            if page.status != 200:
                continue
            form = PostForm()
            form.feed(page.body)
            for file_format in form.selects.get("format", []):
                data = [(k, v) for k, v in form.fields if k != "format"] + [("format", file_format)]
                if "resource" in form.selects and form.selects["resource"]:
                    data.append(("resource", form.selects["resource"][0]))
                answer = crawl.post(url, dict(data))
                self.assertEqual(answer.status, 200, f"the export {url} in format {file_format} did not answer")

    # B's objects, asked for directly ---------------------------------------------------------------------

    def b_objects(self, model) -> list:
        return self.objects_of(self.b, model)

    def objects_of(self, work: dict, model) -> list:
        """The project's rows of a model of a project's work (none for a model outside projects)."""
        if not hasattr(model, "project_path"):
            return []
        return list(model._default_manager.filter(**{model.project_path: work["project"].pk}).order_by("pk"))

    def b_object_urls(self) -> list[tuple[str, str, object]]:
        return self.object_urls(self.b)

    def object_urls(self, work: dict) -> list[tuple[str, str, object]]:
        """(URL, the same URL for an id nobody has, the object) for every page of each of the project's objects (the
        names of the URLs asked for kept in `asked_names`)."""
        pairs, self.asked_names = [], set()

        def add(name, obj, *more):
            self.asked_names.add(name)
            pairs.append((reverse(name, args=[obj.pk, *more]), reverse(name, args=[NOBODY_HAS, *more]), obj))

        for model, _ in self.registered():
            opts = model._meta
            for obj in self.objects_of(work, model):
                for page in ("change", "history", "delete"):
                    add(f"admin:{opts.app_label}_{opts.model_name}_{page}", obj)
                self.asked_names.add(f"admin:{opts.app_label}_{opts.model_name}_simple_history")
                history = getattr(model, "history", None)
                if history is not None:
                    for record in obj.history.all():
                        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_simple_history", args=[obj.pk, 0])
                        pairs.append(
                            (
                                url.replace("/history/0/", f"/history/{record.history_id}/"),
                                url.replace(f"/{obj.pk}/history/0/", f"/{NOBODY_HAS}/history/{record.history_id}/"),
                                obj,
                            )
                        )
        for claim in work["claims"]:
            for name in ("claims:detail", "admin:claims_claim_jsonld", "api:claim-detail", "api:claim-suggestions"):
                add(name, claim)
            for name in ("api:claim-corroboration", "api:annotation", "annotate:claim", "annotate:suggestions"):
                add(name, claim)
            add("annotate:link_search", claim)
        for source in work["sources"]:
            for name in ("sources:provenance", "claims:evidence", "annotate:source", "api:source-detail"):
                add(name, source)
        for agent in work["agents"]:
            add("api:agent-detail", agent)
        for link in work["links"]:
            add("api:link-detail", link)
        return pairs

    def b_objects_not_missing(self, crawl: Crawl) -> list[str]:
        wrong, answered = [], {}
        for url, nobody, _ in self.b_object_urls():
            answer = crawl.get(url)
            if nobody not in answered:
                answered[nobody] = crawl.get(nobody)
            missing = answered[nobody]
            as_missing = answer.status == missing.status and (answer.location == missing.location)
            if answer.status == 404 and as_missing:
                continue
            # The admin's change, history and delete pages answer an id nobody has with a redirect to the index.
            if as_missing and answer.status == 302 and answer.location == reverse("admin:index"):
                continue
            wrong.append(f"{url}: {answer.status} {answer.location} (an id nobody has: {missing.status})")
        return wrong

    def assert_no_server_errors(self, crawl: Crawl) -> None:
        self.assertEqual(crawl.server_errors(), [], "answers that failed (5xx)")


class MemberOfOnlyATests(LeakCrawlerTestCase):
    def assert_sees_nothing_of_b(self, user: User) -> None:
        # Asking the project switcher for B first: whatever it answers, nothing of B may follow.
        crawl = self.crawl(user, choose=self.b["project"])
        self.assertGreater(len(crawl.answers), 100, "the crawl reached too little to mean anything")
        self.assertTrue(crawl.holding(A_WORD), "the crawl never saw A's own work")
        # Every problem at once, so that one run lists every leak.
        problems = {
            f"answers naming B's {B_WORD}": crawl.holding(B_WORD),
            "B's objects answering otherwise than an object that does not exist": self.b_objects_not_missing(crawl),
            "answers that failed (5xx)": crawl.server_errors(),
        }
        found = [f"{title}:\n  " + "\n  ".join(urls) for title, urls in problems.items() if urls]
        if found:
            self.fail(f"{user.username}, a member of A only:\n" + "\n".join(found))

    def test_a_reviewer_of_a_only_sees_nothing_of_b_anywhere(self):
        self.assert_sees_nothing_of_b(self.reviewer_of_a)

    def test_a_viewer_of_a_only_sees_nothing_of_b_anywhere(self):
        self.assert_sees_nothing_of_b(self.viewer_of_a)

    def test_writes_naming_bs_objects_answer_as_missing_and_change_nothing(self):
        """Not a page to crawl but the same rule: a write naming B's object (in its URL) is answered as for an object
        that does not exist (a 403 where a missing object gets a 404 would say it does), and B's work is as it was."""
        client = Client(raise_request_exception=False)
        client.force_login(self.reviewer_of_a)
        before = self.snapshot(self.b)
        wrong = []
        for method, name, args, data in self.write_probes():
            answers, urls = [], []
            for value_of in (lambda arg: arg.pk, lambda arg: NOBODY_HAS):  # B's object, then an id nobody has
                url = reverse(name, args=[value_of(arg) if hasattr(arg, "pk") else arg for arg in args])
                urls.append(url)
                if method == "post" and not name.startswith("api:"):
                    response = client.post(url, data)
                else:
                    response = getattr(client, method)(url, data, content_type="application/json")
                answers.append((response.status_code, response.get("Location", ""), B_WORD in body_of(response)))
            (status, location, named), missing = answers
            # As for an id nobody has: a 404 (the admin's redirect to its index), or a refusal that does not depend
            # on the object (a role that may not delete any source).
            if (status, location) == missing[:2] and not named and status >= 300:
                continue
            wrong.append(f"{method.upper()} {urls[0]}: {status} {location} (an id nobody has: {missing})")
        self.assertEqual(wrong, [], "writes naming B's objects answer otherwise than for an object nobody has")
        self.assertEqual(self.snapshot(self.b), before, "a write from a member of A only changed B's work")

    def write_probes(self) -> list[tuple[str, str, list, dict]]:
        """(method, URL name, its arguments, body) of each write whose URL names an object: B's objects as
        themselves (asked with their id, then with an id nobody has), A's by their id."""
        a_claim, (b_claim, _, b_confirmed, b_copied) = self.a["claims"][0], self.b["claims"]
        b_source, b_agent, b_link = self.b["sources"][0], self.b["agents"][0], self.b["links"][0]
        probes = [
            ("post", "annotate:add_claim", [b_source], {"quote": "harbour", "start": 0, "end": 7}),
            ("post", "annotate:claim", [b_claim], {"quote": b_claim.quote, "status": "reviewed"}),
            ("post", "annotate:add_link", [b_claim], {"other": a_claim.pk, "relation": "corroborates"}),
            ("post", "annotate:suggestion", [a_claim.pk, b_claim, "dismiss"], {}),
            ("post", "annotate:suggestion", [b_claim, b_confirmed.pk, "contradicts"], {}),
            ("post", "admin:claims_claim_suggestion", [a_claim.pk, b_claim, "dismiss"], {}),
            ("post", "admin:claims_claim_suggestion", [b_claim, b_confirmed.pk, "contradicts"], {}),
            ("post", "admin:claims_claim_undo_dismissal", [b_claim, b_copied.pk], {}),
            ("post", "api:claim-act-on-suggestion", [a_claim.pk, b_claim], {"action": "dismiss"}),
            ("post", "api:claim-act-on-suggestion", [b_claim, b_confirmed.pk], {"action": "contradicts"}),
            ("patch", "api:claim-detail", [b_claim], {"status": "retracted", "version": b_claim.version}),
            ("delete", "api:claim-detail", [b_claim], {}),
            ("patch", "api:source-detail", [b_source], {"title": "Renamed"}),
            ("delete", "api:source-detail", [b_source], {}),
            ("patch", "api:agent-detail", [b_agent], {"name": "Renamed"}),
            ("delete", "api:agent-detail", [b_agent], {}),
            ("patch", "api:link-detail", [b_link], {"note": "Renamed"}),
            ("delete", "api:link-detail", [b_link], {}),
        ]
        for model, _ in self.registered():
            opts = model._meta
            for obj in self.b_objects(model)[:1]:
                probes.append(("post", f"admin:{opts.app_label}_{opts.model_name}_delete", [obj], {"post": "yes"}))
                probes.append(("post", f"admin:{opts.app_label}_{opts.model_name}_change", [obj], {}))
        return probes

    def snapshot(self, work: dict) -> dict:
        """Every row of the project's work as stored (each model's values), to compare before and after."""
        return {
            model._meta.label: [
                list(row)
                for row in model._default_manager.filter(pk__in=[obj.pk for obj in self.objects_of(work, model)])
                .order_by("pk")
                .values_list()
            ]
            for model, _ in self.registered()
            if hasattr(model, "project_path")
        } | {"dismissals": list(DismissedSuggestion.objects.in_project(work["project"]).values_list("pk", flat=True))}


class TheCrawlerCanFailTests(LeakCrawlerTestCase):
    """The same crawl finds B's word where B's work may be seen: a crawler that finds nothing proves nothing."""

    def assert_sees_both(self, user: User) -> None:
        crawl = self.crawl(user)
        for word in (A_WORD, B_WORD):
            found = crawl.holding(word)
            # In each kind of answer the crawl reads: admin pages, autocompletes, exports, the API, the evidence zip.
            for kind in ("/admin/claims/claim/", "/admin/autocomplete/", "/export/", "/api/", "/claims/evidence/"):
                self.assertTrue(any(kind in f for f in found), f"{word} not found in any answer under {kind}")
        for url, _, obj in self.b_object_urls():
            opts = obj._meta
            if "/delete/" in url or not user.has_perm(f"{opts.app_label}.view_{opts.model_name}", obj):
                continue  # pages their role does not open (a Reviewer deletes no person; sees no membership)
            self.assertIn(crawl.get(url).status, (200, 405), url)
        self.assert_no_server_errors(crawl)

    def test_a_member_of_both_projects_sees_both(self):
        self.assert_sees_both(self.reviewer_of_both)

    def test_a_superuser_sees_both(self):
        self.assert_sees_both(self.root)

    def test_the_crawler_notices_when_one_list_is_not_scoped(self):
        tag_list = reverse("admin:claims_tag_changelist")
        with mock.patch.object(TagAdmin, "get_queryset", admin.ModelAdmin.get_queryset):
            crawl = self.crawl(self.reviewer_of_a, only_links=True)
        self.assertIn(f"GET {tag_list} (200)", crawl.holding(B_WORD))


# URLs that take an id but answer only a POST (a GET is a 405, whatever the id), or take no object of a project.
NOT_AN_OBJECT_PAGE = {
    "annotate:add_claim": "POST only",
    "annotate:add_link": "POST only",
    "annotate:suggestion": "POST only",
    "admin:claims_claim_suggestion": "POST only",
    "admin:claims_claim_undo_dismissal": "POST only",
    "api:claim-act-on-suggestion": "POST only",
    "admin:view_on_site": "no model of a project has get_absolute_url",
    "admin:app_list": "an app's label, not an object",
}


class CoverageTests(LeakCrawlerTestCase):
    def test_every_page_that_names_an_object_is_asked_for_each_of_bs_objects(self):
        """A new page taking an id must be added to b_object_urls (or to NOT_AN_OBJECT_PAGE, saying why)."""
        self.b_object_urls()
        other_admin_pages = {
            f"admin:{model._meta.app_label}_{model._meta.model_name}_"
            for model, _ in self.registered()
            if not hasattr(model, "project_path")
        }
        not_asked = []
        for name, route in pages_taking_an_argument(get_resolver()):
            if name in self.asked_names or name in NOT_AN_OBJECT_PAGE or name is None:
                continue
            if any(name.startswith(prefix) for prefix in other_admin_pages):
                continue  # users, groups, tokens, login attempts: no project's work
            if name.startswith("api:") and route.endswith(("(?P<format>[a-z0-9]+)/?$", "<drf_format_suffix:format>")):
                continue  # the same view as the page without the suffix
            not_asked.append(f"{name}: {route}")
        self.assertEqual(not_asked, [])


def pages_taking_an_argument(resolver, namespace="", prefix=""):
    """(namespaced name, route) of every URL pattern that takes an argument."""
    for pattern in resolver.url_patterns:
        route = prefix + str(pattern.pattern)
        if hasattr(pattern, "url_patterns"):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from pages_taking_an_argument(pattern, inner, route)
        elif pattern.pattern.regex.groups:
            yield (f"{namespace}{pattern.name}" if pattern.name else None), route
