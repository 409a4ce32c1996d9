"""French explanations of the validation rules that Ardoise users can run into.

The schematrons report in English (EN 16931, Factur-X) or in technical French
(BR-FR). Users need to know which value of their invoice, their organisation
or their customer is wrong and where to fix it, so the rules they can hit by
filling Ardoise's forms get a sentence of their own. Any other rule falls back
to a generic sentence with the rule id and the original text.
"""

from __future__ import annotations

import re

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

# Keyed by rule id, or by the full assertion id when one rule has several
# assertions that need different advice (the BR-FR-05 notes).
RULE_MESSAGES = {
    # Mandatory terms of the invoice.
    "BR-02": _("Le numéro de la facture est manquant."),
    "BR-03": _("La date d'émission de la facture est manquante."),
    "BR-04": _("Le type de document (facture, avoir, acompte…) est manquant."),
    "BR-05": _("La devise de la facture est manquante."),
    "BR-06": _("La raison sociale de l'émetteur est manquante : complétez les informations de l'entreprise."),
    "BR-07": _("Le nom du client est manquant : complétez la fiche client."),
    "BR-08": _("L'adresse de l'émetteur est manquante : complétez les informations de l'entreprise."),
    "BR-09": _("Le pays de l'émetteur est manquant : complétez les informations de l'entreprise."),
    "BR-10": _("L'adresse du client est manquante : complétez la fiche client."),
    "BR-11": _("Le pays du client est manquant : complétez la fiche client."),
    "BR-12": _("Le total HT des lignes est absent de la facture."),
    "BR-13": _("Le total HT de la facture est absent."),
    "BR-14": _("Le total TTC de la facture est absent."),
    "BR-15": _("Le net à payer de la facture est absent."),
    "BR-16": _("La facture doit contenir au moins une ligne."),
    "BR-22": _("Une ligne n'a pas de quantité."),
    "BR-23": _("Une ligne n'a pas d'unité : choisissez l'unité de la ligne (heure, jour, pièce…)."),
    "BR-25": _("Une ligne n'a pas de désignation."),
    "BR-26": _("Une ligne n'a pas de prix unitaire HT."),
    "BR-27": _(
        "Le prix unitaire net d'une ligne est négatif. Pour déduire un montant, "
        "utilisez une quantité négative ou une remise."
    ),
    "BR-28": _("Le prix unitaire brut d'une ligne est négatif."),
    # Allowances and charges need a reason.
    "BR-33": _("Une remise sur le total n'a pas de motif : indiquez-en un."),
    "BR-CO-21": _("Une remise sur le total n'a pas de motif : indiquez-en un."),
    "BR-38": _("Des frais sur le total n'ont pas de motif : indiquez-en un."),
    "BR-CO-22": _("Des frais sur le total n'ont pas de motif : indiquez-en un."),
    "BR-42": _("Une remise sur une ligne n'a pas de motif : indiquez-en un."),
    "BR-CO-23": _("Une remise sur une ligne n'a pas de motif : indiquez-en un."),
    "BR-44": _("Des frais sur une ligne n'ont pas de motif : indiquez-en un."),
    "BR-CO-24": _("Des frais sur une ligne n'ont pas de motif : indiquez-en un."),
    # Totals.
    "BR-CO-10": _("Le total HT des lignes ne correspond pas à la somme des montants HT des lignes."),
    "BR-CO-11": _("Le total des remises ne correspond pas à la somme des remises sur le total."),
    "BR-CO-12": _("Le total des frais ne correspond pas à la somme des frais sur le total."),
    "BR-CO-13": _("Le total HT ne correspond pas au total des lignes diminué des remises et augmenté des frais."),
    "BR-CO-14": _("Le total de la TVA ne correspond pas à la somme de la TVA de chaque taux."),
    "BR-CO-15": _("Le total TTC ne correspond pas au total HT augmenté de la TVA."),
    "BR-CO-16": _(
        "Le net à payer ne correspond pas au total TTC diminué des acomptes versés et augmenté de l'arrondi."
    ),
    "BR-CO-17": _("Le montant de TVA d'un taux ne correspond pas à sa base HT multipliée par le taux."),
    "BR-CO-18": _("La facture doit contenir le récapitulatif de la TVA par taux."),
    "BR-CO-25": _("Le net à payer est positif : indiquez la date d'échéance ou les conditions de paiement."),
    "BR-S-08": _("La base HT d'un taux de TVA ne correspond pas aux lignes, remises et frais de ce taux."),
    "BR-S-09": _("Le montant de TVA d'un taux ne correspond pas à sa base HT multipliée par le taux."),
    "BR-E-08": _("La base HT exonérée ne correspond pas aux lignes, remises et frais exonérés."),
    "BR-Z-08": _("La base HT au taux zéro ne correspond pas aux lignes, remises et frais de ce taux."),
    "BR-AE-08": _("La base HT en autoliquidation ne correspond pas aux lignes, remises et frais concernés."),
    "BR-IC-08": _(
        "La base HT des livraisons intracommunautaires ne correspond pas aux lignes, remises et frais concernés."
    ),
    "BR-G-08": _("La base HT à l'export ne correspond pas aux lignes, remises et frais concernés."),
    "BR-O-08": _("La base HT hors champ de la TVA ne correspond pas aux lignes, remises et frais concernés."),
    # Identification of the parties.
    "BR-CO-09": _("Un numéro de TVA intracommunautaire doit commencer par le code de son pays (par exemple FR)."),
    "BR-CO-26": _("L'émetteur doit être identifié par son SIREN, son SIRET ou son numéro de TVA."),
    "BR-S-02": _("Des lignes sont soumises à la TVA : renseignez le numéro de TVA intracommunautaire de l'entreprise."),
    "BR-S-03": _("Une remise est soumise à la TVA : renseignez le numéro de TVA intracommunautaire de l'entreprise."),
    "BR-S-04": _("Des frais sont soumis à la TVA : renseignez le numéro de TVA intracommunautaire de l'entreprise."),
    "BR-E-02": _(
        "Une facture exonérée de TVA doit porter le numéro de TVA de l'entreprise ou son "
        "identifiant fiscal : renseignez l'un des deux dans les informations de l'entreprise."
    ),
    "BR-AE-02": _("En autoliquidation, la facture doit porter le numéro de TVA de l'entreprise et celui du client."),
    "BR-IC-02": _("Une livraison intracommunautaire doit porter le numéro de TVA de l'entreprise et celui du client."),
    "BR-G-02": _("Une vente à l'export doit porter le numéro de TVA de l'entreprise."),
    "BR-62": _("L'adresse électronique de l'émetteur doit préciser son type (schéma)."),
    "BR-63": _("L'adresse électronique du client doit préciser son type (schéma)."),
    # VAT categories, rates and exemptions.
    "BR-S-05": _("Une ligne au taux normal doit avoir un taux de TVA supérieur à zéro."),
    "BR-E-05": _("Une ligne exonérée de TVA doit avoir un taux de TVA de 0 %."),
    "BR-E-10": _(
        "La TVA exonérée doit être justifiée : indiquez la mention d'exonération, par exemple "
        "« TVA non applicable, art. 293 B du CGI » pour la franchise en base."
    ),
    "BR-AE-10": _("L'autoliquidation doit être justifiée par la mention « Autoliquidation »."),
    "BR-IC-10": _(
        "La livraison intracommunautaire doit être justifiée par la mention "
        "« Exonération de TVA, article 262 ter I du CGI »."
    ),
    "BR-IC-11": _("Une livraison intracommunautaire doit indiquer la date de livraison."),
    "BR-IC-12": _("Une livraison intracommunautaire doit indiquer le pays de livraison."),
    "BR-G-10": _(
        "La vente à l'export doit être justifiée par la mention « Exonération de TVA, article 262 I du CGI »."
    ),
    "BR-O-10": _("Une opération hors champ de la TVA doit être justifiée par une mention."),
    "BR-O-11": _("Une facture hors champ de la TVA ne peut pas contenir d'autres taux de TVA."),
    # Payment.
    "BR-49": _("Le moyen de paiement est manquant."),
    "BR-50": _("Le paiement par virement demande l'IBAN de l'entreprise : renseignez-le."),
    "BR-61": _("Le paiement par virement demande l'IBAN de l'entreprise : renseignez-le."),
    "CII-SR-470": _("Le paiement par virement demande l'IBAN de l'entreprise : renseignez-le."),
    # French rules (BR-FR).
    "BR-FR-01": _("Le numéro de facture ne doit pas dépasser 35 caractères."),
    "BR-FR-02": _(
        "Le numéro de facture ne peut contenir que des lettres sans accent, des chiffres et "
        "les signes + - _ / (ni espace ni point) : modifiez le format de la séquence de numérotation."
    ),
    "BR-FR-03": _("Une date de la facture doit être comprise entre les années 2000 et 2099."),
    "BR-FR-04": _("Ce type de document n'est pas accepté par la facturation électronique française."),
    "BR-FR-05_BT-22_PMT": _(
        "La mention de l'indemnité forfaitaire pour frais de recouvrement de 40 € est absente "
        "(note de code PMT) : ajoutez-la aux mentions légales de la facture."
    ),
    "BR-FR-05_BT-22_PMD": _(
        "La mention du taux des pénalités de retard est absente (note de code PMD) : "
        "ajoutez-la aux mentions légales de la facture."
    ),
    "BR-FR-05_BT-22_AAB": _(
        "La mention de l'escompte pour paiement anticipé, ou de son absence, est absente "
        "(note de code AAB) : ajoutez-la aux mentions légales de la facture."
    ),
    "BR-FR-06": _("Une même mention légale (PMT, PMD, AAB ou TXD) figure plusieurs fois dans les notes."),
    "BR-FR-08": _("Le cadre de facturation (biens, services ou mixte) est absent ou inconnu."),
    "BR-FR-09": _(
        "Le SIRET doit contenir 14 chiffres et commencer par les 9 chiffres du SIREN : vérifiez les deux numéros."
    ),
    "BR-FR-10": _(
        "Le SIREN de l'entreprise est obligatoire et doit contenir 9 chiffres : "
        "renseignez-le dans les informations de l'entreprise."
    ),
    "BR-FR-11": _("Le SIREN du client est obligatoire et doit contenir 9 chiffres : complétez la fiche client."),
    "BR-FR-12": _(
        "L'adresse de facturation électronique du client est manquante : renseignez son SIREN "
        "ou son adresse e-mail dans la fiche client."
    ),
    "BR-FR-13": _("L'adresse de facturation électronique de l'entreprise est manquante : renseignez son SIREN."),
    "BR-FR-15": _("Cette catégorie de TVA n'est pas acceptée en France."),
    "BR-FR-16": _("Ce taux de TVA n'existe pas en France (taux admis : 20, 10, 5,5, 2,1 % et les taux d'outre-mer)."),
    "BR-FR-21": _("L'adresse de facturation électronique du client doit commencer par son SIREN (schéma 0225)."),
    "BR-FR-22": _("L'adresse de facturation électronique de l'entreprise doit commencer par son SIREN (schéma 0225)."),
    "BR-FR-23": _(
        "Une adresse de facturation électronique ne peut contenir que des lettres sans accent, "
        "des chiffres et les signes + - _ ."
    ),
    "BR-FR-CO-04": _("Une facture rectificative doit indiquer le numéro et la date de la facture qu'elle corrige."),
    "BR-FR-CO-05": _("Un avoir doit indiquer le numéro et la date de la facture qu'il corrige."),
    "BR-FR-CO-07": _("La date d'échéance ne peut pas précéder la date d'émission."),
    "BR-FR-CO-12": _(
        "Une facture dans une autre devise que l'euro doit aussi indiquer le montant total de la TVA en euros."
    ),
    "BR-FR-DEC-01": _("Un montant a plus de 2 décimales."),
    "BR-FR-DEC-02": _("Une quantité a plus de 4 décimales."),
    "BR-FR-DEC-03": _("Un prix unitaire est négatif ou a plus de 6 décimales."),
    "BR-FR-DEC-04": _("Un taux de TVA doit être positif, avec au plus 2 décimales."),
}

