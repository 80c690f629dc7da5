import datetime
from collections.abc import Iterable

from django.db import transaction
from django.db.models import Q

from common.history import named_person, one_history_record
from common.locks import AGENT_TREE, LINKS, deleted_meanwhile, hold, hold_lenders, locked_value, share_rows
from common.projects import place_in_sole_project, project_or_sole, same_project
from sources.dates import Precision
from sources.domains import registered_domain
from sources.models import (
    MAX_PARENT_DEPTH,
    Agent,
    DistinctPublishers,
    Membership,
    Project,
    Source,
    check_authors,
    share_lenders,
)
from sources.rules import require, require_for
from sources.signals import agents_merging, announce_voices_changed


@transaction.atomic
def create_source(
    *,
    title: str,
    text: str,
    raw_text: str = "",
    url: str = "",
    publisher: Agent | None = None,
    authors: Iterable[Agent] = (),
    published_on: datetime.date | None = None,
    published_on_precision: str = Precision.DAY,
    language: str = "",
    retrieved_at: datetime.datetime | None = None,
    notes: str = "",
    page_starts: list[int] | None = None,
    project: Project | None = None,
) -> Source:
    """Validate and save a source with its authors (`page_starts`: where each page of a PDF starts in the text), in
    `project` (the server's only one when not given)."""
    source = Source(
        project=project_or_sole(project),
        title=title,
        text=text,
        raw_text=raw_text,
        url=url,
        publisher=publisher,
        published_on=published_on,
        published_on_precision=published_on_precision,
        language=language,
        retrieved_at=retrieved_at,
        notes=notes,
        page_starts=page_starts or [],
    )
    return save_source(source, user=None, authors=authors)


def agent_named(name: str, *, kind: str = Agent.Kind.PERSON, project: Project | None = None, user=None) -> Agent:
    """The person or organisation with this name or alias in the project, created when there is none (by `user`,
    who must be allowed to add people; None for an importer acting as the system)."""
    project = project_or_sole(project)
    agent = named_agent(name, project=project)
    if agent is None:
        agent = save_agent(Agent(name=name, kind=kind, project=project), user=user)
    return agent


def named_agent(name: str, *, project: Project | None = None) -> Agent | None:
    """The person or organisation with this name or alias in the project, if any."""
    project = project_or_sole(project)
    agent = Agent.objects.in_project(project).filter(name__iexact=name.strip()).order_by("pk").first()
    if agent is None:
        agent = named_by_alias([name], project=project).get(name.strip().casefold())
    return agent


def named_by_alias(names: Iterable[str], *, project: Project) -> dict[str, Agent]:
    """The people and organisations of the project one of whose aliases is one of these names (case aside), by the
    name casefolded; the oldest when several are. In one query, for a whole batch of a claims import."""
    wanted = {name.strip().casefold(): name.strip() for name in names if name.strip()}
    if not wanted:
        return {}
    holding = Q()
    for name in wanted.values():
        holding |= Q(aliases__ilike_contains=name)  # the trigram index on aliases serves it (sources.lookups)
    found = {}
    for candidate in Agent.objects.in_project(project).filter(holding).order_by("-pk"):
        for alias in candidate.alias_list:
            if alias.casefold() in wanted:
                found[alias.casefold()] = candidate  # newest first: the oldest is written last
    return found


def _bare(name: str) -> str:
    name = name.strip(" .,").casefold()
    return name[4:] if name.startswith("the ") else name


@transaction.atomic
def publisher_named(name: str, *, renames: Iterable[tuple[str, str]] = (), project: Project | None = None) -> Agent:
    """The organisation publishing under this name. When the page states the publisher under another name too
    (`renames`: (former name, current name), as "X, now known as Y" says), both names are one organisation: the
    one found under either name gets the other as an alias, and two found are merged into the current name's."""
    project = project_or_sole(project)
    names = next(((old, new) for old, new in renames if _bare(name) in (_bare(old), _bare(new))), None)
    if names is None:
        return agent_named(name, kind=Agent.Kind.ORGANISATION, project=project)
    old, new = names
    candidates = (named_agent(n, project=project) for n in (new, old, name))
    found = {agent.pk: agent for agent in candidates if agent}
    if not found:
        return save_agent(Agent(name=new, kind=Agent.Kind.ORGANISATION, aliases=old, project=project), user=None)
    keep, *others = found.values()
    if others:
        keep = merge_agents(keep=keep, others=others)
    missing = [n for n in (new, old) if n.casefold() not in {a.casefold() for a in [keep.name, *keep.alias_list]}]
    if missing:
        keep.aliases = "\n".join([*keep.alias_list, *missing])
        keep._change_reason = f"Also known as {', '.join(missing)}, as an imported page states"
        save_agent(keep, user=None)
    return keep


