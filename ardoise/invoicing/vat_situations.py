"""VAT situations on invoices: the default VAT of new lines, what the editor explains, what blocks issue.

The organisation's regime (normal, franchise en base, exempt operations) and
the customer's situation (France, EU business, EU individual, outside the EU,
exempt) set the defaults. ``ardoise.core.vat.default_line_vat`` contains the rules.
The checks here run before every issue, from the web page and the CLI alike,
through ``services.check_ready_to_issue``.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from ardoise.accounts.models import Organisation
from ardoise.core.document import Address
from ardoise.core.formats import format_rate
from ardoise.core.forms import country_name
from ardoise.core.vat import (
    EXEMPTION_LABELS,
    EXEMPTIONS,
    LineVat,
    VatSituation,
    default_line_vat,
    is_in_eu,
    is_outside_eu,
)
from ardoise.customers.models import Customer
from ardoise.invoicing.models import Invoice, InvoiceLine

# Categories whose invoices must give the seller's VAT number: BR-S-02, BR-Z-02,
# BR-AE-02, BR-IC-02 and BR-G-02 (an exempt or franchise invoice may give the SIREN).
SELLER_VAT_NUMBER_CATEGORIES = frozenset({"S", "Z", "AE", "K", "G"})

# The rate of the editor's VAT field when the situation sets none.
EDITOR_STANDARD_RATE = Decimal("20.00")


def line_vat_default(organisation: Organisation, customer: Customer | None, *, is_service: bool = True) -> LineVat:
    """Return the VAT a new line gets for this organisation and customer."""
    return default_line_vat(
        franchise=organisation.is_franchise,
        organisation_exemption=organisation.default_exemption(),
        situation=customer.effective_vat_situation() if customer else VatSituation.FRANCE,
        customer_exemption=(customer.vat_exemption or "other") if customer else "",
        is_company=customer.is_company if customer else True,
        is_service=is_service,
    )


def line_initial(organisation: Organisation, customer: Customer | None) -> dict[str, Any]:
    """Return the initial VAT fields of a new line in the editor (a service line)."""
    default = line_vat_default(organisation, customer)
    if default.rate is None:
        return {}
    return {"vat_rate": str(default.rate), "exemption": default.exemption}


def followed_line_vat(current: LineVat, before: LineVat, after: LineVat) -> LineVat | None:
    """Return the VAT an editor line takes when its default changes from ``before`` to ``after``, or None.

    The default changes with the customer or the line's nature. A line that
    still shows the previous default was not set by the user, so it follows.
    A line whose VAT the user chose keeps it (None), and so does a line
    already at the new default.
    """
    current, before, after = editor_vat(current), editor_vat(before), editor_vat(after)
    if current == after or current != before:
        return None
    return after


def editor_vat(vat: LineVat) -> LineVat:
    """Return ``vat`` as an editor line shows it: the standard rate written out, no exemption beside a rate."""
    if vat.rate is None:
        return LineVat(EDITOR_STANDARD_RATE)
    return LineVat(vat.rate, "" if vat.rate > 0 else vat.exemption)


def vat_label(vat: LineVat) -> str:
    """Name a line's VAT in a sentence: « 20 % », or the wording of its exemption."""
    vat = editor_vat(vat)
    assert vat.rate is not None
    exemption = EXEMPTIONS.get(vat.exemption)
    if vat.rate > 0 or exemption is None:
        return format_rate(vat.rate)
    return "« %s »" % (exemption.wording or EXEMPTION_LABELS[exemption.key])


