"""The organisation tree (an organisation's parent) while organisations are merged or deleted, under parallel requests
to a live server (PostgreSQL): no organisation ends up its own ancestor, no chain is deeper than MAX_PARENT_DEPTH, and
no request answers 5xx (a deadlock, or a parent's foreign key failing at commit)."""

import unittest

from django.db import connection
from django.test import LiveServerTestCase

from sources.models import MAX_PARENT_DEPTH, Agent
from sources.services import agent_named, save_agent
from tests.races import TRIALS, ApiRequestsAtOnce

ORGANISATION = Agent.Kind.ORGANISATION


def organisations(n: int, *names: str, parent: Agent | None = None) -> list[Agent]:
    """Organisations of trial n, each under the one before it (the first under `parent`)."""
    made = []
    for name in names:
        agent = agent_named(f"{name} {n}", kind=ORGANISATION)
        if parent is not None:
            agent.parent = parent
            save_agent(agent, user=None)
        made.append(agent)
        parent = agent
    return made


def out_of_the_tree() -> list[str]:
    """The organisations that are their own ancestor or sit under more than MAX_PARENT_DEPTH others."""
    parents = dict(Agent.objects.values_list("pk", "parent"))
    broken = []
    for pk in parents:
        above, current = [], parents[pk]
        while current is not None and current != pk and current not in above:
            above.append(current)
            current = parents.get(current)
        if current is not None or len(above) > MAX_PARENT_DEPTH:
            broken.append(f"#{pk} under {above}")
    return broken


@unittest.skipUnless(
    connection.vendor == "postgresql",
    "SQLite lets one writer in at a time, so parallel requests cannot race; this needs PostgreSQL (DATABASE_URL).",
)
class TreeRaceTests(ApiRequestsAtOnce, LiveServerTestCase):
    def tearDown(self):
        self.assertEqual(out_of_the_tree(), [], "organisations in a loop or too deep after the races")

    def given_parent(self, agent: Agent, parent: Agent, n: int):
        """A change of `agent`'s parent: its admin change form in even trials, the API in odd ones."""
        if n % 2:
            return ("PATCH", f"/api/agents/{agent.pk}/", {"parent": parent.pk})
        form = {"name": agent.name, "kind": agent.kind, "aliases": agent.aliases, "parent": parent.pk, "_save": "Save"}
        return self.admin_form(f"/admin/sources/agent/{agent.pk}/change/", form)

    def added_under(self, parent: Agent, name: str, n: int):
        """A new organisation under `parent`: the admin's add form in even trials, the API in odd ones."""
        if n % 2:
            return ("POST", "/api/agents/", {"name": name, "kind": ORGANISATION, "parent": parent.pk})
        form = {"project": parent.project_id, "name": name, "kind": ORGANISATION, "aliases": "", "parent": parent.pk}
        return self.admin_form("/admin/sources/agent/add/", {**form, "_save": "Save"})

    def test_an_organisation_put_under_one_being_merged_into_it_makes_no_loop(self):
        statuses, broken = [], 0
        for n in range(TRIALS):
            # The kept one put under a desk of the merged one: merged first, the desk is the kept one's and the change
            # is refused (a loop); changed first, the kept one takes the merged one's place above the desk.
            keep, (merged, desk) = agent_named(f"Herald {n}", kind=ORGANISATION), organisations(n, "Tribune", "Desk")
            statuses += self.at_once(
                self.merged(keep, merged), self.given_parent(keep, desk, n), stagger=(n % 5) * 0.004
            )
            broken += Agent.objects.filter(pk=merged.pk).exists()
        self.report("an organisation put under one merged into it", broken, sum(s >= 500 for s in statuses), statuses)

    def test_an_organisation_added_under_one_being_merged_sits_within_the_limit(self):
        statuses, broken = [], 0
        for n in range(TRIALS):
            # The kept one already sits under three; the merged one's desk comes under it, at the limit: a bureau added
            # under that desk at the same time would be one too deep, whichever goes first.
            *_, keep = organisations(n, "Holding", "Group", "Chain", "Gazette")
            merged, desk = organisations(n, "Courier", "Desk")
            statuses += self.at_once(
                self.merged(keep, merged), self.added_under(desk, f"Bureau {n}", n), stagger=(n % 5) * 0.004
            )
            # Either the merge or the bureau is refused: not both kept.
            broken += not Agent.objects.filter(pk=merged.pk).exists() and Agent.objects.filter(parent=desk).exists()
        self.report(
            "an organisation added under a desk merged deeper", broken, sum(s >= 500 for s in statuses), statuses
        )

    def test_an_organisation_added_under_one_merged_meanwhile_answers_without_a_server_error(self):
        statuses, broken = [], 0
        for n in range(TRIALS):
            keep, merged = (agent_named(f"{name} {n}", kind=ORGANISATION) for name in ("Sentinel", "Sun"))
            statuses += self.at_once(
                self.merged(keep, merged), self.added_under(merged, f"Bureau {n}", n), stagger=(n % 5) * 0.004
            )
            broken += Agent.objects.filter(pk=merged.pk).exists()
        self.report("an organisation added under one merged", broken, sum(s >= 500 for s in statuses), statuses)

    def test_two_merges_in_one_tree_at_once_make_no_loop(self):
        statuses, broken = [], 0
        for n in range(TRIALS):
            # The kept one of the first merge sits under a desk of the one merged into it; the second merges another
            # organisation, with a desk of its own, into that desk.
            top, desk, keep = organisations(n, "Times", "Desk", "Weekly")
            other, _ = organisations(n, "Bulletin", "Bulletin desk")
            statuses += self.at_once(self.merged(keep, top), self.merged(desk, other), stagger=(n % 5) * 0.004)
            broken += Agent.objects.filter(pk__in=[top.pk, other.pk]).exists()
        self.report("two merges in one tree", broken, sum(s >= 500 for s in statuses), statuses)

    def test_an_organisation_given_a_parent_deleted_meanwhile_answers_without_a_server_error(self):
        statuses, broken = [], 0
        for n in range(TRIALS):
            (parent,), (agent,) = organisations(n, "Leaving"), organisations(n, "Staying")
            change = self.given_parent(agent, parent, n) if n % 4 < 2 else self.added_under(parent, f"New {n}", n)
            answers = self.at_once(("DELETE", f"/api/agents/{parent.pk}/", None), change, stagger=(n % 5) * 0.003)
            statuses += answers
            broken += answers[0] == 204 and Agent.objects.filter(pk=parent.pk).exists()
        self.report("organisation given a parent deleted meanwhile", broken, sum(s >= 500 for s in statuses), statuses)
