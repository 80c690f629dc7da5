"""Claims at a W3C Web Annotation Protocol endpoint (https://www.w3.org/TR/annotation-protocol/).

The container lists every claim as an annotation (the JSON-LD of claims/exchange/jsonld.py) in
AnnotationPages, a cursor page at a time; POSTing an annotation whose target is a source, located by a
TextQuoteSelector (and optionally a TextPositionSelector), creates a claim through the same form and rules as
the admin.
"""

from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.utils import OpenApiTypes, extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.validators import ProhibitSurrogateCharactersValidator
from rest_framework.views import APIView

from claims.api.pagination import IdCursorPagination
from claims.api.parsing import BoundedJSONParser
from claims.api.writing import write_claim
from claims.exchange.jsonld import WEB_ANNOTATION_CONTEXT, claim_iri, web_annotation
from claims.models import Claim
from sources.models import Source

PROFILE = 'application/ld+json; profile="http://www.w3.org/ns/anno.jsonld"'
LDP_CONTEXT = "http://www.w3.org/ns/ldp.jsonld"
MEDIA = ["application/ld+json", "application/json"]
JSON_LD = {(200, media): OpenApiTypes.OBJECT for media in MEDIA}


class AnnotationRenderer(JSONRenderer):
    """JSON-LD with the Web Annotation profile, chosen for `Accept: application/ld+json` (with or without it)."""

    media_type = "application/ld+json"
    format = "jsonld"


class AnnotationParser(BoundedJSONParser):
    """The protocol's request type, `application/ld+json; profile="http://www.w3.org/ns/anno.jsonld"` (with or
    without the profile): JSON to read, as deep as any other body may be."""

    media_type = "application/ld+json"


class ProtocolView(APIView):
    renderer_classes = [AnnotationRenderer, JSONRenderer]
    parser_classes = [AnnotationParser, BoundedJSONParser]
    queryset = Claim.objects.none()  # for the role permissions: claims are what these views read and write

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        response["Vary"] = "Accept"
        return response

    def answer(self, request, body, *, code=status.HTTP_200_OK, kind="Container", headers=None) -> Response:
        response = Response(body, status=code, headers=headers)
        response["Link"] = (
            f'<http://www.w3.org/ns/ldp#{"BasicContainer" if kind == "Container" else "Resource"}>; rel="type"'
        )
        response["Allow"] = "GET, POST, HEAD, OPTIONS" if kind == "Container" else "GET, HEAD, OPTIONS"
        if request.accepted_renderer.format == "jsonld":
            response.content_type = PROFILE
        return response


def claims_for_annotations(user):
    """The claims of the user's projects (common.projects.visible_to): another project's are never listed or found."""
    claims = Claim.objects.visible_to(user).select_related("source", "created_by")
    return claims.defer("source__raw_text").order_by("pk")


def annotation(request, claim: Claim) -> dict:
    """The claim's Web Annotation, with the URL it is served at as its id (its urn stays as `canonical`)."""
    document = web_annotation(claim)
    document["id"] = request.build_absolute_uri(reverse("api:annotation", args=[claim.pk]))
    document["canonical"] = claim_iri(claim)
    return document


def etag(claim: Claim) -> str:
    return f'W/"claim-{claim.pk}-v{claim.version}"'


class AnnotationContainer(ProtocolView):
    """GET: the container, with its first AnnotationPage; `?cursor=` gives a later page. POST: a new claim."""

    pagination = IdCursorPagination

    @extend_schema(operation_id="annotations_container", responses=JSON_LD)
    def get(self, request):
        paginator = self.pagination()
        claims = paginator.paginate_queryset(claims_for_annotations(request.user), request, view=self)
        container = request.build_absolute_uri(reverse("api:annotations"))
        page = {
            "id": request.build_absolute_uri(),
            "type": "AnnotationPage",
            "partOf": container,
            "items": [annotation(request, claim) for claim in claims],
        }
        if paginator.get_next_link():
            page["next"] = paginator.get_next_link()
        if paginator.get_previous_link():
            page["prev"] = paginator.get_previous_link()
        if "cursor" in request.query_params:
            return self.answer(request, {"@context": WEB_ANNOTATION_CONTEXT, **page}, kind="Page")
        body = {
            "@context": [WEB_ANNOTATION_CONTEXT, LDP_CONTEXT],
            "id": container,
            "type": ["BasicContainer", "AnnotationCollection"],
            "label": "Claimtrail claims",
            "first": page,
        }
        return self.answer(request, body)

    @extend_schema(
        request={media: OpenApiTypes.OBJECT for media in (PROFILE, *MEDIA)},
        responses={(201, media): OpenApiTypes.OBJECT for media in MEDIA},
    )
    def post(self, request):
        body = request.data if isinstance(request.data, dict) else {}
        source, quote, start, end = target_of(body, user=request.user)
        changes = {"source": source.pk, "quote": quote, "start": start, "end": end}
        text_body = body.get("body")
        if isinstance(text_body, dict) and isinstance(text_body.get("value"), str):
            changes["statement"] = no_surrogates(text_body["value"], "body")
        claim = write_claim(claim=Claim(), changes=changes, user=request.user)
        claim = claims_for_annotations(request.user).get(pk=claim.pk)
        document = annotation(request, claim)
        headers = {"Location": document["id"], "ETag": etag(claim)}
        return self.answer(request, document, code=status.HTTP_201_CREATED, kind="Annotation", headers=headers)


