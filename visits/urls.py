from django.urls import path

from visits import views

app_name = "visits"

urlpatterns = [
    path("agenda/", views.agenda, name="agenda"),
    path("visites/<int:pk>/", views.visit_detail, name="visit_detail"),
]