# The technical rules of the Factur-X schematron ("FX-SCH-A-…") all read
# "element X must occur" or "value of X is not allowed", so they get a French
# sentence built on the element name.
_FX_PATTERNS = (
    (
        re.compile(r"^Value of '(?P<element>[^']+)' is not allowed"),
        _("La valeur de « %(element)s » ne fait pas partie des codes autorisés."),
    ),
    (
        re.compile(r"^Element '(?P<element>[^']+)' must occur"),
        _("L'élément « %(element)s » est manquant ou répété."),
    ),
    (
        re.compile(r"^Element (?:variant )?'(?P<element>[^']+)' may occur at maximum"),
        _("L'élément « %(element)s » apparaît trop de fois."),
    ),
    (
        re.compile(r"^(?:Element|Attribute) (?:variant )?'?(?P<element>[^' ]+)'? (?:is )?marked as not used"),
        _("L'élément « %(element)s » n'est pas admis à cet endroit par le profil EN 16931."),
    ),
    (
        re.compile(r"^Attribute '(?P<element>[^']+)' is required"),
        _("L'attribut « %(element)s » est obligatoire."),
    ),
)


def explain(rule: str, assertion_id: str, text: str) -> str:
    """Return the French explanation of a failed rule for the user."""
    message = RULE_MESSAGES.get(assertion_id) or RULE_MESSAGES.get(rule)
    if message is not None:
        return str(message)

    for pattern, template in _FX_PATTERNS:
        match = pattern.match(text)
        if match:
            return str(template) % {"element": match.group("element")}

    return gettext("La règle %(rule)s n'est pas respectée : %(text)s") % {"rule": rule, "text": text}
