import datetime
from collections.abc import Iterable

from django.db import transaction

from sources.dates import Precision
from sources.models import Agent, Source


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
) -> Source:
    """Validate and save a source with its authors."""
    source = Source(
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
    )
    source.full_clean()
    source.save()
    source.authors.set(authors)
    return source


def agent_named(name: str, *, kind: str = Agent.Kind.PERSON) -> Agent:
    """The person or organisation with this name, created when there is none."""
    agent = Agent.objects.filter(name__iexact=name).first()
    if agent is None:
        agent = Agent(name=name, kind=kind)
        agent.full_clean()
        agent.save()
    return agent
