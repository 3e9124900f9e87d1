# ruff: noqa: E501 - legal prose, one paragraph per line
"""First versions of the legal texts, in French (the language of the contract whatever
the interface language). Loaded once by a data migration; staff publish later versions
in the admin, and each contract records the version it was made with."""

from __future__ import annotations

from typing import Any

GENERAL_TERMS_VERSION = "2026-1"
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
Toute réclamation est adressée à l'agence. À défaut de solution amiable, le client peut recourir gratuitement au médiateur de la consommation dont les coordonnées figurent sur le site du prestataire (article L612-1 du Code de la consommation).
"""

CONSENT_VERSION = "2026-11"
CONSENT_TITLE = "Consentement au traitement des données personnelles"
CONSENT = """\
J'accepte que les informations recueillies lors de cette visite (coordonnées, composition du foyer, description du logement, consignes) soient enregistrées par la société pour établir le devis et le contrat, organiser les interventions et, le cas échéant, me proposer ses services. Elles sont conservées trois ans après le dernier contact si aucun contrat n'est signé, puis anonymisées. Je peux y accéder, les faire rectifier ou effacer, et retirer mon consentement à tout moment auprès de l'agence.
"""


def legal_texts_load(legal_text_model: Any) -> None:
    """Publish these first versions where they are missing (the data migration, and the
    tests whose database is flushed between tests)."""
    from django.utils import timezone

    for kind, version, title, body in (
        ("general_terms", GENERAL_TERMS_VERSION, GENERAL_TERMS_TITLE, GENERAL_TERMS),
        ("consent", CONSENT_VERSION, CONSENT_TITLE, CONSENT),
    ):
        legal_text_model.objects.get_or_create(
            kind=kind,
            version=version,
            defaults={"title": title, "body": body, "published_at": timezone.now()},
        )
