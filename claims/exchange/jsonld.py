"""Claims in standard JSON-LD shapes.

- Every claim as a W3C Web Annotation (https://www.w3.org/TR/annotation-model/): the source is
  the target, located by a TextQuoteSelector (exact, prefix, suffix) and a TextPositionSelector
  (start, end in code points, end exclusive: the same convention as `Claim.start`/`end`). A claim in a
  PDF also gets a FragmentSelector per page it stands on, `page=N` as RFC 8118 defines for application/pdf
  (the W3C model writes the fragment without its "#"), so a PDF viewer opens the page.
- Reviewed or rated claims also as a schema.org ClaimReview of a schema.org Claim: the speaker is the
  claim's author, `claimed_on` its datePublished, the source its appearance; the rating its
  reviewRating (1 to 5), the reviewing organisation (settings.CLAIMREVIEW_AUTHOR_NAME) its author, and
  its url the claim's public page (settings.PUBLIC_URL), never the admin.
- Both carry the claim's stored corroboration counts as schema.org PropertyValues (`additionalProperty`), each
  named by its CSV column (`propertyID`): in the annotation with the `schema:` prefix that the Web Annotation
  context defines, in the ClaimReview on the reviewed Claim.
"""

import json
from collections.abc import Callable, Iterable, Iterator

from django.conf import settings
from django.urls import reverse

from claims.models import COUNT_FIELDS, Claim
from sources.models import Agent, Source

WEB_ANNOTATION_CONTEXT = "http://www.w3.org/ns/anno.jsonld"
SCHEMA_CONTEXT = "https://schema.org"
CONTEXT_CHARS = 32  # how much text the prefix and suffix carry
PDF_FRAGMENTS = "http://tools.ietf.org/rfc/rfc8118"  # the application/pdf media type's fragment identifiers
REVIEWED = {Claim.Status.REVIEWED, Claim.Status.DISPUTED, Claim.Status.RETRACTED}
# The stored counts, by their CSV column, with the names the claim page gives them.
COUNT_NAMES = dict(
    zip(
        COUNT_FIELDS,
        ["corroborating sources", "independent voices", "unverified sources", "contradicting sources"],
        strict=True,
    )
)


def claim_iri(claim: Claim) -> str:
    return f"urn:claimtrail:claim:{claim.pk}"


def source_iri(source: Source) -> str:
    return source.url or f"urn:claimtrail:source:{source.pk}"


def schema_agent(agent: Agent) -> dict:
    kind = "Organization" if agent.kind == Agent.Kind.ORGANISATION else "Person"
    node = {"@type": kind, "name": agent.name}
    if agent.wikidata_id:
        node["sameAs"] = f"https://www.wikidata.org/wiki/{agent.wikidata_id}"
    return node


def counts(claim: Claim, prefix: str = "") -> list[dict]:
    """The claim's stored corroboration counts as schema.org PropertyValues; `prefix` is "schema:" where the
    context is not schema.org's own."""
    return [
        {
            "type" if prefix else "@type": f"{prefix}PropertyValue",
            f"{prefix}propertyID": field,
            f"{prefix}name": name,
            f"{prefix}value": getattr(claim, field),
        }
        for field, name in COUNT_NAMES.items()
    ]


def web_annotation(claim: Claim) -> dict:
    """The claim as a W3C Web Annotation whose target is its source."""
    text = claim.source.text
    annotation = {
        "@context": WEB_ANNOTATION_CONTEXT,
        "id": claim_iri(claim),
        "type": "Annotation",
        "motivation": "describing" if claim.statement else "highlighting",
        "created": claim.created_at.isoformat(),
        "modified": claim.updated_at.isoformat(),
        "target": {
            "source": source_iri(claim.source),
            "selector": [
                {
                    "type": "TextQuoteSelector",
                    "exact": claim.quote,
                    "prefix": text[max(0, claim.start - CONTEXT_CHARS) : claim.start],
                    "suffix": text[claim.end : claim.end + CONTEXT_CHARS],
                },
                {"type": "TextPositionSelector", "start": claim.start, "end": claim.end},
                *(
                    {"type": "FragmentSelector", "conformsTo": PDF_FRAGMENTS, "value": f"page={page}"}
                    for page in claim.pages
                ),
            ],
        },
    }
    if claim.created_by is not None:
        annotation["creator"] = {"type": "Person", "nickname": claim.created_by.get_username()}
    if claim.statement:
        annotation["body"] = {"type": "TextualBody", "value": claim.statement, "format": "text/plain"}
    annotation["schema:additionalProperty"] = counts(claim, prefix="schema:")
    return annotation


def claim_review(claim: Claim) -> dict | None:
    """A reviewed claim as a schema.org ClaimReview; None for a draft, which nobody has reviewed."""
    if claim.status not in REVIEWED and claim.rating is None:
        return None
    source = claim.source
    appearance = {"@type": "CreativeWork", "url": source_iri(source), "headline": source.title}
    if source.published_on:
        appearance["datePublished"] = source.published_on_iso
    if source.publisher is not None:
        appearance["publisher"] = schema_agent(source.publisher)
    item = {"@type": "Claim", "appearance": appearance, "text": claim.quote, "additionalProperty": counts(claim)}
    if claim.speaker is not None:
        item["author"] = schema_agent(claim.speaker)
    elif source.publisher is not None:
        # No speaker means the author's own assertion: the outlet stands behind it.
        item["author"] = schema_agent(source.publisher)
    if claim.claimed_on:
        item["datePublished"] = claim.claimed_on_iso
    review = {
        "@context": SCHEMA_CONTEXT,
        "@type": "ClaimReview",
        "@id": claim_iri(claim) + ":review",
        "claimReviewed": claim.statement or claim.quote,
        "itemReviewed": item,
        "dateModified": claim.updated_at.isoformat(),
    }
    if claim.rating is not None:
        review["reviewRating"] = {
            "@type": "Rating",
            "ratingValue": claim.rating,
            "bestRating": max(Claim.Rating.values),
            "worstRating": min(Claim.Rating.values),
            "alternateName": claim.get_rating_display(),
        }
    if settings.CLAIMREVIEW_AUTHOR_NAME:
        review["author"] = {"@type": "Organization", "name": settings.CLAIMREVIEW_AUTHOR_NAME}
        if settings.CLAIMREVIEW_AUTHOR_URL:
            review["author"]["url"] = settings.CLAIMREVIEW_AUTHOR_URL
    if settings.PUBLIC_URL:
        review["url"] = settings.PUBLIC_URL + reverse("claims:detail", args=[claim.pk])
    return review


def documents(claim: Claim) -> list[dict]:
    """The claim's JSON-LD documents: its annotation, and its ClaimReview when reviewed."""
    review = claim_review(claim)
    return [web_annotation(claim)] + ([review] if review else [])


def export_queryset(claims) -> Iterable[Claim]:
    """The claims with everything the JSON-LD needs, read in chunks."""
    return (
        claims.select_related("source__publisher", "speaker", "created_by")
        .defer("source__raw_text")
        .order_by("source", "start", "pk")
        .iterator(chunk_size=2000)
    )


def stream(claims: Iterable[Claim], *, on_rows: Callable[[int], None] | None = None) -> Iterator[str]:
    """A JSON array of every claim's documents, written piece by piece so memory stays flat."""
    yield "["
    first, done = True, 0
    for claim in claims:
        for document in documents(claim):
            yield ("\n" if first else ",\n") + json.dumps(document, ensure_ascii=False)
            first = False
        done += 1
        if on_rows and done % 1000 == 0:
            on_rows(done)
    if on_rows:
        on_rows(done)
    yield "\n]\n"
