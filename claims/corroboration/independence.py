"""Independence: which corroborating sources speak with a voice of their own, computed in the database.

Each function builds a subquery for the claim list, the CSV and the pages; the models' querysets call them
(`Claim.objects.with_source_counts()`, `Corroboration.objects.with_independence()`).
"""

from django.db import models
from django.db.models import Case, Exists, F, Func, OuterRef, Q, Subquery, When
from django.db.models.functions import Coalesce

from claims.models import Corroboration
from sources.models import Source, top_organisation


def link_count(relation: str) -> Coalesce:
    links = (
        Corroboration.objects.filter(Q(claim_a=OuterRef("pk")) | Q(claim_b=OuterRef("pk")), relation=relation)
        .order_by()
        .annotate(n=Func(F("pk"), function="COUNT"))
        .values("n")
    )
    return Coalesce(Subquery(links, output_field=models.IntegerField()), 0)


def linked_claim_ids(claim: OuterRef, relation: str) -> models.QuerySet:
    """The ids of the claims linked to `claim` by `relation`, in either link direction."""
    return (
        Corroboration.objects.filter(Q(claim_a=claim) | Q(claim_b=claim), relation=relation)
        .order_by()
        .annotate(other=Case(When(claim_a=claim, then=F("claim_b")), default=F("claim_a")))
        .values("other")
    )


def linked_source_count(relation: str) -> Coalesce:
    """For each claim: how many other sources hold a claim linked to it by `relation`."""
    sources = (
        Source.objects.filter(claims__in=linked_claim_ids(OuterRef(OuterRef("pk")), relation))
        .exclude(pk=OuterRef("source"))
        .order_by()
        .annotate(n=Func(F("pk"), function="COUNT", template="%(function)s(DISTINCT %(expressions)s)"))
        .values("n")
    )
    return Coalesce(Subquery(sources, output_field=models.IntegerField()), 0)


def speak_with_one_voice(source, other) -> Exists:
    """Whether two sources speak with one voice, so that one cannot corroborate the other independently.

    They do when they are the same source or copies of one original (see Republication), share an
    author, or have publishers under one top organisation (a parent organisation is the same
    publisher); a copy also speaks with its original's authors and publisher. `source` and `other`
    name source ids in the enclosing query: a field path, or an OuterRef to a query further out.
    """
    # Nested queries: the enclosing one; `source` with its circle; `other` with its circle; their authors.
    authorship = Source.authors.through.objects
    # An author of `other` or of its original (one level out) …
    other_authors = authorship.filter(Q(source=OuterRef("pk")) | Q(source=OuterRef("original")))
    # … who also wrote `source` or its original (two levels out).
    shared_authors = other_authors.filter(
        agent__in=authorship.filter(
            Q(source=OuterRef(OuterRef(OuterRef("pk")))) | Q(source=OuterRef(OuterRef(OuterRef("original"))))
        ).values("agent")
    )
    matches_source = with_voice_keys(Source.objects.filter(pk=OuterRef(OuterRef(other)))).filter(
        Q(original=OuterRef("original"))
        | Q(top=OuterRef("top"))
        | Q(top=OuterRef("original_top"))
        | Q(original_top=OuterRef("top"))
        | Q(original_top=OuterRef("original_top"))
        | Exists(shared_authors)
    )
    return Exists(with_voice_keys(Source.objects.filter(pk=OuterRef(source))).filter(Exists(matches_source)))


def with_voice_keys(sources: models.QuerySet) -> models.QuerySet:
    """Sources annotated with what independence compares: `original` (the source a copy republishes, or
    itself), `top` (the top organisation above its publisher) and `original_top` (the same for its original)."""
    return sources.order_by().annotate(
        original=Coalesce("republication__original", "pk"),
        top=top_organisation("publisher"),
        original_top=top_organisation("republication__original__publisher"),
    )


def independent_source_count() -> Coalesce:
    """For each claim: the other sources holding a corroborating claim that share no author and no
    publisher with the claim's own source (see speak_with_one_voice); an original and its copy count as one."""
    others = (
        Source.objects.filter(
            claims__in=linked_claim_ids(OuterRef(OuterRef("pk")), Corroboration.Relation.CORROBORATES)
        )
        .exclude(speak_with_one_voice("pk", OuterRef("source")))
        .order_by()
        .annotate(
            n=Func(
                Coalesce("republication__original", "pk"),
                function="COUNT",
                template="%(function)s(DISTINCT %(expressions)s)",
            )
        )
        .values("n")
    )
    return Coalesce(Subquery(others, output_field=models.IntegerField()), 0)