def publisher_of_domain(url: str, *, project: Project | None = None) -> Agent | None:
    """The one publisher of the sources already on this URL's registered domain (asia.nikkei.com and nikkei.com),
    for a page that does not name its own; None when there are none, or several."""
    domain = registered_domain(url)
    if not domain:
        return None
    found = {
        publisher
        for other_url, publisher in Source.objects.in_project(project_or_sole(project))
        .filter(url__icontains=domain, publisher__isnull=False)
        .values_list("url", "publisher")
        .order_by()
        if registered_domain(other_url) == domain
    }
    return Agent.objects.get(pk=found.pop()) if len(found) == 1 else None


def sources_voiced_by(agent_ids: Iterable[int]) -> set[int]:
    """The sources whose voice depends on these people or organisations: written by them, or published by them
    or by an organisation below them."""
    level = agents = set(agent_ids)
    for _ in range(MAX_PARENT_DEPTH + 1):
        level = set(Agent.objects.filter(parent__in=level).values_list("pk", flat=True)) - agents
        if not level:
            break
        agents |= level
    return set(Source.objects.filter(Q(publisher__in=agents) | Q(authors__in=agents)).values_list("pk", flat=True))


def voices_changed_for_agents(agent_ids: Iterable[int]) -> None:
    """Announce that the sources these people or organisations voice may speak differently now."""
    announce_voices_changed(sources_voiced_by(agent_ids))


