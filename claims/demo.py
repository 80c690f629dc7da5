"""Demo data for `make run`, in two projects: short sources on the Kuril islands dispute (in the project named, or
the server's only one), and a short local story about a footbridge (in a project of its own, "Footbridge (demo)"),
so that the admin shows two projects, each with its own sources, people and tags.

Both are written by us for the demo: the publishers and authors are invented; the Kuril texts are our own summaries,
not copies of any article, and the footbridge story is made up.
"""

import datetime

from django.db import transaction

from claims.models import Claim, Link
from claims.services import create_claim, link_claims
from common.projects import project_or_sole
from sources.models import Agent, Project, Source
from sources.services import agent_named, create_source

SOURCES = [
    {
        "title": "Putin warns against US missile defence on the southern Kurils",
        "url": "https://demo.claimtrail.invalid/harbour-times/putin-missile-defence",
        "publisher": "Harbour Times (demo)",
        "authors": ["Mira Takeda (demo)"],
        "published_on": datetime.date(2017, 6, 2),
        "text": (
            "Russia's president set out a hard line on the disputed islands this week.\n\n"
            "Meeting heads of news agencies in St Petersburg on 1 June 2017, Vladimir Putin said that "
            "placing elements of the American missile-defence system on the islands would be "
            "“absolutely unacceptable” to Moscow.\n\n"
            "He added that Russia was still ready to discuss joint economic activity with Japan."
        ),
        "claims": [
            {
                "quote": "placing elements of the American missile-defence system on the islands would be "
                "“absolutely unacceptable” to Moscow",
                "speaker": "Vladimir Putin",
                "claimed_on": datetime.date(2017, 6, 1),
                "kind": Claim.Kind.PARAPHRASE,
                "statement": "US missile-defence elements on the islands would be unacceptable to Russia.",
                "status": Claim.Status.REVIEWED,
                "tags": ["security"],
            },
            {
                "quote": "Russia was still ready to discuss joint economic activity with Japan",
                "speaker": "Vladimir Putin",
                "claimed_on": datetime.date(2017, 6, 1),
                "kind": Claim.Kind.REPORTED,
                "tags": ["economy"],
            },
        ],
    },
    {
        "title": "Moscow links island talks to US bases",
        "url": "https://demo.claimtrail.invalid/northern-ledger/island-talks-bases",
        "publisher": "Northern Ledger (demo)",
        "authors": ["Ivan Petrov (demo)"],
        "published_on": datetime.date(2017, 6, 1),
        "text": (
            "In remarks to international news agencies on 1 June, the Russian leader said he could not accept "
            "US anti-missile systems being deployed on the Kuril islands.\n\n"
            "Officials in Tokyo said the alliance with Washington was not aimed at Russia."
        ),
        "claims": [
            {
                "quote": "he could not accept US anti-missile systems being deployed on the Kuril islands",
                "speaker": "Vladimir Putin",
                "claimed_on": datetime.date(2017, 6, 1),
                "kind": Claim.Kind.REPORTED,
                "tags": ["security"],
            },
            {
                "quote": "the alliance with Washington was not aimed at Russia",
                "speaker": "Government of Japan",
                "speaker_kind": Agent.Kind.ORGANISATION,
                "claimed_on": datetime.date(2017, 6, 1),
                "kind": Claim.Kind.REPORTED,
            },
        ],
    },
    {
        "title": "Joint projects on the islands: an analysis",
        "url": "https://demo.claimtrail.invalid/pacific-review/joint-projects",
        "publisher": "Pacific Review (demo)",
        "authors": ["Kenji Mori (demo)"],
        "published_on": datetime.date(2017, 6, 1),
        "published_on_precision": "month",
        "text": (
            "Since December 2016 the two governments have talked about joint economic projects on the islands.\n\n"
            "Moscow has never objected to a US military presence anywhere in the region, this analysis argues.\n\n"
            "Fisheries, tourism and wind power have been named as possible areas of work."
        ),
        "claims": [
            {
                "quote": "Moscow has never objected to a US military presence anywhere in the region",
                "kind": Claim.Kind.AUTHOR_ASSERTION,
                "status": Claim.Status.DISPUTED,
                "claimed_on": datetime.date(2017, 6, 1),
                "claimed_on_precision": "month",
            },
            {
                "quote": "Since December 2016 the two governments have talked about joint economic projects",
                "kind": Claim.Kind.AUTHOR_ASSERTION,
                "claimed_on": datetime.date(2017, 6, 1),
                "claimed_on_precision": "month",
                "tags": ["economy"],
            },
        ],
    },
]

LINKS = [
    # (source index, claim index), (source index, claim index), relation, note
    ((0, 0), (1, 0), Link.Relation.CORROBORATES, "Both report the 1 June remark on missile defence."),
    ((0, 0), (2, 0), Link.Relation.CONTRADICTS, "The analysis says Moscow never objected."),
    ((0, 1), (2, 1), Link.Relation.CORROBORATES, "Both mention talks on joint economic activity."),
]

