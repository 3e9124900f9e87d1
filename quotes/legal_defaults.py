# ruff: noqa: E501 - legal prose, one paragraph per line
"""First versions of the legal texts, in French (the language of the contract whatever
the interface language). Loaded once by a data migration; staff publish later versions
in the admin, and each contract records the version it was made with."""

from __future__ import annotations

from typing import Any

GENERAL_TERMS_VERSION = "2026-2"
GENERAL_TERMS_TITLE = "Conditions générales de prestation de services à la personne"
GENERAL_TERMS = """\
# Article 1 – Objet
Les présentes conditions générales régissent les prestations de services à la personne réalisées au domicile du client par la société désignée au contrat (ci-après « le prestataire »), en mode prestataire : le prestataire est l'employeur des intervenants, qu'il sélectionne, forme et encadre.

# Article 2 – Devis et contrat
Les prestations sont décrites dans le devis remis gratuitement au client. Le contrat reprend le devis accepté ; en cas de contradiction, les conditions particulières du contrat prévalent sur les présentes conditions générales.

# Article 3 – Prix et facturation
Les prix sont exprimés en euros, hors taxes et toutes taxes comprises, au taux de TVA applicable à chaque prestation. Les heures réalisées sont facturées mensuellement, à terme échu, sur la base des heures effectivement réalisées. Les prix peuvent être révisés une fois par an, le client en étant informé par écrit au moins un mois à l'avance ; il peut alors résilier le contrat sans frais.

# Article 4 – Paiement
Aucun paiement, sous quelque forme que ce soit, ne peut être exigé ni obtenu du client avant l'expiration d'un délai de sept jours à compter de la conclusion du contrat (article L221-10 du Code de la consommation). Les factures sont payables à réception, par prélèvement, virement, chèque ou chèque emploi service universel (CESU) préfinancé.

# Article 5 – Crédit d'impôt et avance immédiate
Les sommes versées au titre des prestations ouvrent droit, dans les conditions et limites de l'article 199 sexdecies du Code général des impôts, à un crédit d'impôt sur le revenu de 50 %. Le prestataire délivre chaque année une attestation fiscale. Lorsque le client a adhéré au service d'avance immédiate de l'URSSAF, il ne règle que le reste à payer, la part correspondant au crédit d'impôt étant versée directement par l'URSSAF.

# Article 6 – Intervenants et remplacements
Le prestataire s'efforce d'affecter un intervenant régulier. En cas d'absence de celui-ci, il propose un remplaçant. Les consignes particulières données par le client sont transmises aux intervenants.

# Article 7 – Annulation d'une intervention
Le client peut annuler une intervention sans frais en prévenant l'agence au moins 48 heures à l'avance. À défaut, l'intervention est facturée, sauf cas de force majeure.

# Article 8 – Durée et résiliation
Le contrat est conclu pour une durée indéterminée. Chaque partie peut le résilier à tout moment par écrit, moyennant un préavis d'un mois.

# Article 9 – Responsabilité et assurance
Le prestataire est assuré en responsabilité civile professionnelle pour les dommages causés par ses intervenants au domicile du client.

# Article 10 – Données personnelles
Les données du client sont traitées par le prestataire pour l'exécution du contrat et le respect de ses obligations légales. Le client dispose d'un droit d'accès, de rectification, d'effacement, de limitation et d'opposition, qu'il exerce auprès de l'agence. Il peut introduire une réclamation auprès de la CNIL.

# Article 11 – Réclamations et médiation
Toute réclamation est adressée à l'agence. À défaut de solution amiable, le client peut recourir gratuitement au médiateur de la consommation dont relève le prestataire : {company.mediator_name}, {company.mediator_address}, {company.mediator_website} (articles L612-1 et L616-1 du Code de la consommation).
"""

CONSENT_VERSION = "2026-11"
CONSENT_TITLE = "Consentement au traitement des données personnelles"
CONSENT = """\
J'accepte que les informations recueillies lors de cette visite (coordonnées, composition du foyer, description du logement, consignes) soient enregistrées par la société pour établir le devis et le contrat, organiser les interventions et, le cas échéant, me proposer ses services. Elles sont conservées trois ans après le dernier contact si aucun contrat n'est signé, puis anonymisées. Je peux y accéder, les faire rectifier ou effacer, et retirer mon consentement à tout moment auprès de l'agence.
"""