def adjustment_vat_default(
    organisation: Organisation, customer: Customer | None, line_vats: Sequence[tuple[LineVat, Decimal]]
) -> LineVat:
    """Return the VAT a new allowance or charge on the total gets, from the lines' VAT and amounts.

    EN 16931 gives each allowance or charge the VAT of what it relates to, so
    shipping costs of exported goods are exempt like the goods. Without a way
    to tell which lines it relates to, the VAT with the largest amount wins,
    the first line's on a tie. Without lines, the customer's default applies.
    """
    amounts: dict[LineVat, Decimal] = {}
    for vat, amount in line_vats:
        key = editor_vat(vat)
        amounts[key] = amounts.get(key, Decimal(0)) + amount
    if not amounts:
        return editor_vat(line_vat_default(organisation, customer))
    return max(amounts, key=lambda key: amounts[key])


def exemption_wording(line: InvoiceLine, organisation: Organisation, customer: Customer | None) -> str:
    """Return the wording of a line's exemption; « other » takes the customer's or the organisation's text."""
    if line.exemption != "other":
        exemption = EXEMPTIONS.get(line.exemption)
        return str(exemption.wording) if exemption else ""
    if customer is not None and customer.effective_vat_situation() == VatSituation.EXEMPT:
        return customer.exemption_wording()
    return organisation.exemption_wording()


# What the editor explains


def situation_notes(organisation: Organisation, customer: Customer | None) -> list[str]:
    """Explain in French which VAT applies to the lines of an invoice for this customer, and why."""
    if organisation.is_franchise:
        return [
            _(
                "Franchise en base de TVA : votre entreprise ne facture pas de TVA. Chaque ligne est à 0 %% et la "
                "facture porte la mention « %(wording)s »."
            )
            % {"wording": EXEMPTIONS["franchise"].wording}
        ]
    notes = _customer_notes(customer) if customer is not None else []
    if organisation.default_exemption():
        notes.append(
            _(
                "Vos opérations sont exonérées (menu Entreprise) : les lignes vendues en France portent la mention "
                "« %(wording)s ». Choisissez un taux de TVA pour une ligne qui n'entre pas dans cette exonération."
            )
            % {"wording": organisation.exemption_wording() or _("motif à compléter")}
        )
    return notes


def _customer_notes(customer: Customer) -> list[str]:
    situation = customer.effective_vat_situation()
    source = (
        _("situation choisie sur la fiche client")
        if customer.vat_situation
        else _("situation déduite du pays, du type et du numéro de TVA de la fiche client")
    )
    head = _("« %(name)s » : %(situation)s (%(source)s).") % {
        "name": customer.name,
        "situation": situation.label,
        "source": source,
    }
    return [head, *_situation_rules(customer, situation)]


def _situation_rules(customer: Customer, situation: VatSituation) -> list[str]:
    country = country_name(customer.country_code)
    if situation == VatSituation.EU_BUSINESS:
        return [
            _(
                "Prestations de services : pas de TVA française, le client l'autoliquide dans son pays "
                "(mention « Autoliquidation »). Biens expédiés dans un autre État membre : exonérés "
                "(« %(goods)s »). Les numéros de TVA des deux entreprises sont imprimés sur la facture."
            )
            % {"goods": EXEMPTIONS["intra_eu_goods"].wording},
            _(
                "Appliquez la TVA française à une ligne quand l'opération a lieu en France, par exemple un service "
                "lié à un immeuble situé en France ou des biens remis au client en France."
            ),
        ]
    if situation == VatSituation.EU_INDIVIDUAL:
        return [
            _(
                "La TVA française s'applique (client particulier, %(country)s). Au-delà de 10 000 € par an de ventes "
                "à distance de biens et de services électroniques vers les particuliers de l'UE, c'est la TVA du pays "
                "du client qui s'applique, déclarée par le guichet unique (OSS)."
            )
            % {"country": country}
        ]
    if situation == VatSituation.EXPORT:
        services = (
            _("Prestations de services à une entreprise : TVA non applicable en France (« %(wording)s »).")
            % {"wording": EXEMPTIONS["services_outside_eu"].wording}
            if customer.is_company
            else _("Prestations de services à un particulier : la TVA française s'applique en général.")
        )
        return [
            _("Biens expédiés hors de l'UE (%(country)s) : exonérés (« %(wording)s »).")
            % {"country": country_name(customer.delivery_country()), "wording": EXEMPTIONS["export"].wording},
            services,
        ]
    if situation == VatSituation.EXEMPT:
        return [
            _("Les lignes sont exonérées : « %(wording)s ».")
            % {"wording": customer.exemption_wording() or _("motif à compléter sur la fiche client")}
        ]
    return [_("La TVA française s'applique au taux de chaque ligne.")]


