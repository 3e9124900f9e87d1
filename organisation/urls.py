from django.urls import path

from organisation import views

app_name = "organisation"

urlpatterns = [
    path("marque/<slug:slug>/theme.css", views.brand_theme, name="brand_theme"),
]