@transaction.atomic
def merge_agents(*, keep: Agent, others: Iterable[Agent], user=None) -> Agent:
    """Merge duplicate people or organisations into `keep`: everything that points at them (authors, publishers,
    speakers, parents, …) points at `keep`, their names become its aliases, and they are deleted, with the merge
    recorded in history. The apps built on sources move what they keep of the merged ones first (claims: their
    speakers, each claim's version and history), and are told which sources' voices changed."""
    others = [agent for agent in others if agent.pk != keep.pk]
    require(user, "sources.merge_agent", obj=keep)
    same_project(keep, *others, field="others")
    if not others:
        return keep
    ids = [agent.pk for agent in others]
    # The link lock before any row or lender's lock (common.locks' order): the merge moves claims' speakers and
    # sources' authors and publishers, then recounts under it; a rename or a delete takes it first too. Then the
    # agent-tree lock, as a change of an organisation's parent takes them: the merge moves organisations in the tree,
    # and one given a parent (or added under one) meanwhile would be checked against the tree as it was.
    hold(LINKS)
    hold(AGENT_TREE)
    # Then, before any claim's row (moving speakers locks them), in common.locks' order: the rows of the sources it
    # re-points (a claim being edited or made in one holds it, shared, while it waits for the claim's row or the
    # source's lender's lock), the account it is recorded under (a rename of it touches its claims), then the
    # lenders' locks of those sources and of the merged (a claim being made to name one waits, then finds them gone).
    repointed = set(Source.objects.filter(Q(publisher__in=ids) | Q(authors__in=ids)).values_list("pk", flat=True))
    share_rows(Source, repointed, to_change=True)
    share_lenders(accounts=[getattr(named_person(), "pk", None)])
    hold_lenders("source", repointed)
    hold_lenders("agent", ids)
    # The people's rows last, read again under them: a rename or a delete that went first is seen, not undone (the
    # kept one saved as the caller read it brought back a deleted row or an old name).
    if Agent.objects.select_for_update(no_key=True).filter(pk=keep.pk).order_by().first() is None:
        raise deleted_meanwhile(Agent)
    keep.refresh_from_db()
    others = list(Agent.objects.select_for_update().filter(pk__in=ids).order_by("pk"))  # those deleted left out
    ids = [agent.pk for agent in others]
    if not others:
        return keep
    affected = sources_voiced_by([keep.pk, *ids])
    # The kept one sat under a merged one, directly or further up: it takes the highest such one's place, under that
    # one's parent, before what sat under the merged ones is re-pointed to it (else a loop: the kept one under an
    # organisation that would sit under the kept one).
    above = _parents_above(keep)
    merged_above = [pk for pk in above if pk in ids]
    if merged_above:
        keep.parent_id = above[merged_above[-1]]
        Agent.objects.filter(pk=keep.pk).update(parent=keep.parent_id)
    agents_merging.send(sender=Agent, merged=ids, keep=keep.pk, reason=f"Speaker merged into {keep.name} (#{keep.pk})")
    for relation in Agent._meta.related_objects:
        if relation.many_to_many:
            _repoint_many(relation.through, relation.field, ids, keep.pk)
        else:
            model, name = relation.related_model, relation.field.name
            rows = model._default_manager.filter(**{f"{name}__in": ids})
            if model is Agent:
                rows = rows.exclude(pk=keep.pk)  # keep does not become its own parent
            rows.update(**{name: keep.pk})
    # What sat under the merged ones now hangs under the kept one, perhaps deeper than it sat: refused (rolled back)
    # when that passes the limit, as a new parent would be.
    keep.check_depth(levels_above=len(_parents_above(keep)))
    _repoint_distinct(ids, keep.pk)
    names = [keep.name, *keep.alias_list]
    for agent in others:
        for name in [agent.name, *agent.alias_list]:
            if name.casefold() not in (n.casefold() for n in names):
                names.append(name)
    wikidata = next((agent.wikidata_id for agent in others if agent.wikidata_id), "")
    for agent in others:
        agent._change_reason = f"Merged into {keep.name} (#{keep.pk})"
        agent.delete()
    keep.aliases = "\n".join(names[1:])
    keep.wikidata_id = keep.wikidata_id or wikidata
    merged = ", ".join(f"{agent.name} (#{pk})" for agent, pk in zip(others, ids, strict=True))
    keep._change_reason = f"Merged {merged} into this"
    keep.full_clean()
    keep.save()
    announce_voices_changed(affected)
    return keep


def _parents_above(agent: Agent) -> dict[int, int | None]:
    """The organisations above this one, nearest first, each with its own parent (a query a level; chains are at most
    MAX_PARENT_DEPTH deep)."""
    above, pk = {}, agent.parent_id
    while pk is not None and pk not in above and len(above) <= MAX_PARENT_DEPTH:
        parent = Agent.objects.filter(pk=pk).values_list("parent", flat=True).first()
        above[pk] = parent
        pk = parent
    return above


def _repoint_many(through, field, ids: list[int], keep: int) -> None:
    """Re-point a many-to-many table's rows from `ids` to `keep`, dropping rows `keep` already has."""
    here, there = field.m2m_field_name(), field.m2m_reverse_field_name()
    column = there if field.remote_field.model is Agent and field.model is not Agent else here
    other = here if column == there else there
    has = set(through.objects.filter(**{column: keep}).values_list(f"{other}_id", flat=True))
    for row in through.objects.filter(**{f"{column}__in": ids}).order_by("pk"):
        owner = getattr(row, f"{other}_id")
        if owner in has:
            row.delete()
        else:
            setattr(row, f"{column}_id", keep)
            row.save()
            has.add(owner)


def _repoint_distinct(ids: list[int], keep: int) -> None:
    pairs = {frozenset(p) for p in DistinctPublishers.objects.values_list("first_id", "second_id")}
    for mark in DistinctPublishers.objects.filter(Q(first__in=ids) | Q(second__in=ids)):
        first = keep if mark.first_id in ids else mark.first_id
        second = keep if mark.second_id in ids else mark.second_id
        if first == second or frozenset((first, second)) in pairs:
            mark.delete()
        else:
            pairs.discard(frozenset((mark.first_id, mark.second_id)))
            mark.first_id, mark.second_id = first, second
            mark.save()
            pairs.add(frozenset((first, second)))


