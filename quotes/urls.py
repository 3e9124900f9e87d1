from django.urls import path

from quotes import sale_views, views

app_name = "quotes"

urlpatterns = [
    path("visites/<visit:pk>/devis/", views.quote_start, name="quote_start"),
    path("devis/<int:pk>/", views.quote_detail, name="quote_detail"),
    path("devis/<int:pk>/emettre/", views.quote_issue_view, name="quote_issue"),
    path("devis/<int:pk>/reviser/", views.quote_revise_view, name="quote_revise"),
    path("devis/<int:pk>/pdf/", views.quote_pdf, name="quote_pdf"),
    path("devis/<int:pk>/contrat/", views.contract_create_view, name="contract_create"),
    path("devis/<int:pk>/contrat/pdf/", views.contract_pdf, name="contract_pdf"),
    # The sale on the tablet: drawn on the device, its three writes sent by the outbox.
    path("visites/<visit:pk>/vente/", sale_views.sale_page, name="sale"),
    path("visites/<visit:pk>/vente/devis/", sale_views.sale_quote, name="sale_quote"),
    path("visites/<visit:pk>/vente/contrat/", sale_views.sale_contract, name="sale_contract"),
    path("visites/<visit:pk>/vente/signature/", sale_views.sale_signature, name="sale_signature"),
]
