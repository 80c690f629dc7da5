"""URLs of the annotate page (included under admin/annotate/ by config/urls.py)."""

from django.urls import path

from claims.editor import views as editor

app_name = "annotate"

urlpatterns = [
    path("source/<int:source_id>/", editor.annotate, name="source"),
    path("source/<int:source_id>/claims/", editor.add_claim, name="add_claim"),
    path("claim/<int:claim_id>/", editor.claim_panel, name="claim"),
    path("claim/<int:claim_id>/link-search/", editor.link_search, name="link_search"),
    path("claim/<int:claim_id>/links/", editor.add_link, name="add_link"),
    path("claim/<int:claim_id>/suggestions/", editor.claim_suggestions, name="suggestions"),
    path("claim/<int:claim_id>/suggestions/<int:other_id>/<str:action>/", editor.suggestion, name="suggestion"),
]