class AnnotationDetail(ProtocolView):
    @extend_schema(responses=JSON_LD)
    def get(self, request, pk: int):
        claim = get_object_or_404(claims_for_annotations(request.user), pk=pk)
        return self.answer(request, annotation(request, claim), kind="Annotation", headers={"ETag": etag(claim)})


def no_surrogates(value, field: str):
    """The value, refused (a 400 naming the field) when a string holds a lone surrogate, as the API's other text
    fields refuse it (DRF's own validator): valid JSON ("\\ud800"), but no text the database can store."""
    if isinstance(value, str):
        try:
            ProhibitSurrogateCharactersValidator()(value)
        except ValidationError as error:
            raise ValidationError({field: error.detail}) from error
    return value


def target_of(body: dict, *, user) -> tuple[Source, str, int | None, int | None]:
    """The source, the quote and (when the selectors settle it) the offsets an annotation's target names."""
    target = body.get("target")
    if isinstance(target, list):
        target = target[0] if target else None
    if not isinstance(target, dict):
        raise ValidationError({"target": ["Give a target: the source and a TextQuoteSelector."]})
    source = source_named(no_surrogates(target.get("source"), "target"), user=user)
    selectors = target.get("selector")
    selectors = selectors if isinstance(selectors, list) else [selectors]
    by_type = {item["type"]: item for item in selectors if isinstance(item, dict) and isinstance(item.get("type"), str)}
    for selector in by_type.values():
        for name in ("exact", "prefix", "suffix"):
            no_surrogates(selector.get(name), "target")
    quote_selector = by_type.get("TextQuoteSelector")
    if quote_selector is None or not isinstance(quote_selector.get("exact"), str) or not quote_selector["exact"]:
        raise ValidationError({"target": ["The target needs a TextQuoteSelector with the exact words."]})
    quote = quote_selector["exact"]
    position = by_type.get("TextPositionSelector")
    if position is not None:
        start, end = position.get("start"), position.get("end")
        if isinstance(start, int) and isinstance(end, int):
            return source, quote, start, end
    return source, quote, *occurrence(source.text, quote_selector)


def occurrence(text: str, selector: dict) -> tuple[int | None, int | None]:
    """The one place where exact, prefix and suffix all fit; (None, None) lets the claim's own rule locate the
    quote and explain a quote that is missing or there more than once."""
    exact = selector["exact"]
    prefix = selector.get("prefix") if isinstance(selector.get("prefix"), str) else ""
    suffix = selector.get("suffix") if isinstance(selector.get("suffix"), str) else ""
    fits, at = [], text.find(exact)
    while at != -1:
        if text[:at].endswith(prefix) and text[at + len(exact) :].startswith(suffix):
            fits.append(at)
        at = text.find(exact, at + 1)
    if len(fits) == 1 and (prefix or suffix):
        return fits[0], fits[0] + len(exact)
    return None, None


def source_named(iri, *, user) -> Source:
    """The source an annotation's target names, among the user's projects' sources: its URL, its
    urn:claimtrail:source:ID, or its API URL."""
    if not isinstance(iri, str) or not iri:
        raise ValidationError({"target": ["The target needs a source: its URL, or urn:claimtrail:source:ID."]})
    if "\x00" in iri:  # PostgreSQL cannot even compare a string holding NUL
        raise ValidationError({"target": ["The target's source holds a NUL character; no source is at such a URL."]})
    sources = Source.objects.visible_to(user).defer("raw_text")
    for prefix in ("urn:claimtrail:source:",):
        if iri.startswith(prefix) and iri[len(prefix) :].isdecimal():
            found = sources.filter(pk=int(iri[len(prefix) :])).first()
            if found:
                return found
    api_path = reverse("api:source-detail", args=[0]).removesuffix("0/")
    tail = iri.split(api_path, 1)[1].strip("/") if api_path in iri else ""
    if tail.isdecimal():
        found = sources.filter(pk=int(tail)).first()
        if found:
            return found
    found = sources.filter(url=iri).first()
    if found is None:
        raise ValidationError({"target": [f"No source is at {iri}."]})
    return found
