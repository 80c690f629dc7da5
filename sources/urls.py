from django.urls import path

from sources import views

app_name = "sources"

urlpatterns = [
    path("<int:pk>/provenance/", views.provenance, name="provenance"),
]
