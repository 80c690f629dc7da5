"""Deletes of sources, people and links while others write what refers to them, under parallel requests to a live
server (PostgreSQL): no request answers 5xx (a deadlock, or a foreign key failing at commit), nothing deleted comes
back, and the stored counts and kept cells are right afterwards."""

import unittest

from django.db import connection
from django.test import LiveServerTestCase

from claims.corroboration.counting import recount_all
from claims.exchange.stored_cells import stale_cells
from claims.models import Claim, Link
from claims.services import create_claim, link_claims, record_republication
from sources.importing import import_raw
from sources.models import Agent, Capture, Source
from sources.services import agent_named, create_source
from tests.races import TRIALS, ApiRequestsAtOnce


def sentences(count: int, thing: str = "ferry") -> str:
    return " ".join(f"Sentence number {n} says the {thing} sails at dawn." for n in range(count))


def links_across_two_sources() -> list:
    """TRIALS links, each between a claim of one source and a claim of another."""
    here = create_source(title="Here", text=sentences(TRIALS), url="https://here.example/")
    there = create_source(title="There", text=sentences(TRIALS, "boat"), url="https://there.example/")
    return [
        link_claims(
            claim_a=create_claim(source=here, quote=f"Sentence number {n} says"),
            claim_b=create_claim(source=there, quote=f"Sentence number {n} says"),
        )
        for n in range(TRIALS)
    ]