@transaction.atomic
def delete_agent(*, agent: Agent, user=None) -> bool:
    """Delete a person or organisation; whether it was there to delete (one deleted or merged meanwhile is left
    alone: deleted once, its deletion recorded once). One that still speaks a claim, publishes a source or heads an
    organisation is refused by the database (PROTECT: ProtectedError); the sources it wrote lose an author, and every
    source whose voice it shaped is announced, so that the claims they touch are recounted."""
    require(user, "sources.delete_agent", obj=agent)
    # The link lock, its lender's lock, then its row, before looking for what still refers to it: the delete touches
    # the kept cells of the claims of the sources it wrote and recounts under the link lock, and a claim being made
    # to name it (which takes the lender's lock shared before it is validated, and key-shares the row at its commit)
    # is waited for, then refuses the delete (PROTECT), or waits and finds it gone, instead of failing at commit.
    hold(LINKS)
    hold_lenders("agent", [agent.pk])
    if locked_value(Agent, agent.pk, "id", to_change=True) is None:
        return False
    affected = sources_voiced_by([agent.pk])
    agent.delete()
    announce_voices_changed(affected)
    return True


@transaction.atomic
def mark_distinct(*, first: Agent, second: Agent, user=None) -> None:
    """Record a Reviewer's judgement that two publishers are distinct: no longer one voice by a shared domain,
    no longer proposed as duplicates."""
    require(user, "sources.merge_agent", obj=first)
    same_project(first, second, field="second")
    mark = DistinctPublishers(first=first, second=second, marked_by=user)
    mark.full_clean()
    mark.save()
    announce_voices_changed(sources_voiced_by([first.pk, second.pk]))


@transaction.atomic
def update_source(*, source: Source, authors: Iterable[Agent] | None = None, user=None, **changes) -> Source:
    """Change a source's fields (and its authors, when given) through save_source."""
    for name, value in changes.items():
        setattr(source, name, value)
    return save_source(source, user=user, authors=authors)


@transaction.atomic
def save_source(source: Source, *, user, authors: Iterable[Agent] | None = None) -> Source:
    """The one door for creating or changing a source (the admin's form and import, the API, the importers): the
    permission, validation (Source.clean: its text locked, and refused while claims are anchored in it), the write
    with its authors (None keeps them) as one history record, and, when its publisher, URL or authors changed, the
    announcement that its voice may have changed (the claims it touches are recounted)."""
    new = source.pk is None
    place_in_sole_project(source)
    require(user, "sources.add_source" if new else "sources.change_source", obj=source)
    if authors is not None:
        authors = list(authors)
        same_project(source, *authors, field="authors")
    voiced = None if new else Source.objects.filter(pk=source.pk).values("publisher", "url").first()
    before_authors = set() if new else set(source.authors.values_list("pk", flat=True))
    source.full_clean()  # the link lock, then the source's row (Source.clean)
    # The people it newly names lend its claims their names: their locks before any write touches its claims (a
    # rename of one of them, touching the claims it names, would otherwise wait for them while we wait for it).
    share_lenders(agents=[source.publisher_id, *(author.pk for author in authors or ())])
    check_authors(source, authors or ())  # under those locks: none deleted or merged since the caller read them
    with one_history_record(source):
        source.save()
        if authors is not None:
            source.authors.set(authors)
    after_authors = before_authors if authors is None else set(source.authors.values_list("pk", flat=True))
    if not new and (before_authors != after_authors or voiced != {"publisher": source.publisher_id, "url": source.url}):
        announce_voices_changed({source.pk})
    return source


