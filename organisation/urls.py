from django.urls import path

from organisation import views

app_name = "organisation"

urlpatterns = [
    path("marque/<slug:slug>/theme.css", views.brand_theme, name="brand_theme"),
    path("marque/<slug:slug>/logo", views.brand_logo, name="brand_logo"),
    path("marque/<slug:slug>/icone-<int:size>.png", views.brand_icon, name="brand_icon"),
    path("icone-<int:size>.png", views.default_icon, name="default_icon"),
]
