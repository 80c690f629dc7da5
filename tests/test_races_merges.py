"""Merges of people and organisations (the admin's "Merge selected", sources.services.merge_agents) while others
write what names them, under parallel requests to a live server (PostgreSQL): no request answers 5xx (a deadlock, or
a foreign key failing at commit), nothing deleted comes back, no change is lost, and the stored counts and kept cells
are right afterwards."""

import unittest

from django.contrib.auth.models import User
from django.db import connection
from django.test import LiveServerTestCase

from claims.corroboration.counting import recount_all
from claims.exchange.stored_cells import stale_cells
from claims.models import Claim
from claims.services import create_claim
from sources.models import Agent
from sources.services import agent_named, create_source, merge_agents, save_agent
from tests.races import TRIALS, ApiRequestsAtOnce
from tests.test_csv_import import csv_text, import_text
from tests.test_races_deletes import sentences

ORGANISATION = Agent.Kind.ORGANISATION


def speaking(person: Agent, n: int) -> Claim:
    """A claim spoken by `person` in a source of its own (trial n): a merge moves it, a delete is refused by it."""
    source = create_source(title=f"Spoken {n}", text=sentences(1), url=f"https://spoken.example/{n}")
    return create_claim(source=source, quote="Sentence number 0 says", speaker=person)


