from django.urls import path

from announcements import views

app_name = "announcements"

urlpatterns = [
    path("", views.announcement_list, name="list"),
    path("<int:pk>/lu/", views.announcement_dismiss_view, name="dismiss"),
]
