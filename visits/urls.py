from django.urls import path

from visits.views import agenda, conflicts, mission, offline, steps, visit

app_name = "visits"

urlpatterns = [
    path("agenda/", agenda.agenda, name="agenda"),
    path("visites/nouvelle/", visit.visit_create, name="visit_create"),
    path("visites/<visit:pk>/", visit.visit_detail, name="visit_detail"),
    path("visites/<visit:pk>/affecter/", visit.visit_assign_view, name="visit_assign"),
    path("visites/<visit:pk>/statut/", visit.visit_status_view, name="visit_status"),
    path("visites/<visit:pk>/etapes/<slug:step>/", steps.visit_step, name="visit_step"),
    path("visites/<visit:pk>/donnees.json", offline.visit_data, name="visit_data"),
    path("visites/<visit:pk>/feuille-de-route/", mission.mission_sheet_page, name="mission_sheet"),
    path(
        "visites/<visit:pk>/feuille-de-route/pdf/",
        mission.mission_sheet_pdf,
        name="mission_sheet_pdf",
    ),
    path("conflits/", conflicts.conflict_list, name="conflict_list"),
    path("conflits/<int:pk>/", conflicts.conflict_detail, name="conflict_detail"),
    path("hors-ligne/", offline.offline_page, name="offline_page"),
    path("hors-ligne/jeton/", offline.csrf_token, name="csrf_token"),
    path("hors-ligne/en-attente/", offline.pending_page, name="pending"),
    path("hors-ligne/conflits-resolus/", offline.resolved_conflicts, name="resolved_conflicts"),
    path("hors-ligne/preparation/", offline.preparation, name="preparation"),
]
