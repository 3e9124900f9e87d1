from django.urls import path

from integrations import views

app_name = "integrations"

urlpatterns = [
    path("visites/<visit:pk>/feuille-de-route/", views.mission_sheet_page, name="mission_sheet"),
    path(
        "visites/<visit:pk>/feuille-de-route/pdf/",
        views.mission_sheet_pdf,
        name="mission_sheet_pdf",
    ),
]