# Delivery data of an intra-EU supply of goods


def goods_delivery(
    invoice: Invoice, lines: Sequence[Any], issue_date: datetime.date
) -> tuple[Address | None, datetime.date | None]:
    """Return the delivery address and date the document gives.

    An intra-EU supply of goods must state where the goods go and when
    (BR-IC-11, BR-IC-12). Without a separate delivery address they go to the
    billing address, and an empty delivery date means the issue date, which
    French rules allow to print only when the two differ.
    """
    customer = invoice.customer
    address = customer.delivery_address()
    categories = {line.vat_category for line in lines} | {
        raw.get("vat_category") for raw in invoice.document_adjustments
    }
    if "K" not in categories:
        return address, invoice.delivery_date
    if address is None:
        address = customer.billing_address()
        if address.country_code.upper() != customer.delivery_country():
            address = Address(country_code=customer.delivery_country())
    return address, invoice.delivery_date or issue_date


# What the confirmation page warns about


# Categories of lines sold without French VAT because of where the customer is.
INTERNATIONAL_CATEGORIES = frozenset({"AE", "K", "G"})


def vat_warnings(invoice: Invoice, lines: Sequence[InvoiceLine]) -> list[str]:
    """List, in French, the VAT choices that the law may allow but that look like a mistake.

    An allowance or charge takes the VAT of the goods or services it relates
    to. One at a French rate on an invoice whose lines all go abroad (export,
    intra-EU supply, reverse charge) was most likely left at the editor's 20 %.
    It may also be right (a service rendered in France), so issuing stays possible.
    """
    categories = {line.vat_category for line in lines}
    if not categories or not categories <= INTERNATIONAL_CATEGORIES:
        return []
    return [
        _(
            "« %(reason)s » (remises et frais sur le total) porte la TVA française à %(rate)s, alors qu'aucune ligne "
            "n'est soumise à la TVA française. Des frais ou une remise suivent en général la TVA des biens ou services "
            "qu'ils accompagnent : vérifiez leur TVA dans le brouillon."
        )
        % {"reason": raw.get("reason") or _("Frais"), "rate": format_rate(Decimal(str(raw["vat_rate"])))}
        for raw in invoice.document_adjustments
        if raw.get("vat_category") == "S"
    ]


# What blocks issue


def vat_problems(invoice: Invoice, lines: Sequence[InvoiceLine]) -> list[str]:
    """List, in French, the VAT data the invoice's situation requires and lacks.

    Each message names the field and where to fill it in. An empty list means
    the VAT part of the invoice can be issued.
    """
    organisation, customer = invoice.organisation, invoice.customer
    categories = {line.vat_category for line in lines} | {
        raw["vat_category"] for raw in invoice.document_adjustments if raw.get("vat_category")
    }
    problems = _regime_problems(organisation, lines)
    if categories & SELLER_VAT_NUMBER_CATEGORIES and not organisation.vat_number:
        problems.append(_seller_vat_number_problem(categories))
    if "AE" in categories and not customer.vat_number:
        problems.append(
            _(
                "Le numéro de TVA intracommunautaire du client est obligatoire pour l'autoliquidation "
                "(fiche client « %(name)s »)."
            )
            % {"name": customer.name}
        )
    if any(line.vat_category == "K" for line in lines):
        # Only goods lines prove a transport to another member state. An imported
        # charge in category K alone (transport costs) is kept as the file gives it.
        problems.extend(_intra_eu_goods_problems(customer))
    problems.extend(_export_problems(customer, lines))
    problems.extend(_nature_problems(customer, lines))
    problems.extend(_outside_scope_problems(organisation, customer, lines, categories))
    problems.extend(_exemption_text_problems(lines))
    return problems