# The wording of the contract's legal sections, versioned like the general terms so the
# signature binds the exact text shown. ``{company.x}`` is filled with the brand's data.
SALE_TEXTS_VERSION = "2026-12.2"
PRECONTRACT_TITLE = "Informations précontractuelles (article L221-5 du Code de la consommation)"
PRECONTRACT = """\
Caractéristiques essentielles du service : prestations de services à la personne au domicile du client, en mode prestataire, décrites ci-dessous avec leur volume horaire. Prix : indiqué ci-dessous, hors taxes et toutes taxes comprises, par mois et par an ; frais annexes détaillés à part. Modalités de paiement : facture mensuelle à terme échu, payable à réception ; aucun paiement pendant les sept jours qui suivent la conclusion du contrat. Exécution : à la date de début indiquée ci-dessous ou, à défaut, au plus tard trente jours après la conclusion du contrat, et pas avant la fin du délai de rétractation sauf demande expresse du client. Durée : indéterminée, résiliable à tout moment avec un préavis d'un mois. Droit de rétractation : conditions, délai et modalités ci-dessous, formulaire type en dernière page. Médiation : en cas de litige, le client peut recourir gratuitement au médiateur de la consommation du prestataire, {company.mediator_name}, {company.mediator_address}, {company.mediator_website}.
"""
WITHDRAWAL_TITLE = "Droit de rétractation (articles L221-18 et suivants du Code de la consommation)"
WITHDRAWAL = """\
Le client dispose d'un délai de quatorze jours à compter du jour de la conclusion du contrat pour exercer son droit de rétractation, sans avoir à motiver sa décision ni à supporter d'autres coûts que ceux prévus à l'article L221-25. Lorsque le délai expire un samedi, un dimanche ou un jour férié ou chômé, il est prolongé jusqu'au premier jour ouvrable suivant.

Pour l'exercer, le client informe le prestataire de sa décision avant l'expiration du délai, soit en envoyant le formulaire de rétractation figurant en dernière page (détachable), soit par toute autre déclaration dénuée d'ambiguïté exprimant sa volonté de se rétracter, par courrier à {company.legal_name}, {company.legal_address}, ou par courriel à {company.email}. Le prestataire rembourse tout paiement reçu au plus tard quatorze jours après avoir été informé de la décision.
"""
NO_PAYMENT_TITLE = "Aucun paiement pendant sept jours (article L221-10 du Code de la consommation)"
NO_PAYMENT = """\
Le prestataire ne peut recevoir aucun paiement ni aucune contrepartie, sous quelque forme que ce soit, de la part du client avant l'expiration d'un délai de sept jours à compter de la conclusion du contrat. Aucun chèque, aucune autorisation de prélèvement, aucun mandat ni aucune empreinte de carte bancaire n'est recueilli à la signature.
"""
EARLY_START_TITLE = (
    "Demande expresse d'exécution avant la fin du délai de rétractation (article L221-25)"
)
EARLY_START = """\
Je demande expressément que les prestations commencent avant la fin du délai de rétractation de quatorze jours.

Si le client exerce son droit de rétractation après avoir fait cette demande, il verse au prestataire un montant correspondant au service fourni jusqu'à la communication de sa décision de se rétracter, proportionné au prix total convenu. Si le service est pleinement exécuté avant la fin du délai, le droit de rétractation ne peut plus être exercé (article L221-28).
"""
WITHDRAWAL_FORM_TITLE = "Formulaire de rétractation"
WITHDRAWAL_FORM = """\
(Veuillez compléter et renvoyer le présent formulaire uniquement si vous souhaitez vous rétracter du contrat.)

À l'attention de {company.legal_name}, {company.legal_address}, courriel : {company.email}, téléphone : {company.phone} :

Je/Nous (*) vous notifie/notifions (*) par la présente ma/notre (*) rétractation du contrat portant sur la vente du bien (*)/pour la prestation de services (*) ci-dessous :

Commandé le (*)/reçu le (*) :
___
Nom du (des) consommateur(s) :
___
Adresse du (des) consommateur(s) :
___
___
Signature du (des) consommateur(s) (uniquement en cas de notification du présent formulaire sur papier) :
___
Date :
___

(*) Rayez la mention inutile.
"""


def legal_texts_load(legal_text_model: Any) -> None:
    """Publish these first versions where they are missing (the data migration, and the
    tests whose database is flushed between tests)."""
    from django.utils import timezone

    for kind, version, title, body in (
        ("general_terms", GENERAL_TERMS_VERSION, GENERAL_TERMS_TITLE, GENERAL_TERMS),
        ("consent", CONSENT_VERSION, CONSENT_TITLE, CONSENT),
        ("precontract", SALE_TEXTS_VERSION, PRECONTRACT_TITLE, PRECONTRACT),
        ("withdrawal", SALE_TEXTS_VERSION, WITHDRAWAL_TITLE, WITHDRAWAL),
        ("no_payment", SALE_TEXTS_VERSION, NO_PAYMENT_TITLE, NO_PAYMENT),
        ("early_start", SALE_TEXTS_VERSION, EARLY_START_TITLE, EARLY_START),
        ("withdrawal_form", SALE_TEXTS_VERSION, WITHDRAWAL_FORM_TITLE, WITHDRAWAL_FORM),
    ):
        legal_text_model.objects.get_or_create(
            kind=kind,
            version=version,
            defaults={"title": title, "body": body, "published_at": timezone.now()},
        )
