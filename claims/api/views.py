"""The API's endpoints. Reads are plain querysets with a fixed number of queries a page; writes go through
claims/api/writing.py (the admin's forms) and claims/services.py, under the roles of claims/rules.py."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch, Q
from django.shortcuts import get_object_or_404
from django.utils.functional import cached_property
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response

from claims.api import serializers as s
from claims.api.errors import delete_unreferenced
from claims.api.filters import ClaimFilter, LinkFilter
from claims.api.permissions import MayLink
from claims.api.writing import write_agent, write_claim, write_link, write_source
from claims.corroboration.independence import explain
from claims.corroboration.suggestions import suggestions_for
from claims.models import Claim, Link, Tag
from claims.services import delete_claims, delete_links, dismiss_suggestion, link_claims
from common.projects import only_project_seen_by
from sources.models import Agent, Capture, Source
from sources.services import delete_agent, delete_source

# An id in a URL is a number (the router's default takes any text, which the query then fails to compare):
# /api/claims/abc/ and /api/claims/abc/suggestions/ are a 404 like any other URL that names nothing.
ID_IN_URL = "[0-9]+"


def visible_claims(request):
    """The claims of the requesting person's projects: every claim the API reads is found through these, so
    another project's claim is a 404 (common.projects.visible_to)."""
    return Claim.objects.visible_to(request.user)


class WrittenThroughForms:
    """create/update/partial_update for a viewset whose writes go through a `write(instance, changes)` function:
    a new object's body typed by `create_serializer_class` (what it needs is required), a change's by
    `write_serializer_class` (fields left out keep their values), the answer drawn by the reading serializer."""

    create_serializer_class = None
    write_serializer_class = None

    def write(self, instance, changes):
        raise NotImplementedError

    def saved(self, instance, code):
        instance = self.get_queryset().get(pk=instance.pk)
        return Response(self.get_serializer(instance).data, status=code)

    def create(self, request, *args, **kwargs):
        body = self.create_serializer_class(data=request.data)
        body.is_valid(raise_exception=True)
        return self.saved(self.write(self.get_queryset().model(), body.validated_data), status.HTTP_201_CREATED)

    def update(self, request, *args, partial=False, **kwargs):
        instance = self.get_object()
        body = self.write_serializer_class(data=request.data, partial=partial)
        body.is_valid(raise_exception=True)
        return self.saved(self.write(instance, body.validated_data), status.HTTP_200_OK)

    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, partial=True, **kwargs)


def documented(read, create, write):
    """OpenAPI: what the writing methods take (the create and write serializers) and answer (the reading one);
    the errors each answers are added to every operation by claims.api.schema."""
    update = extend_schema(request=write, responses=read)
    return extend_schema_view(
        create=extend_schema(request=create, responses={201: read}), update=update, partial_update=update
    )


@documented(s.AgentSerializer, s.AgentCreateSerializer, s.AgentWriteSerializer)
class AgentViewSet(WrittenThroughForms, viewsets.ModelViewSet):
    """People and organisations: speakers, authors and publishers."""

    lookup_value_regex = ID_IN_URL

    serializer_class = s.AgentSerializer
    create_serializer_class = s.AgentCreateSerializer
    write_serializer_class = s.AgentWriteSerializer

    def get_queryset(self):
        return Agent.objects.visible_to(self.request.user).order_by("pk")

    def write(self, agent, changes):
        return write_agent(agent=agent, changes=changes, user=self.request.user)

    def perform_destroy(self, instance):
        if not delete_unreferenced(instance, lambda: delete_agent(agent=instance, user=self.request.user)):
            raise NotFound("No person or organisation has this id; it was deleted meanwhile.")


@documented(s.SourceDetailSerializer, s.SourceCreateSerializer, s.SourceWriteSerializer)
class SourceViewSet(WrittenThroughForms, viewsets.ModelViewSet):
    """Articles: metadata; one source also with its text and its captures (read-only, with their hashes)."""

    lookup_value_regex = ID_IN_URL

    create_serializer_class = s.SourceCreateSerializer
    write_serializer_class = s.SourceWriteSerializer

    def get_queryset(self):
        sources = Source.objects.visible_to(self.request.user).prefetch_related("authors").order_by("pk")
        if self.action == "list":
            return sources.defer("text", "raw_text")
        captures = Capture.objects.defer("raw", "clean_text", "removals", "diff", "anchor_report").order_by("pk")
        return sources.defer("raw_text").prefetch_related(Prefetch("captures", queryset=captures))

    def get_serializer_class(self):
        return s.SourceSerializer if self.action == "list" else s.SourceDetailSerializer

    def write(self, source, changes):
        return write_source(source=source, changes=changes, user=self.request.user)

    def perform_destroy(self, instance):
        if not delete_unreferenced(instance, lambda: delete_source(source=instance, user=self.request.user)):
            raise NotFound("No source has this id; it was deleted meanwhile.")


