"""The French reminder plan every organisation starts with: 3 days before, then 7, 15 and 30 days after."""

from django.utils.translation import gettext_lazy as _

from ardoise.reminders.models import Channel

# (days after the due date, channel, subject, body); the last level is the formal notice.
DEFAULT_LEVELS = [
    (
        -3,
        Channel.EMAIL,
        _("Rappel : facture {numero} à régler le {echeance}"),
        _(
            "Bonjour,\n\n"
            "Pour mémoire, la facture {numero} du {date}, d'un montant de {montant}, arrive à échéance "
            "le {echeance}. Il reste {reste_a_payer} à régler.\n\n"
            "Si vous avez déjà effectué le paiement, merci de ne pas tenir compte de ce message.\n\n"
            "Cordialement,\n{organisation}"
        ),
    ),
    (
        7,
        Channel.EMAIL,
        _("Relance : facture {numero} échue le {echeance}"),
        _(
            "Bonjour,\n\n"
            "Sauf erreur de notre part, la facture {numero} du {date} n'est pas réglée : son échéance était "
            "le {echeance}, il y a {jours_de_retard} jours. Le montant restant dû est de {reste_a_payer}.\n\n"
            "Merci de procéder au règlement dans les meilleurs délais. Si le paiement est en cours, "
            "ne tenez pas compte de ce message.\n\n"
            "Cordialement,\n{organisation}"
        ),
    ),
    (
        15,
        Channel.EMAIL,
        _("Deuxième relance : facture {numero} impayée"),
        _(
            "Bonjour,\n\n"
            "Malgré notre précédente relance, la facture {numero} du {date} reste impayée, avec "
            "{jours_de_retard} jours de retard. Le montant restant dû est de {reste_a_payer}.\n\n"
            "Des pénalités de retard courent depuis le lendemain de l'échéance ({penalites} à ce jour), "
            "ainsi que l'indemnité forfaitaire pour frais de recouvrement : {indemnite}.\n\n"
            "Merci de régulariser la situation sous huit jours.\n\n"
            "Cordialement,\n{organisation}"
        ),
    ),
    (
        30,
        Channel.EMAIL,
        _("Mise en demeure de payer la facture {numero}"),
        _(
            "Bonjour,\n\n"
            "Vous trouverez ci-joint notre mise en demeure de payer la facture {numero} du {date}, échue le "
            "{echeance} et toujours impayée : {reste_a_payer} en principal, {penalites} de pénalités de retard "
            "à ce jour et l'indemnité forfaitaire pour frais de recouvrement : {indemnite}.\n\n"
            "Sans règlement sous huit jours, nous engagerons une procédure de recouvrement.\n\n"
            "{organisation}"
        ),
    ),
]
