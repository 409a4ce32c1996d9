"""Reminder letters and the formal notice (mise en demeure) as PDF, laid out like the invoices."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from ardoise.core.formats import format_amount, format_date, format_iban, format_rate
from ardoise.invoicing.documents import legal_mentions, seller_party
from ardoise.invoicing.models import Invoice
from ardoise.pdf.context import party_block
from ardoise.pdf.render import render_letter_pdf
from ardoise.reminders.services import Situation


def reminder_letter_pdf(invoice: Invoice, current: Situation, subject: str, body: str, *, formal: bool) -> bytes:
    organisation = invoice.organisation
    logo = bytes(organisation.logo) if organisation.logo else None
    data = letter_context(invoice, current, subject, body, formal=formal)
    return render_letter_pdf(data, logo=logo, logo_format=organisation.logo_content_type or None)


def letter_context(invoice: Invoice, current: Situation, subject: str, body: str, *, formal: bool) -> dict[str, Any]:
    """Return every text the letter prints, formatted the French way.

    A formal notice states the principal, the late penalties to date and the
    recovery indemnity, with its legal wording; another letter prints the
    level's own text.
    """
    organisation = invoice.organisation
    day = current.day
    title = _("Mise en demeure") if formal else _("Relance")
    place = organisation.city or ""
    place_and_date = (
        _("%(city)s, le %(date)s") % {"city": place, "date": format_date(day)} if place else format_date(day)
    )
    context: dict[str, Any] = {
        "lang": "fr",
        "metadata": {"title": "%s %s" % (title, invoice.number), "author": organisation.name},
        "title": title,
        "subtitle": _("Facture n° %(number)s") % {"number": invoice.number},
        "facts": _facts(invoice, current),
        "labels": {"seller": _("Expéditeur"), "buyer": _("Destinataire"), "payment": _("Règlement")},
        "seller": party_block(seller_party(organisation)),
        "buyer": party_block(invoice.customer.to_party()),
        "place_and_date": place_and_date,
        "delivery_note": _("Lettre recommandée avec demande d'avis de réception") if formal else "",
        "subject_line": _("Objet : %(subject)s") % {"subject": subject},
        "opening": [paragraph for paragraph in body.split("\n\n") if paragraph.strip()],
        "amounts": [],
        "total": ["", ""],
        "amounts_note": "",
        "closing": [],
        "signature": organisation.name,
        "payment": _payment(invoice),
        "legal_mentions": [legal_mentions(organisation, "S1", (), ())[-1]],
    }
    if formal:
        context.update(_formal_notice(invoice, current))
    return context


def _facts(invoice: Invoice, current: Situation) -> list[list[str]]:
    facts = [[_("Facture"), invoice.number]]
    if invoice.issue_date:
        facts.append([_("Émise le"), format_date(invoice.issue_date)])
    if current.due_date:
        facts.append([_("Échéance"), format_date(current.due_date)])
    facts.append([_("Retard"), _("%(days)s jours") % {"days": current.days_late}])
    return facts


def _formal_notice(invoice: Invoice, current: Situation) -> dict[str, Any]:
    currency = invoice.currency
    opening = [
        _("Madame, Monsieur,"),
        _(
            "Malgré nos relances, la facture n° %(number)s du %(date)s, d'un montant de %(total)s, échue le "
            "%(due)s, reste impayée à ce jour."
        )
        % {
            "number": invoice.number,
            "date": format_date(invoice.issue_date) if invoice.issue_date else "",
            "total": format_amount(invoice.total_with_vat, currency),
            "due": format_date(current.due_date) if current.due_date else "",
        },
        _(
            "Par la présente, nous vous mettons en demeure de nous régler, dans un délai de huit jours à compter "
            "de sa réception, les sommes suivantes :"
        ),
    ]
    amounts = [
        [_("Principal restant dû"), format_amount(current.balance, currency)],
        [
            _("Pénalités de retard au %(date)s") % {"date": format_date(current.day)},
            format_amount(current.penalties.total, currency),
        ],
    ]
    if current.indemnity:
        amounts.append(
            [
                _("Indemnité forfaitaire pour frais de recouvrement (art. D441-5 du Code de commerce)"),
                format_amount(current.indemnity, "EUR"),
            ]
        )
    closing = [
        _(
            "À défaut de paiement dans ce délai, nous saisirons la juridiction compétente, notamment par une "
            "requête en injonction de payer, sans autre avis."
        ),
        _("Cette lettre vaut mise en demeure au sens de l'article 1344 du Code civil."),
        _("Veuillez agréer, Madame, Monsieur, l'expression de nos salutations distinguées."),
    ]
    return {
        "opening": opening,
        "amounts": amounts,
        "total": [_("Total à régler"), format_amount(current.total, currency)],
        "amounts_note": penalty_explanation(invoice, current),
        "closing": closing,
    }


def penalty_explanation(invoice: Invoice, current: Situation) -> str:
    """Say how the penalties were computed: from when, at which rates, on what basis."""
    if not current.rate_known:
        return _(
            "Pénalités non chiffrées : le taux de la BCE de la période manque dans la table des taux "
            "(menu Relances, Taux)."
        )
    rates = _distinct_rates(current)
    if not rates:
        return ""
    if invoice.late_penalty_rate is not None:
        basis = _("au taux contractuel de %(rate)s par an") % {"rate": format_rate(invoice.late_penalty_rate)}
    else:
        basis = _("au taux de refinancement de la BCE majoré de 10 points, soit %(rates)s par an") % {
            "rates": _(" puis ").join(format_rate(rate) for rate in rates)
        }
    first = current.penalties.periods[0].first_day
    return _(
        "Pénalités calculées du %(first)s au %(last)s %(basis)s, sur une base de 365 jours (article L441-10 du "
        "Code de commerce)."
    ) % {"first": format_date(first), "last": format_date(current.day), "basis": basis}


def _distinct_rates(current: Situation) -> list[Decimal]:
    rates: list[Decimal] = []
    for period in current.penalties.periods:
        if not rates or rates[-1] != period.rate:
            rates.append(period.rate)
    return rates


def _payment(invoice: Invoice) -> list[list[str]] | None:
    organisation = invoice.organisation
    if not organisation.iban:
        return None
    rows = [[_("IBAN"), format_iban(organisation.iban)]]
    if organisation.bic:
        rows.append([_("BIC"), organisation.bic])
    rows.append([_("Référence"), invoice.number])
    return rows