def _regime_problems(organisation: Organisation, lines: Sequence[InvoiceLine]) -> list[str]:
    problems = []
    for line in lines:
        if organisation.is_franchise and line.vat_rate > 0:
            problems.append(
                _(
                    "Votre entreprise est en franchise en base de TVA (menu Entreprise) : la ligne « %(line)s » ne "
                    "peut pas porter de TVA. Enregistrez à nouveau le brouillon pour la passer à 0 %%, ou changez "
                    "de régime de TVA."
                )
                % {"line": line.name}
            )
        elif not organisation.is_franchise and line.exemption == "franchise":
            problems.append(
                _(
                    "La ligne « %(line)s » porte la mention de la franchise en base de TVA, mais votre entreprise "
                    "n'est plus en franchise (menu Entreprise) : choisissez son taux de TVA dans le brouillon."
                )
                % {"line": line.name}
            )
    return problems


def _seller_vat_number_problem(categories: set[str]) -> str:
    if categories & {"AE", "K"}:
        return _(
            "Le numéro de TVA intracommunautaire de votre entreprise est obligatoire pour l'autoliquidation et les "
            "livraisons intracommunautaires : indiquez-le dans le profil de l'entreprise (menu Entreprise)."
        )
    return _(
        "Indiquez le numéro de TVA intracommunautaire de l'entreprise (menu Entreprise) : il est obligatoire "
        "sur les factures avec TVA."
    )


def _intra_eu_goods_problems(customer: Customer) -> list[str]:
    problems = []
    if not customer.vat_number:
        problems.append(
            _(
                "Le numéro de TVA intracommunautaire du client est obligatoire pour une livraison "
                "intracommunautaire exonérée (fiche client « %(name)s »)."
            )
            % {"name": customer.name}
        )
    country = customer.delivery_country()
    if is_outside_eu(country):
        problems.append(
            _(
                "Une livraison intracommunautaire (article 262 ter I du CGI) suppose des biens livrés dans un autre "
                "État membre de l'UE, mais « %(name)s » est livré hors de l'UE (%(country)s). Choisissez "
                "l'exonération à l'export (article 262 I du CGI) pour ces lignes, ou corrigez le pays de livraison "
                "sur la fiche client."
            )
            % {"name": customer.name, "country": country_name(country)}
        )
    elif not is_in_eu(country):
        problems.append(
            _(
                "Une livraison intracommunautaire (article 262 ter I du CGI) suppose des biens livrés dans un autre "
                "État membre de l'UE, mais le pays de livraison de « %(name)s » est %(country)s. Indiquez le pays "
                "de livraison sur la fiche client, ou appliquez la TVA française à ces lignes."
            )
            % {"name": customer.name, "country": country_name(country)}
        )
    return problems


def _export_problems(customer: Customer, lines: Sequence[InvoiceLine]) -> list[str]:
    problems = []
    goods = [line for line in lines if line.exemption == "export"]
    if goods and not is_outside_eu(customer.delivery_country()):
        problems.append(
            _(
                "La ligne « %(line)s » est exonérée à l'export (article 262 I du CGI), mais « %(name)s » est livré "
                "dans l'UE (%(country)s). Corrigez le pays de livraison sur la fiche client, ou choisissez le bon "
                "taux ou motif pour cette ligne."
            )
            % {"line": goods[0].name, "name": customer.name, "country": country_name(customer.delivery_country())}
        )
    services = [line for line in lines if line.exemption == "services_outside_eu"]
    if services and not is_outside_eu(customer.country_code):
        problems.append(
            _(
                "La ligne « %(line)s » porte la mention « TVA non applicable, art. 259-1 du CGI », réservée aux "
                "services rendus à une entreprise établie hors de l'UE, mais « %(name)s » est établi en %(country)s "
                "(fiche client). Choisissez le bon taux ou motif pour cette ligne."
            )
            % {"line": services[0].name, "name": customer.name, "country": country_name(customer.country_code)}
        )
    return problems


