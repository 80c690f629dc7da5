"""Demo data for `make run`: short sources on the Kuril islands dispute, written by us for the demo.

The publishers and authors are invented; the texts are our own summaries, not copies of any article.
"""

import datetime

from django.db import transaction

from claims.models import Claim, Link
from claims.services import create_claim, link_claims
from sources.models import Agent, Source
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


@transaction.atomic
def load_demo() -> int:
    """Create the demo sources, claims and links unless they are there already; returns sources created."""
    if Source.objects.filter(url=SOURCES[0]["url"]).exists():
        return 0
    claims = []
    for spec in SOURCES:
        source = create_source(
            title=spec["title"],
            text=spec["text"],
            raw_text=spec["text"],
            url=spec["url"],
            publisher=agent_named(spec["publisher"], kind=Agent.Kind.ORGANISATION),
            authors=[agent_named(name) for name in spec["authors"]],
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
                    speaker=agent_named(c["speaker"], kind=c.get("speaker_kind", Agent.Kind.PERSON))
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
    for (sa, ca), (sb, cb), relation, note in LINKS:
        link_claims(claim_a=claims[sa][ca], claim_b=claims[sb][cb], relation=relation, note=note)
    return len(SOURCES)
