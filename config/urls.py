from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

admin.autodiscover()

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
    # Before admin.site.urls, whose catch-all would otherwise answer these.
    path("admin/annotate/", include("claims.editor.urls")),
    path("admin/", admin.site.urls),
    path("sources/", include("sources.urls")),
    path("claims/", include("claims.urls")),
    path("api/", include("claims.api.urls")),
]

# JSON under /api/ (the API's 404s are), Django's page elsewhere.
handler404 = "claims.api.errors.page_not_found"
