"""/api/: the REST resources, the W3C annotation container, the OpenAPI schema and its interactive docs.

No ReDoc page: its bundle always loads its logo from cdn.redoc.ly and searches in a blob: worker, which
the docs' rule (nothing from another site, script-src 'self') does not allow; Swagger UI needs neither."""

from django.urls import path
from drf_spectacular.views import SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from claims.api import annotations, views
from claims.api.schema import SchemaView

app_name = "api"

router = DefaultRouter()
router.register("sources", views.SourceViewSet, basename="source")
router.register("claims", views.ClaimViewSet, basename="claim")
router.register("links", views.LinkViewSet, basename="link")
router.register("agents", views.AgentViewSet, basename="agent")

urlpatterns = [
    path("annotations/", annotations.AnnotationContainer.as_view(), name="annotations"),
    path("annotations/<int:pk>/", annotations.AnnotationDetail.as_view(), name="annotation"),
    path("schema/", SchemaView.as_view(), name="schema"),
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(url_name="api:schema"),
        name="docs",
    ),
    *router.urls,
]