def _nature_problems(customer: Customer, lines: Sequence[InvoiceLine]) -> list[str]:
    """Reject a line whose exemption the law reserves to the other nature, goods or services.

    An intra-EU supply (K, CGI art. 262 ter I) is a supply of goods, and art.
    259-1 sets where services are taxed. For a business in another EU member
    state, goods shipped there are an intra-EU supply, not a reverse charge.
    A line at a French rate (place of supply in France) is never rejected here.
    """
    eu_business = customer.effective_vat_situation() == VatSituation.EU_BUSINESS
    problems = []
    for line in lines:
        if line.vat_rate > 0:
            continue
        if line.is_service and line.vat_category == "K":
            problems.append(
                _(
                    "La ligne « %(line)s » est une prestation de services (champ « Nature »), mais porte l'exonération "
                    "des livraisons intracommunautaires de biens (article 262 ter I du CGI). Choisissez la nature "
                    "« Vente de biens » pour des biens, sinon le motif « Autoliquidation »."
                )
                % {"line": line.name}
            )
        elif not line.is_service and line.exemption == "services_outside_eu":
            problems.append(
                _(
                    "La ligne « %(line)s » est une vente de biens (champ « Nature »), mais porte la mention « TVA non "
                    "applicable, art. 259-1 du CGI », réservée aux prestations de services. Choisissez le motif "
                    "« Exonération de TVA, article 262 I du CGI » pour des biens exportés, ou la nature « Prestation "
                    "de services »."
                )
                % {"line": line.name}
            )
        elif not line.is_service and line.vat_category == "AE" and eu_business:
            problems.append(
                _(
                    "La ligne « %(line)s » est une vente de biens (champ « Nature ») à « %(name)s », entreprise "
                    "établie dans l'UE : des biens expédiés dans un autre État membre sont exonérés (« Exonération de "
                    "TVA, article 262 ter I du CGI »), pas autoliquidés. Choisissez ce motif, la nature « Prestation "
                    "de services », ou le taux français pour des biens livrés en France."
                )
                % {"line": line.name, "name": customer.name}
            )
    return problems


def _outside_scope_problems(
    organisation: Organisation, customer: Customer, lines: Sequence[InvoiceLine], categories: set[str]
) -> list[str]:
    """Explain why a line outside the scope of VAT (O) cannot be issued with the rest.

    EN 16931 forbids any other VAT category (BR-O-11, BR-O-12) and any VAT
    number (BR-O-02) on an invoice with such a line. The XML of an invoice
    with only such lines leaves the VAT numbers out (``einvoice.cii``), so
    only a mix of categories is a problem.
    """
    outside = [line for line in lines if line.vat_category == "O"]
    if not outside or categories == {"O"}:
        return []
    return [
        _(
            "La ligne « %(line)s » est hors champ de la TVA : la facture électronique n'admet alors ni autre taux "
            "de TVA, ni numéro de TVA du vendeur ou du client. Pour des frais payés au nom du client et refacturés "
            "à l'identique, choisissez « Débours, article 267 II 2° du CGI » ; sinon, choisissez le taux ou le "
            "motif d'exonération qui s'applique."
        )
        % {"line": outside[0].name}
    ]


def _exemption_text_problems(lines: Sequence[InvoiceLine]) -> list[str]:
    """Require the legal basis of every exempt line, which the invoice must print."""
    return [
        _(
            "La ligne « %(line)s » est exonérée sans motif : indiquez la base légale de l'exonération "
            "(motif d'exonération du menu Entreprise ou de la fiche client)."
        )
        % {"line": line.name}
        for line in lines
        if line.vat_category not in ("S", "Z") and not line.exemption_text
    ]
