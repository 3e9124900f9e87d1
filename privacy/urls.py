from django.urls import path

from privacy import views

app_name = "privacy"

urlpatterns = [
    path("visites/<visit:pk>/donnees-personnelles/", views.person_data, name="person_data"),
    path(
        "visites/<visit:pk>/donnees-personnelles/export.zip",
        views.person_export,
        name="person_export",
    ),
    path(
        "visites/<visit:pk>/donnees-personnelles/effacer/",
        views.person_erase,
        name="person_erase",
    ),
]