@unittest.skipUnless(
    connection.vendor == "postgresql",
    "SQLite lets one writer in at a time, so parallel requests cannot race; this needs PostgreSQL (DATABASE_URL).",
)
class MergeRaceTests(ApiRequestsAtOnce, LiveServerTestCase):
    def tearDown(self):
        self.assertEqual(recount_all(repair=False), {}, "stored counts wrong after the races")
        self.assertEqual(stale_cells(), {}, "kept cells stale after the races")

    def merged_as_duplicates(self, keep: Agent, other: Agent):
        """The duplicates page's Merge of `other` into `keep`, confirmed, for at_once."""
        form = {"first": keep.pk, "second": other.pk, "choice": "merge", "confirm": "yes"}
        return self.admin_form("/admin/sources/agent/duplicates/", form)

    def test_claims_of_a_merged_speaker_edited_and_made_while_it_is_merged_answer_without_a_server_error(self):
        statuses, broken = [], 0
        for n in range(TRIALS):
            other, keep = (agent_named(f"{name} {n}", kind=ORGANISATION) for name in ("Ministry", "The Ministry"))
            url = f"https://said.example/{n}"
            source = create_source(title=f"Said {n}", text=sentences(3), url=url, publisher=other)
            claim = create_claim(source=source, quote="Sentence number 0 says", speaker=other)
            statuses += self.at_once(
                self.merged(keep, other),
                ("PATCH", f"/api/claims/{claim.pk}/", {"statement": f"Edit {n}", "version": claim.version}),
                ("POST", "/api/claims/", {"source": source.pk, "quote": "Sentence number 1 says", "speaker": other.pk}),
                ("POST", "/api/claims/", {"source": source.pk, "quote": "Sentence number 2 says", "speaker": keep.pk}),
                stagger=(n % 5) * 0.003,  # the claims' writes before and after the merge's
            )
            broken += Agent.objects.filter(pk=other.pk).exists()  # the merge itself never has a reason to fail
        self.report(
            "a speaker's claims edited and made while merged", broken, sum(s >= 500 for s in statuses), statuses
        )

    def test_claims_imported_naming_a_speaker_merged_or_deleted_meanwhile_import_without_a_failure(self):
        root = User.objects.create_superuser("root-importer")
        statuses, failed = [], []
        for n in range(TRIALS):
            other, keep = (agent_named(f"{name} {n}") for name in ("Ida Moe", "Ida K. Moe"))
            text = " ".join(f"Row {n}.{i} is here." for i in range(10))
            source = create_source(title=f"Rows {n}", text=text, url=f"https://rows.example/{n}")
            rows = [[str(source.pk), f"Row {n}.{i} is here.", other.name] for i in range(10)]
            # Work for the merge (claims they spoke to move) and the delete (sources they wrote, whose claims are
            # recounted), to hold the speaker's lock a while.
            spoken = create_source(title=f"Spoken {n}", text=sentences(20), url=f"https://spoken.example/{n}")
            for k in range(20):
                create_claim(source=spoken, quote=f"Sentence number {k} says", speaker=other if n % 2 else None)
                if n % 2 == 0 and k < 10:
                    url = f"https://by.example/{n}/{k}"
                    create_source(title=f"By {n}.{k}", text=sentences(1), url=url, authors=[other])

            def run_import(rows=rows) -> None:
                report = import_text(csv_text(["source_id", "quote", "speaker"], rows), user=root)
                if not report.ok:
                    failed.append(report.problems)

            # The speaker merged into another (the admin) or deleted (the API) while the claims naming them import.
            change = self.merged(keep, other) if n % 2 else ("DELETE", f"/api/agents/{other.pk}/", None)
            statuses += self.at_once(change, run_import, stagger=(n % 10) * 0.004)
        imported = Claim.objects.filter(quote__startswith="Row ").count()
        self.report(
            "claims imported naming a speaker merged or deleted", len(failed), sum(s >= 500 for s in statuses), statuses
        )
        self.assertEqual(imported, 10 * TRIALS)

    def test_sources_of_a_merged_person_changed_and_linked_while_they_are_merged_answer_without_a_server_error(self):
        elsewhere = create_source(title="Elsewhere", text=sentences(TRIALS, "boat"), url="https://else.where/")
        statuses, broken = [], 0
        for n in range(TRIALS):
            other, keep, third = (agent_named(f"{name} {n}") for name in ("Ann Lee", "Ann B. Lee", "Bo Ek"))
            written = create_source(title=f"By {n}", text=sentences(1), url=f"https://by.example/{n}", authors=[other])
            another = create_source(title=f"Of {n}", text=sentences(1), url=f"https://of.example/{n}", authors=[third])
            claim = create_claim(source=written, quote="Sentence number 0 says")
            partner = create_claim(source=elsewhere, quote=f"Sentence number {n} says")
            statuses += self.at_once(
                self.merged(keep, other),
                ("PATCH", f"/api/sources/{written.pk}/", {"title": f"By {n}, retitled"}),
                self.admin_form(
                    f"/admin/sources/source/{another.pk}/change/",
                    {"title": another.title, "url": another.url, "text": another.text, "authors": [third.pk, other.pk]},
                ),
                ("POST", "/api/sources/", {"title": f"New {n}", "text": sentences(1), "authors": [other.pk]}),
                ("POST", "/api/links/", {"claim_a": claim.pk, "claim_b": partner.pk}),
                stagger=(n % 5) * 0.003,
            )
            # Merged: what the merged one wrote is the kept one's; an edit of its title does not take that away.
            broken += Agent.objects.filter(pk=other.pk).exists() or keep not in written.authors.all()
        self.report(
            "a person's sources changed and linked while merged", broken, sum(s >= 500 for s in statuses), statuses
        )

    def test_people_renamed_while_they_are_merged_keep_their_new_names(self):
        statuses, lost = [], 0
        for n in range(TRIALS):
            other, keep = (agent_named(f"{name} {n}") for name in ("Jo Park", "Joanna Park"))
            speaking(other, n)
            renamed, name = (keep, f"Joanna K. Park {n}") if n % 2 else (other, f"J. Park {n}")
            answers = self.at_once(
                ("PATCH", f"/api/agents/{renamed.pk}/", {"name": name}),
                # The people as the caller read them before (the admin's action, an import's publisher_named).
                lambda keep=keep, other=other: merge_agents(keep=keep, others=[other]),
                stagger=(n % 5) * 0.005,  # the merge before, during and after the rename
            )
            statuses += answers
            kept = Agent.objects.get(pk=keep.pk)
            # A rename that answered 200 is not undone: the kept one keeps its new name, the merged one's new name is
            # an alias of the kept one (a rename after the merge finds the merged one gone, 400).
            lost += answers[0] == 200 and name not in (kept.name, *kept.alias_list)
        self.report("people renamed while merged", lost, sum(s >= 500 for s in statuses), statuses)

    def test_a_person_renamed_while_another_is_merged_into_them_keeps_the_merged_ones_names(self):
        statuses, lost = [], 0
        for n in range(TRIALS):
            other, keep = (agent_named(f"{name} {n}") for name in ("Sam Fox", "Samuel Fox"))
            speaking(other, n)
            statuses += self.at_once(
                ("PATCH", f"/api/agents/{keep.pk}/", {"name": f"Samuel J. Fox {n}"}),
                self.merged(keep, other),
                stagger=(n % 5) * 0.005,  # the merge before, during and after the rename's request
            )
            kept = Agent.objects.get(pk=keep.pk)
            # The rename sent the kept one's other fields as it read them: merged meanwhile, its aliases came back.
            lost += kept.name != f"Samuel J. Fox {n}" or f"Sam Fox {n}" not in kept.alias_list
        self.report(
            "a person renamed while another is merged into them", lost, sum(s >= 500 for s in statuses), statuses
        )

    def test_a_person_deleted_while_another_is_merged_into_them_stays_deleted(self):
        statuses, back = [], 0
        for n in range(TRIALS):
            other, keep = (agent_named(f"{name} {n}") for name in ("Al Roe", "Alan Roe"))
            speaking(other, n)
            merge = self.merged(keep, other) if n % 2 else self.merged_as_duplicates(keep, other)
            answers = self.at_once(("DELETE", f"/api/agents/{keep.pk}/", None), merge, stagger=(n % 5) * 0.003)
            statuses += answers
            # Deleted (204): the merge is refused; the merge first: the delete is refused (409, a claim names them).
            back += answers[0] == 204 and Agent.objects.filter(pk=keep.pk).exists()
        self.report("person deleted while merged into", back, sum(s >= 500 for s in statuses), statuses)

    def test_a_person_deleted_while_merged_into_another_is_deleted_once_and_not_merged(self):
        statuses, broken = [], 0
        for n in range(TRIALS):
            other, keep = (agent_named(f"{name} {n}") for name in ("Eve Ng", "Evelyn Ng"))
            answers = self.at_once(
                ("DELETE", f"/api/agents/{other.pk}/", None), self.merged(keep, other), stagger=(n % 5) * 0.003
            )
            statuses += answers
            deletions = Agent.history.filter(id=other.pk, history_type="-").count()
            # Deleted by the delete (204): not merged (no alias, one deletion in its history); else by the merge.
            merged = f"Eve Ng {n}" in Agent.objects.get(pk=keep.pk).alias_list
            broken += deletions != 1 or merged == (answers[0] == 204)
        self.report("person deleted while merged", broken, sum(s >= 500 for s in statuses), statuses)

    def test_two_merges_one_into_the_other_lose_no_name_and_bring_back_no_one(self):
        statuses, broken = [], 0
        for n in range(TRIALS):
            first, second, third = (agent_named(f"{name} {n}") for name in ("Kim Ha", "Kim H. Ha", "Kim Hyun Ha"))
            source = create_source(title=f"Spoken {n}", text=sentences(2), url=f"https://spoken.example/{n}")
            create_claim(source=source, quote="Sentence number 0 says", speaker=first)
            create_claim(source=source, quote="Sentence number 1 says", speaker=second)
            # Through the admin's action and its duplicates page.
            statuses += self.at_once(
                self.merged(second, first), self.merged_as_duplicates(third, second), stagger=(n % 5) * 0.003
            )
            # The second is merged into the third, whichever went first; the first, into the second before that (its
            # name then reaches the third), or not at all (the second was gone).
            left = set(Agent.objects.filter(pk__in=[first.pk, second.pk]).values_list("pk", flat=True))
            names = Agent.objects.get(pk=third.pk).alias_list
            broken += second.pk in left or (first.pk not in left and first.name not in names)
        self.report("two merges one into the other", broken, sum(s >= 500 for s in statuses), statuses)

    def test_organisations_given_parents_while_others_are_merged_never_deadlock(self):
        # A merge validates the kept organisation (its parent read under the agent-tree lock) under the link lock; a
        # change of an organisation's parent takes both too.
        group = agent_named("Media Group", kind=ORGANISATION)
        statuses, broken = [], 0
        for n in range(TRIALS):
            other, keep, desk = (agent_named(f"{name} {n}", kind=ORGANISATION) for name in ("Post", "The Post", "Desk"))
            keep.parent = group
            save_agent(keep, user=None)
            source = create_source(title=f"Posted {n}", text=sentences(2), url=f"https://post.example/{n}")
            for k in range(2):
                create_claim(source=source, quote=f"Sentence number {k} says", speaker=other)
            statuses += self.at_once(
                self.merged(keep, other),
                ("PATCH", f"/api/agents/{desk.pk}/", {"parent": group.pk}),
                stagger=(n % 10) * 0.005,  # the parent's change before, during and after the merge
            )
            broken += Agent.objects.filter(pk=other.pk).exists()
        self.report("organisations given parents while merged", broken, sum(s >= 500 for s in statuses), statuses)

    def test_a_pair_merged_either_way_at_once_leaves_one_with_both_names(self):
        statuses, broken = [], 0
        for n in range(TRIALS):
            first, second = (agent_named(f"{name} {n}", kind=ORGANISATION) for name in ("Daily Star", "The Daily Star"))
            source = create_source(title=f"Starred {n}", text=sentences(1), url=f"https://star.example/{n}")
            create_claim(source=source, quote="Sentence number 0 says", speaker=second)
            # Two reviewers on the duplicates page, one clicking Merge each way.
            statuses += self.at_once(
                self.merged_as_duplicates(first, second),
                self.merged_as_duplicates(second, first),
                stagger=(n % 5) * 0.003,
            )
            left = list(Agent.objects.filter(pk__in=[first.pk, second.pk]))
            names = [name for agent in left for name in (agent.name, *agent.alias_list)]
            broken += len(left) != 1 or not {first.name, second.name} <= set(names)
        self.report("a pair merged either way at once", broken, sum(s >= 500 for s in statuses), statuses)

    def test_people_merged_while_the_account_merging_them_is_renamed_never_deadlocks(self):
        statuses = []
        source = create_source(title="Spoken", text=sentences(4 * TRIALS), url="https://spoken.example/")
        for n in range(TRIALS):
            other, keep = (agent_named(f"{name} {n}") for name in ("Li Wu", "Li W. Wu"))
            for k in range(4):
                quote = f"Sentence number {4 * n + k} says"
                create_claim(source=source, quote=quote, speaker=other, created_by=self.reviewer)
            statuses += self.at_once(
                self.merged(keep, other), lambda n=n: self.rename_account(f"rita_{n}"), stagger=(n % 5) * 0.003
            )
        self.report("people merged, the account merging renamed", 0, sum(s >= 500 for s in statuses), statuses)
        self.assertEqual(Claim.objects.filter(speaker__name__startswith="Li W. Wu").count(), 4 * TRIALS)
