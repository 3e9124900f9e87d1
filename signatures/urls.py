from django.urls import path

from signatures import views

app_name = "signatures"

urlpatterns = [
    path("contrats/<int:pk>/signer/", views.signature_start, name="start"),
    path("contrats/<int:pk>/tablette/", views.onsite, name="onsite"),
    path("contrats/<int:pk>/documents/<slug:kind>/", views.signed_document, name="signed_document"),
]
