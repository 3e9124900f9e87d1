from django.urls import path

from visits.views import agenda, steps, visit

app_name = "visits"

urlpatterns = [
    path("agenda/", agenda.agenda, name="agenda"),
    path("visites/nouvelle/", visit.visit_create, name="visit_create"),
    path("visites/<int:pk>/", visit.visit_detail, name="visit_detail"),
    path("visites/<int:pk>/affecter/", visit.visit_assign_view, name="visit_assign"),
    path("visites/<int:pk>/statut/", visit.visit_status_view, name="visit_status"),
    path("visites/<int:pk>/etapes/<slug:step>/", steps.visit_step, name="visit_step"),
]
