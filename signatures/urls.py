from django.urls import path

from signatures import remote_views, views

app_name = "signatures"

urlpatterns = [
    path("contrats/<int:pk>/signer/", views.signature_start, name="start"),
    path("contrats/<int:pk>/tablette/", views.onsite, name="onsite"),
    path("contrats/<int:pk>/documents/<slug:kind>/", views.signed_document, name="signed_document"),
    # Remote signature through Yousign.
    path("yousign/webhook/", remote_views.yousign_webhook, name="yousign_webhook"),
    path("a-distance/<int:pk>/", remote_views.remote_detail, name="remote_detail"),
    path("a-distance/<int:pk>/relancer/", remote_views.remote_remind, name="remote_remind"),
    path("a-distance/<int:pk>/annuler/", remote_views.remote_cancel, name="remote_cancel"),
]
