from django.urls import path

from claims import views

app_name = "claims"

urlpatterns = [
    path("<int:pk>/", views.claim_detail, name="detail"),
    path("evidence/source/<int:pk>.zip", views.evidence, name="evidence"),
]