@transaction.atomic
def delete_source(*, source: Source, user=None) -> bool:
    """Delete a source; whether it was there to delete (one deleted meanwhile is left alone). One with claims or
    captures, or republished elsewhere, is refused by the database (PROTECT: ProtectedError); a copy's republication
    goes with it, and the claims its voice touched are recounted."""
    require(user, "sources.delete_source", obj=source)
    # The link lock, then the row (common.locks' order), before looking for claims: a claim being written in it
    # (which reads its text under a share lock) is waited for and then refuses the delete (PROTECT), or waits and
    # finds the source gone, instead of one of them failing at its commit; and its copies' recount runs under it.
    hold(LINKS)
    if locked_value(Source, source.pk, "id", to_change=True) is None:
        return False
    affected = {source.pk, *Source.objects.filter(republication__original=source).values_list("pk", flat=True)}
    originals = set(Source.objects.filter(republications__copy=source).values_list("pk", flat=True))
    source.delete()
    announce_voices_changed((affected | originals) - {source.pk})
    return True


@transaction.atomic
def save_agent(agent: Agent, *, user, fields: Iterable[str] | None = None) -> Agent:
    """The one door for creating or changing a person or organisation (the admin's form and import, the API, the
    importers): the permission, validation (Agent.clean: no parent loop, under the agent-tree lock), one history
    record, and, when its parent, name or aliases changed, the announcement that its sources' voices may have.
    `fields`: the fields the caller changed (a form's); the others are written as the row stands at the write (None:
    all as the caller has them)."""
    new = agent.pk is None
    place_in_sole_project(agent)
    require(user, "sources.add_agent" if new else "sources.change_agent", obj=agent)
    watched = [name for name in ("parent", "name", "aliases") if fields is None or name in fields]
    before = None if new else Agent.objects.filter(pk=agent.pk).values("pk", *watched).first()
    agent.full_clean()
    given = {"parent": agent.parent_id, "name": agent.name, "aliases": agent.aliases}
    changed = not new and (before is None or any(before[name] != given[name] for name in watched))
    if changed:
        hold(LINKS)  # its sources' claims are recounted under it: taken before the claims its name touches
    if not agent._state.adding:
        # Its row, after the link lock as delete_agent takes them (no key lock: claims naming it need not wait).
        row = Agent.objects.select_for_update(no_key=True).filter(pk=agent.pk).order_by("pk")
        if row.values_list("pk", flat=True).first() is None:
            raise deleted_meanwhile(Agent)
        if fields is not None:
            # The fields the caller did not change, read again under the lock: a form posts every field back as it
            # read them, which would undo what a merge (the kept one's aliases) or another change wrote since.
            unchanged = [f.name for f in Agent._meta.concrete_fields if not f.primary_key and f.name not in fields]
            agent.refresh_from_db(fields=unchanged)
    agent.save()
    if changed:
        # The organisation above a publisher decides which sources speak with one voice; its names, which
        # publishers are likely duplicates (the counts say what deciding on one would change).
        voices_changed_for_agents([agent.pk])
    return agent


@transaction.atomic
def save_project(project: Project, *, user) -> Project:
    """The one door for a new or changed project (the project admin, create_project): the permission (a new one
    is a superuser's; a Manager may change their own's description, and its name and slug only if they see every
    project: sources.rename_project), validation, the write."""
    require(user, "sources.add_project" if project.pk is None else "sources.change_project", obj=project)
    stored = Project.objects.filter(pk=project.pk).values_list("name", "slug").first() if project.pk else None
    if stored is not None and stored != (project.name, project.slug):
        require(user, "sources.rename_project", obj=project)
    project.full_clean()
    project.save()
    return project


@transaction.atomic
def save_membership(membership: Membership, *, user) -> Membership:
    """The one door for a person's role in a project (the memberships admin, add_member): the permission asked in
    the membership's project (a Manager manages the members of their own projects only), validation, the write."""
    new = membership.pk is None
    require(user, "sources.add_membership" if new else "sources.change_membership", obj=membership)
    membership.full_clean()
    membership.save()
    return membership


@transaction.atomic
def delete_memberships(*, memberships: Iterable[Membership], user) -> int:
    """Take roles away (the memberships admin's delete and bulk delete), each asked in its project."""
    memberships = list(memberships)
    require_for(user, "sources.delete_membership", Membership, [m.pk for m in memberships])
    return Membership.objects.filter(pk__in=[m.pk for m in memberships]).delete()[0]
