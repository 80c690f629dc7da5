"""The OpenAPI schema's error answers: what each operation answers besides success, added to every operation
(a drf-spectacular postprocessing hook), so that the schema documents every status a view returns.

- every operation: 401 (no or a bad token), 403 (the role may not), 429 (throttled);
- an operation on one object (`{id}` in the path): 404 when no object has that id;
- a list: 400 for a filter or page_size it refuses, 404 for a cursor it cannot read;
- `?format=` (the annotation views): 404 for a format it does not serve;
- a write (POST, PUT, PATCH): 400 naming each field refused (or `detail` for a body it cannot read: not JSON,
  nested too deep), 415 for a body that is not JSON;
- CONFLICTS: 409 where the view answers one (a stale version, a delete of a row others refer to).

`SchemaView` serves the schema itself.
"""

from drf_spectacular.renderers import OpenApiYamlRenderer
from drf_spectacular.views import SpectacularAPIView
from rest_framework.negotiation import DefaultContentNegotiation

ERROR = "Error"
FIELD_ERRORS = "FieldErrors"
STALE_VERSION = "StaleVersion"

SCHEMAS = {
    ERROR: {"type": "object", "properties": {"detail": {"type": "string"}}, "required": ["detail"]},
    FIELD_ERRORS: {
        "type": "object",
        "description": "Each field refused with its messages (`non_field_errors` for the rest), or `detail` for a "
        "body that cannot be read.",
        "additionalProperties": {},
    },
    STALE_VERSION: {
        "type": "object",
        "properties": {"detail": {"type": "string"}, "current_version": {"type": "integer"}},
        "required": ["detail", "current_version"],
    },
}

CONFLICTS = {
    ("PUT", "/api/claims/{id}/"): (STALE_VERSION, "Someone saved the claim after the version you read."),
    ("PATCH", "/api/claims/{id}/"): (STALE_VERSION, "Someone saved the claim after the version you read."),
    ("DELETE", "/api/sources/{id}/"): (ERROR, "Claims or captures still refer to the source."),
    ("DELETE", "/api/agents/{id}/"): (ERROR, "Claims, sources or organisations still refer to them."),
}


def errors_of(path: str, method: str, operation: dict) -> dict[int, tuple[str, str]]:
    """The error answers of one operation: {status: (schema, description)}."""
    query = {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
    errors = {
        401: (ERROR, "No credentials, or a token that is not valid."),
        403: (ERROR, "Your role may not do this."),
        429: (ERROR, "Too many requests: try again later."),
    }
    if "{" in path:
        errors[404] = (ERROR, "Nothing has that id.")
    if "cursor" in query:
        errors[400] = (FIELD_ERRORS, "A filter or page_size that is refused, naming it.")
        errors[404] = (ERROR, "A cursor that cannot be read.")
    if "format" in query:
        errors[404] = (ERROR, "No such format (or nothing has that id).")
    if method in {"POST", "PUT", "PATCH"}:
        errors[400] = (FIELD_ERRORS, "The fields refused, each with its messages, or a body that cannot be read.")
        errors[415] = (ERROR, "A body that is not JSON.")
    if (method, path) in CONFLICTS:
        errors[409] = CONFLICTS[method, path]
    return errors


def document_errors(result, generator, request, public):
    """drf-spectacular postprocessing hook: every operation's error answers, in the media types of its success."""
    result.setdefault("components", {}).setdefault("schemas", {}).update(SCHEMAS)
    for path, operations in result["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "query" and parameter["name"] != "page_size":
                    # An empty filter, cursor or format (`?status=`, as a form sends it) is no filter, as in
                    # django-filter and DRF; an empty page_size is refused (claims.api.pagination).
                    parameter["allowEmptyValue"] = True
            responses = operation.setdefault("responses", {})
            media = sorted(
                {
                    media
                    for code, answer in responses.items()
                    if code.startswith("2")
                    for media in answer.get("content", {})
                }
            ) or ["application/json"]
            for code, (schema, description) in errors_of(path, method.upper(), operation).items():
                content = {kind: {"schema": {"$ref": f"#/components/schemas/{schema}"}} for kind in media}
                responses.setdefault(str(code), {"description": description, "content": content})
    return result


class PlainTextYamlRenderer(OpenApiYamlRenderer):
    """The schema's YAML as plain text, which a browser shows: it downloads application/vnd.oai.openapi."""

    media_type = "text/plain"


class BrowsersReadTheSchema(DefaultContentNegotiation):
    """A browser (it asks for text/html first) is answered in plain text; a client asking for a schema media type,
    or `?format=`, gets that, as drf-spectacular negotiates it."""

    def select_renderer(self, request, renderers, format_suffix=None):
        wants_page = request.headers.get("Accept", "").startswith("text/html")
        if wants_page and not request.query_params.get(self.settings.URL_FORMAT_OVERRIDE):
            renderer = next(r for r in renderers if isinstance(r, PlainTextYamlRenderer))
            return renderer, renderer.media_type
        return super().select_renderer(request, renderers, format_suffix)


class SchemaView(SpectacularAPIView):
    """/api/schema/: drf-spectacular's schema view, opened as text in a browser instead of downloaded."""

    renderer_classes = [*SpectacularAPIView.renderer_classes, PlainTextYamlRenderer]
    content_negotiation_class = BrowsersReadTheSchema