# The second project: a made-up town, a made-up footbridge, made-up people.
SECOND_PROJECT = {
    "slug": "footbridge-demo",
    "name": "Footbridge (demo)",
    "description": "A made-up local story, to show a second project: its sources, people and tags are its own.",
}
SECOND_SOURCES = [
    {
        "title": "Old mill footbridge to close for repairs",
        "url": "https://demo.claimtrail.invalid/riverside-gazette/footbridge-closes",
        "publisher": "Riverside Gazette (demo)",
        "authors": ["Ana Lindqvist (demo)"],
        "published_on": datetime.date(2024, 3, 4),
        "text": (
            "The wooden footbridge by the old mill will close on 18 March, the town council said on Monday.\n\n"
            "Council engineer Tomas Brenner said the repairs would take about six weeks and cost 40,000 euros.\n\n"
            "Walkers will be sent round by the road bridge, a detour of ten minutes."
        ),
        "claims": [
            {
                "quote": "the repairs would take about six weeks and cost 40,000 euros",
                "speaker": "Tomas Brenner (demo)",
                "claimed_on": datetime.date(2024, 3, 4),
                "kind": Claim.Kind.REPORTED,
                "tags": ["budget"],
            },
            {
                "quote": "The wooden footbridge by the old mill will close on 18 March",
                "speaker": "Millbrook Town Council (demo)",
                "speaker_kind": Agent.Kind.ORGANISATION,
                "claimed_on": datetime.date(2024, 3, 4),
                "kind": Claim.Kind.REPORTED,
                "tags": ["transport"],
            },
        ],
    },
    {
        "title": "Footbridge repairs: residents ask why the bill doubled",
        "url": "https://demo.claimtrail.invalid/valley-voice/footbridge-bill",
        "publisher": "Valley Voice (demo)",
        "authors": ["Sam Okafor (demo)"],
        "published_on": datetime.date(2024, 3, 11),
        "text": (
            "At a packed meeting on Thursday, Tomas Brenner told residents that the work on the mill footbridge "
            "would cost about 80,000 euros, twice the first estimate.\n\n"
            "He said rotten beams had been found under the deck."
        ),
        "claims": [
            {
                "quote": "the work on the mill footbridge would cost about 80,000 euros",
                "speaker": "Tomas Brenner (demo)",
                "claimed_on": datetime.date(2024, 3, 7),
                "kind": Claim.Kind.REPORTED,
                "status": Claim.Status.DISPUTED,
                "tags": ["budget"],
            },
        ],
    },
]
SECOND_LINKS = [
    ((0, 0), (1, 0), Link.Relation.CONTRADICTS, "40,000 euros, then 80,000 euros a week later."),
]


@transaction.atomic
def load_demo(project: Project | None = None) -> int:
    """Create the demo sources, claims and links unless they are there already; returns sources created. The Kuril
    story goes into `project` (the server's only one when not given; asked only when the demo is not there yet),
    the footbridge story into a project of its own."""
    if Source.objects.filter(url=SOURCES[0]["url"]).exists():
        return 0
    project = project_or_sole(project)
    second, _ = Project.objects.get_or_create(
        slug=SECOND_PROJECT["slug"],
        defaults={"name": SECOND_PROJECT["name"], "description": SECOND_PROJECT["description"]},
    )
    story(project, SOURCES, LINKS)
    story(second, SECOND_SOURCES, SECOND_LINKS)
    return len(SOURCES) + len(SECOND_SOURCES)


def story(project: Project, sources: list[dict], links: list[tuple]) -> None:
    """One project's demo sources, their claims, and the links between them."""
    claims = []
    for spec in sources:
        source = create_source(
            project=project,
            title=spec["title"],
            text=spec["text"],
            raw_text=spec["text"],
            url=spec["url"],
            publisher=agent_named(spec["publisher"], kind=Agent.Kind.ORGANISATION, project=project),
            authors=[agent_named(name, project=project) for name in spec["authors"]],
            published_on=spec["published_on"],
            published_on_precision=spec.get("published_on_precision", "day"),
            language="en",
            notes="Demo source written for Claimtrail.",
        )
        claims.append(
            [
                create_claim(
                    source=source,
                    quote=c["quote"],
                    speaker=agent_named(c["speaker"], kind=c.get("speaker_kind", Agent.Kind.PERSON), project=project)
                    if "speaker" in c
                    else None,
                    claimed_on=c.get("claimed_on"),
                    claimed_on_precision=c.get("claimed_on_precision", "day"),
                    kind=c["kind"],
                    status=c.get("status", Claim.Status.DRAFT),
                    statement=c.get("statement", ""),
                    tags=c.get("tags", ()),
                )
                for c in spec["claims"]
            ]
        )
    for (sa, ca), (sb, cb), relation, note in links:
        link_claims(claim_a=claims[sa][ca], claim_b=claims[sb][cb], relation=relation, note=note)
