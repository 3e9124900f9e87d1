from django.urls import path

from dashboard import views

app_name = "dashboard"

urlpatterns = [
    path("tableau-de-bord/", views.dashboard, name="index"),
    path("tableau-de-bord/visites/", views.visit_list, name="visits"),
    path("tableau-de-bord/visites/export.csv", views.visit_export, name="visits_csv"),
    path("tableau-de-bord/copies-papier/", views.paper_copy_list, name="paper_copies"),
    path(
        "tableau-de-bord/copies-papier/<int:pk>/remise/",
        views.paper_copy_done,
        name="paper_copy_done",
    ),
]
