"""The customer statement (relevé de compte) as a PDF, laid out like the invoices."""

from __future__ import annotations

import datetime
import re
from typing import Any

from django.utils import timezone
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from ardoise.accounts.models import Organisation
from ardoise.core.formats import format_amount, format_date, format_iban
from ardoise.invoicing.documents import legal_mentions, seller_party
from ardoise.pdf.context import party_block
from ardoise.pdf.render import render_statement_pdf
from ardoise.reports.queries import Statement

_UNSAFE_FILENAME_CHARACTERS = re.compile(r"[^A-Za-z0-9._-]+")


def statement_filename(statement: Statement) -> str:
    """Name the PDF after the customer and the period's end: "Releve-Boulangerie-Martin-SAS-2026-12-31.pdf"."""
    name = _UNSAFE_FILENAME_CHARACTERS.sub("-", _ascii(statement.customer.name)).strip("-") or "client"
    return _("Releve-%(customer)s-%(date)s.pdf") % {"customer": name, "date": statement.period.end.isoformat()}


def _ascii(text: str) -> str:
    import unicodedata

    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


def statement_pdf(organisation: Organisation, statement: Statement, today: datetime.date | None = None) -> bytes:
    logo = bytes(organisation.logo) if organisation.logo else None
    return render_statement_pdf(
        statement_context(organisation, statement, today), logo=logo, logo_format=organisation.logo_content_type or None
    )


def statement_context(
    organisation: Organisation, statement: Statement, today: datetime.date | None = None
) -> dict[str, Any]:
    """Return every text the statement template prints, formatted the French way."""
    today = today or timezone.localdate()
    currency = statement.currency
    period = statement.period
    # Reading every line first gives their totals, and so the opening balance, with no other query.
    lines = list(statement.lines)

    def money(value: Any) -> str:
        return format_amount(value, currency)

    def blank_zero(value: Any) -> str:
        return money(value) if value else ""

    title = _("Relevé de compte")
    # The closing balance is what the open invoices leave to pay, less the money received that settles none.
    notes = [[_("Moins votre crédit non affecté"), money(-statement.credit)]] if statement.credit else []
    return {
        "lang": "fr",
        "metadata": {"title": "%s %s" % (title, statement.customer.name), "author": organisation.name},
        "title": title,
        # Printed beside the page number from page 2 on: a long name would squeeze the legal mentions.
        "reference": "%s %s" % (title, Truncator(statement.customer.name).chars(40)),
        "subtitle": statement.customer.name,
        "facts": [
            [
                _("Période"),
                _("du %(start)s au %(end)s") % {"start": format_date(period.start), "end": format_date(period.end)},
            ],
            [_("Établi le"), format_date(today)],
            [_("Devise"), currency],
        ],
        "labels": {
            "seller": _("Émetteur"),
            "buyer": _("Client"),
            "date": _("Date"),
            "entry": _("Opération"),
            "due": _("Échéance"),
            "debit": _("Débit"),
            "credit": _("Crédit"),
            "balance": _("Solde"),
            "totals": _("Mouvements de la période"),
            "no_movement": _("Aucun mouvement sur la période."),
            "open_invoices": _("Factures restant dues"),
            "invoice": _("Facture"),
            "due_date": _("Échéance"),
            "left_to_pay": _("Reste à payer"),
            "days_late": _("Retard"),
            "payment": _("Règlement"),
        },
        "seller": party_block(seller_party(organisation)),
        "buyer": party_block(statement.customer.to_party()),
        "opening": [
            _("Solde au %(date)s") % {"date": format_date(period.start - datetime.timedelta(days=1))},
            money(statement.opening_balance),
        ],
        "lines": [
            {
                "date": format_date(line.date),
                "label": line.label,
                "reference": line.reference,
                "due": format_date(line.due_date) if line.due_date else "",
                "debit": blank_zero(line.debit),
                "credit": blank_zero(line.credit),
                "balance": money(line.balance),
            }
            for line in lines
        ],
        "total_debit": money(statement.total_debit),
        "total_credit": money(statement.total_credit),
        "notes": notes,
        "closing": [_("Solde au %(date)s") % {"date": format_date(period.end)}, money(statement.closing_balance)],
        "open_invoices": [
            {
                "number": row.number,
                "due": format_date(row.due_date) if row.due_date else "",
                "balance": money(row.balance),
                "late": _("%(days)s j") % {"days": row.days_overdue} if row.days_overdue else "",
            }
            for row in statement.open_invoices
        ],
        "payment": _payment(organisation) if statement.closing_balance > 0 else None,
        "legal_mentions": [legal_mentions(organisation, "S1", (), ())[-1]],
    }


def _payment(organisation: Organisation) -> list[list[str]] | None:
    if not organisation.iban:
        return None
    rows = [[_("IBAN"), format_iban(organisation.iban)]]
    if organisation.bic:
        rows.append([_("BIC"), organisation.bic])
    return rows