@documented(s.ClaimSerializer, s.ClaimCreateSerializer, s.ClaimWriteSerializer)
class ClaimViewSet(WrittenThroughForms, viewsets.ModelViewSet):
    """Claims. Create by quote (offsets optional: the quote is located), update with the version you read
    (a newer one is a 409), status for Reviewers only (403 otherwise)."""

    lookup_value_regex = ID_IN_URL

    serializer_class = s.ClaimSerializer
    create_serializer_class = s.ClaimCreateSerializer
    write_serializer_class = s.ClaimWriteSerializer
    filterset_class = ClaimFilter

    def get_queryset(self):
        claims = self.listed_claims if self.action == "list" else visible_claims(self.request)
        return (
            claims.select_related("source", "speaker")
            .only(*CLAIM_COLUMNS)
            .prefetch_related(Prefetch("tags", queryset=Tag.objects.order_by("name")))
            .order_by("pk")
        )

    @cached_property
    def listed_claims(self):
        """Pages in id order: one project's claims from where they begin, its bounds read once a request (DRF's
        model permissions call get_queryset too, only to learn the model)."""
        return visible_claims(self.request).bunched_in(only_project_seen_by(self.request.user, Claim))

    def write(self, claim, changes):
        return write_claim(claim=claim, changes=changes, user=self.request.user)

    def perform_destroy(self, instance):
        if not delete_claims(claims=[instance], user=self.request.user):
            raise NotFound("No claim has this id; it was deleted meanwhile.")

    @extend_schema(responses=s.SuggestionSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None, filterset_class=None)
    def suggestions(self, request, pk=None):
        """Claims in other sources that probably state the same fact or contradict it, with the reasons."""
        claim = get_object_or_404(visible_claims(request).select_related("source", "speaker"), pk=pk)
        return Response(s.SuggestionSerializer(suggestions_for(claim), many=True).data)

    @extend_schema(
        request=s.SuggestionActionSerializer,
        responses={201: s.LinkSerializer, 204: None},
        parameters=[OpenApiParameter("other", int, OpenApiParameter.PATH)],
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=r"suggestions/(?P<other>[0-9]+)",
        filterset_class=None,
        permission_classes=[MayLink],
    )
    def act_on_suggestion(self, request, pk=None, other=None):
        """Link a suggested claim (corroborates or contradicts) or dismiss it for good."""
        body = s.SuggestionActionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        claim = get_object_or_404(visible_claims(request), pk=pk)
        suggested = get_object_or_404(visible_claims(request), pk=other)
        if body.validated_data["action"] == "dismiss":
            as_drf_errors(dismiss_suggestion, claim=claim, suggested=suggested, dismissed_by=request.user)
            return Response(status=status.HTTP_204_NO_CONTENT)
        link = as_drf_errors(
            link_claims,
            claim_a=claim,
            claim_b=suggested,
            relation=body.validated_data["action"],
            created_by=request.user,
        )
        return Response(s.LinkSerializer(link).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=s.CorroborationSerializer)
    @action(detail=True, methods=["get"], pagination_class=None, filterset_class=None)
    def corroboration(self, request, pk=None):
        """The claim's source counts and, for each linked claim, whether its source is independent and why."""
        claim = get_object_or_404(visible_claims(request), pk=pk)
        links = (
            Link.objects.filter(Q(claim_a=claim) | Q(claim_b=claim))
            .select_related("claim_a__source", "claim_b__source")
            .defer(*(f"{side}__source__{name}" for side in ("claim_a", "claim_b") for name in ("text", "raw_text")))
            .order_by("pk")
        )
        links = list(links)
        # The one explanation every page reads (claims.corroboration.independence.explanations).
        explained = explain(claim)
        voice_of = {row.source.pk: row for row in explained}
        voices = [
            {
                "source": row.source.pk,
                "source_title": row.source.title,
                "group": row.group,
                "unverified": row.unverified,
                "why": row.why,
            }
            for row in explained
        ]
        rows = []
        for link in links:
            other = link.other(claim)
            voice = voice_of.get(other.source_id) if link.relation == Link.Relation.CORROBORATES else None
            rows.append(
                {
                    "claim": other.pk,
                    "source": other.source_id,
                    "source_title": other.source.title,
                    "relation": link.relation,
                    "independent": bool(voice and voice.independent),
                    "unverified": bool(voice and voice.unverified),
                    "group": voice.group if voice else "",
                    "why": voice.reason if voice else "",
                }
            )
        data = {
            "claim": claim.pk,
            "voices": voices,
            "corroborating_sources": claim.corroborating_sources,
            "independent_voices": claim.independent_voices,
            "unverified_sources": claim.unverified_sources,
            "contradicting_sources": claim.contradicting_sources,
            "links": rows,
        }
        return Response(s.CorroborationSerializer(data).data)


CLAIM_COLUMNS = [
    *(f.name for f in Claim._meta.concrete_fields if f.name not in {"created_by"}),
    "source__title",
    "speaker__name",
]


@documented(s.LinkSerializer, s.LinkCreateSerializer, s.LinkWriteSerializer)
class LinkViewSet(WrittenThroughForms, viewsets.ModelViewSet):
    """Links between claims in two sources (A–B is B–A); `?claim=ID` lists a claim's links both ways."""

    lookup_value_regex = ID_IN_URL

    serializer_class = s.LinkSerializer
    create_serializer_class = s.LinkCreateSerializer
    write_serializer_class = s.LinkWriteSerializer
    filterset_class = LinkFilter

    def get_queryset(self):
        return Link.objects.visible_to(self.request.user).order_by("pk")

    def write(self, link, changes):
        return write_link(link=link, changes=changes, user=self.request.user)

    def perform_destroy(self, instance):
        if not delete_links(links=[instance], user=self.request.user):
            raise NotFound("No link has this id; it was deleted meanwhile.")


def as_drf_errors(service, **kwargs):
    """Call a service; its Django ValidationError becomes the API's 400 with the same messages."""
    try:
        return service(**kwargs)
    except DjangoValidationError as error:
        detail = error.message_dict if hasattr(error, "error_dict") else {"non_field_errors": error.messages}
        raise ValidationError({("non_field_errors" if k == "__all__" else k): v for k, v in detail.items()}) from error