@unittest.skipUnless(
    connection.vendor == "postgresql",
    "SQLite lets one writer in at a time, so parallel requests cannot race; this needs PostgreSQL (DATABASE_URL).",
)
class DeleteRaceTests(ApiRequestsAtOnce, LiveServerTestCase):
    def tearDown(self):
        self.assertEqual(recount_all(repair=False), {}, "stored counts wrong after the races")
        self.assertEqual(stale_cells(), {}, "kept cells stale after the races")

    def test_a_person_deleted_while_a_claim_of_a_source_they_wrote_is_linked_never_deadlocks(self):
        elsewhere = create_source(title="Elsewhere", text=sentences(TRIALS, "boat"), url="https://else.where/")
        statuses = []
        for n in range(TRIALS):
            author = agent_named(f"Author {n}")
            written = create_source(
                title=f"Written {n}", text=sentences(1), url=f"https://w.example/{n}", authors=[author]
            )
            claim = create_claim(source=written, quote="Sentence number 0 says")
            other = create_claim(source=elsewhere, quote=f"Sentence number {n} says")
            statuses += self.at_once(
                ("DELETE", f"/api/agents/{author.pk}/", None),
                ("POST", "/api/links/", {"claim_a": claim.pk, "claim_b": other.pk}),
                stagger=(n % 5) * 0.004,  # the link's lock before and after the delete touches the claim's cells
            )
        self.report("person deleted while linked", 0, sum(s >= 500 for s in statuses), statuses)

    def test_a_source_deleted_while_claims_are_made_in_it_answers_without_a_server_error(self):
        statuses, broken = [], 0
        for n in range(TRIALS):
            source = create_source(title=f"Doomed {n}", text=sentences(3), url=f"https://doomed.example/{n}")
            annotation = {
                "@context": "http://www.w3.org/ns/anno.jsonld",
                "type": "Annotation",
                "target": {
                    "source": f"{self.live_server_url}/api/sources/{source.pk}/",
                    "selector": {"type": "TextQuoteSelector", "exact": "Sentence number 1 says"},
                },
            }
            answers = self.at_once(
                ("DELETE", f"/api/sources/{source.pk}/", None),
                ("POST", "/api/annotations/", annotation),
                ("POST", "/api/claims/", {"source": source.pk, "quote": "Sentence number 2 says"}),
                stagger=(n % 5) * 0.003,  # the claims' anchoring before and after the delete's check
            )
            statuses += answers
            made = Claim.objects.filter(source=source.pk).count()
            # Deleted (204) with no claim made, or kept (409, still used) with the claims made.
            broken += answers[0] != (409 if made else 204) or Source.objects.filter(pk=source.pk).exists() != bool(made)
        self.report("source deleted while claims are made in it", broken, sum(s >= 500 for s in statuses), statuses)

    def test_a_person_deleted_while_made_the_speaker_of_claims_answers_without_a_server_error(self):
        source = create_source(title="Spoken", text=sentences(2 * TRIALS), url="https://spoken.example/")
        statuses, broken = [], 0
        for n in range(TRIALS):
            speaker = agent_named(f"Speaker {n}")
            claim = create_claim(source=source, quote=f"Sentence number {2 * n} says")
            answers = self.at_once(
                ("DELETE", f"/api/agents/{speaker.pk}/", None),
                ("PATCH", f"/api/claims/{claim.pk}/", {"speaker": speaker.pk, "version": claim.version}),
                (
                    "POST",
                    "/api/claims/",
                    {"source": source.pk, "quote": f"Sentence number {2 * n + 1} says", "speaker": speaker.pk},
                ),
                stagger=(n % 5) * 0.003,  # the claims' checks before and after the delete's
            )
            statuses += answers
            spoken = Claim.objects.filter(speaker=speaker.pk).exists()
            # Deleted (204) with no claim naming them, or kept (409, still used) with the claims that do.
            broken += answers[0] != (409 if spoken else 204)
        self.report("person deleted while made a speaker", broken, sum(s >= 500 for s in statuses), statuses)

    def test_a_person_deleted_while_made_the_author_or_publisher_of_sources_answers_without_a_server_error(self):
        statuses, broken = [], 0
        for n in range(TRIALS):
            author, publisher = agent_named(f"Writer {n}"), agent_named(f"Press {n}", kind=Agent.Kind.ORGANISATION)
            source = create_source(title=f"Unsigned {n}", text=sentences(1), url=f"https://unsigned.example/{n}")
            doomed = author if n % 2 else publisher
            delete = ("DELETE", f"/api/agents/{doomed.pk}/", None)
            form = {"title": source.title, "url": source.url, "text": source.text, "_save": "Save"}
            saves = [
                # The source's change form in the admin, and a new source through the API.
                self.admin_form(
                    f"/admin/sources/source/{source.pk}/change/",
                    {**form, "authors": [author.pk], "publisher": publisher.pk},
                ),
                ("POST", "/api/sources/", {"title": f"New {n}", "text": sentences(1), "authors": [author.pk]}),
            ]
            # The delete sent first, or after the sources' saves, each staggered: it lands before, between and after.
            first = n % 4 < 2
            answers = self.at_once(*([delete, *saves] if first else [*saves, delete]), stagger=(n % 5) * 0.004)
            statuses += answers
            deleted = answers[0 if first else 2] == 204
            # Deleted (204): no source names them any more; kept (409): a source published by them.
            broken += deleted and Agent.objects.filter(pk=doomed.pk).exists()
        self.report(
            "person deleted while made an author or publisher", broken, sum(s >= 500 for s in statuses), statuses
        )

    def test_a_person_and_a_source_each_deleted_twice_at_once_are_deleted_once(self):
        statuses, twice = [], 0
        for n in range(TRIALS):
            person = agent_named(f"Twice {n}")
            source = create_source(title=f"Twice {n}", text=sentences(1), url=f"https://twice.example/{n}")
            for model, path, pk in ((Agent, "/api/agents/", person.pk), (Source, "/api/sources/", source.pk)):
                answers = self.at_once(*[("DELETE", f"{path}{pk}/", None)] * 2, stagger=(n % 5) * 0.002)
                statuses += answers
                # One 204 and one 404 (deleted meanwhile), one deletion in the history.
                deletions = model.history.filter(id=pk, history_type="-").count()
                twice += deletions != 1 or sorted(answers) != [204, 404]
        self.report("person or source deleted twice at once", twice, sum(s >= 500 for s in statuses), statuses)

    def edited_while_deleted(self, race: str, model, objects: list, path: str, change: dict) -> None:
        """Each object deleted and changed at once through the API: a delete that answers 204 stays deleted."""
        statuses, back = [], 0
        for n, obj in enumerate(objects):
            answers = self.at_once(
                ("DELETE", f"{path}{obj.pk}/", None),
                ("PATCH", f"{path}{obj.pk}/", change),
                stagger=(n % 5) * 0.003,  # the change's save before and after the delete's commit
            )
            statuses += answers
            back += answers[0] == 204 and model.objects.filter(pk=obj.pk).exists()
        self.report(race, back, sum(s >= 500 for s in statuses), statuses)

    def test_a_person_changed_while_deleted_stays_deleted(self):
        people = [agent_named(f"Leaving {n}") for n in range(TRIALS)]
        self.edited_while_deleted("person changed while deleted", Agent, people, "/api/agents/", {"name": "Back"})

    def changed_in_the_admin_while_deleted(self, race: str, model, objects: list, path: str, forms: list) -> None:
        """Each object deleted through the API while its admin change form is posted: no 500, and a delete that
        answers 204 stays deleted."""
        statuses, back = [], 0
        for n, (obj, form) in enumerate(zip(objects, forms, strict=True)):
            answers = self.at_once(
                ("DELETE", f"/api/{path}/{obj.pk}/", None),
                self.admin_form(f"/admin/{model._meta.app_label}/{model._meta.model_name}/{obj.pk}/change/", form),
                stagger=(n % 5) * 0.003,  # the form's save before and after the delete's commit
            )
            statuses += answers
            back += answers[0] == 204 and model.objects.filter(pk=obj.pk).exists()
        self.report(race, back, sum(s >= 500 for s in statuses), statuses)

    def test_a_person_changed_in_the_admin_while_deleted_stays_deleted_without_a_server_error(self):
        people = [agent_named(f"Leaving {n}") for n in range(TRIALS)]
        forms = [{"name": f"Back {n}", "kind": p.kind, "aliases": "", "_save": "Save"} for n, p in enumerate(people)]
        self.changed_in_the_admin_while_deleted(
            "person changed in the admin while deleted", Agent, people, "agents", forms
        )

    def test_a_link_changed_in_the_admin_while_deleted_stays_deleted_without_a_server_error(self):
        links = links_across_two_sources()
        forms = [
            {"claim_a": link.claim_a_id, "claim_b": link.claim_b_id, "relation": link.relation, "note": "Back"}
            for link in links
        ]
        self.changed_in_the_admin_while_deleted("link changed in the admin while deleted", Link, links, "links", forms)

    def test_a_source_changed_while_deleted_stays_deleted(self):
        sources = [
            create_source(title=f"Leaving {n}", text=sentences(1), url=f"https://leaving.example/{n}")
            for n in range(TRIALS)
        ]
        self.edited_while_deleted("source changed while deleted", Source, sources, "/api/sources/", {"title": "Back"})

    def test_a_link_changed_while_deleted_stays_deleted(self):
        links = links_across_two_sources()
        self.edited_while_deleted("link changed while deleted", Link, links, "/api/links/", {"note": "Back"})

    def test_a_copy_deleted_while_it_is_changed_never_deadlocks(self):
        original = create_source(title="Original", text=sentences(1), url="https://original.example/")
        create_claim(source=original, quote="Sentence number 0 says")  # the copy's delete recounts it
        copies = []
        for n in range(TRIALS):
            copy = create_source(title=f"Copy {n}", text=sentences(1), url=f"https://copy.example/{n}")
            record_republication(copy=copy, original=original)
            copies.append(copy)
        self.edited_while_deleted("copy changed while deleted", Source, copies, "/api/sources/", {"title": "Back"})

    def test_a_source_deleted_while_a_new_capture_of_its_page_arrives_stays_deleted(self):
        statuses, back = [], 0
        for n in range(TRIALS):
            source = create_source(title=f"Page {n}", text=sentences(1), url=f"https://page.example/{n}")

            def recapture(source=source, n=n):
                page = sentences(2).encode()
                import_raw(
                    data=page, file_name=f"page{n}.txt", method=Capture.Method.TEXT, url=source.url, imported_by="t"
                )

            answers = self.at_once(("DELETE", f"/api/sources/{source.pk}/", None), recapture, stagger=(n % 5) * 0.003)
            statuses += answers
            # Deleted (204): the capture made a new source of the page; refused (409): the capture updated it.
            back += answers[0] == 204 and Source.objects.filter(pk=source.pk).exists()
        self.report("source deleted while its page is captured", back, sum(s >= 500 for s in statuses), statuses)
