"""Demo data: a small business with customers, a catalogue and a few months of invoices."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.utils import timezone

from ardoise.accounts.models import Organisation
from ardoise.catalogue.models import Product, ProductKind
from ardoise.customers.models import Customer, CustomerKind
from ardoise.invoicing.models import Invoice, InvoiceLine
from ardoise.invoicing.services import issue_invoice, normalise_line_vat, refresh_totals


def create_demo_organisation() -> Organisation:
    return Organisation.objects.create(
        name="Atelier Lumière SARL",
        legal_form="SARL",
        share_capital=Decimal("8000.00"),
        address_line1="14 rue de la République",
        postcode="69002",
        city="Lyon",
        siren="732829320",
        siret="73282932000074",
        vat_number="FR44732829320",
        rcs_city="Lyon",
        iban="FR7630006000011234567890189",
        bic="AGRIFRPP",
        email="contact@atelier-lumiere.test",
        phone="04 72 00 00 00",
        website="https://atelier-lumiere.test",
    )


CUSTOMERS: list[dict[str, Any]] = [
    dict(
        name="Boulangerie Martin SAS",
        siren="552081317",
        siret="55208131766522",
        vat_number="FR03552081317",
        email="compta@boulangerie-martin.test",
        address_line1="3 place Bellecour",
        postcode="69002",
        city="Lyon",
    ),
    dict(
        name="Cabinet Durand & Associés",
        siren="552100554",
        siret="55210055400013",
        vat_number="FR96552100554",
        email="factures@cabinet-durand.test",
        address_line1="8 quai Saint-Antoine",
        postcode="69002",
        city="Lyon",
        payment_terms_days=45,
    ),
    dict(
        name="Claire Petit",
        kind=CustomerKind.INDIVIDUAL,
        email="claire.petit@example.test",
        address_line1="27 avenue Jean Jaurès",
        postcode="69007",
        city="Lyon",
        payment_terms_days=0,
    ),
]

PRODUCTS: list[dict[str, Any]] = [
    dict(name="Journée de conseil", unit="DAY", unit_price=Decimal("650.0000"), kind=ProductKind.SERVICE),
    dict(
        name="Développement web",
        description="Développement et recette, au temps passé.",
        unit="HUR",
        unit_price=Decimal("72.5000"),
        kind=ProductKind.SERVICE,
    ),
    dict(name="Hébergement annuel", unit="ANN", unit_price=Decimal("240.0000"), kind=ProductKind.SERVICE),
    dict(
        name="Livre « Lumière et couleur »",
        unit="H87",
        unit_price=Decimal("28.4360"),
        vat_rate=Decimal("5.50"),
        kind=ProductKind.GOODS,
    ),
]


def add_line(invoice: Invoice, product: Product, quantity: str, position: int, discount: str = "0") -> None:
    line = InvoiceLine(
        invoice=invoice,
        position=position,
        product=product,
        name=product.name,
        description=product.description,
        quantity=Decimal(quantity),
        unit=product.unit,
        unit_price=product.unit_price,
        vat_rate=product.vat_rate,
        is_service=product.kind == ProductKind.SERVICE,
        discount_percent=Decimal(discount),
    )
    normalise_line_vat(line, invoice.organisation)
    line.save()


def create_demo_documents(organisation: Organisation, owner: Any) -> None:
    customers = [Customer.objects.create(organisation=organisation, **data) for data in CUSTOMERS]
    products = [Product.objects.create(organisation=organisation, **data) for data in PRODUCTS]
    today = timezone.localdate()

    # Invoices are issued in date order, so that their numbers follow their dates.
    _past_months(customers, products, owner, today)

    # Three issued invoices over the last weeks (one paid, one partly paid, one overdue), then a draft.
    plan = [
        (customers[0], [(products[0], "2", "0"), (products[2], "1", "0")], 70, "paid"),
        (customers[1], [(products[1], "12.5", "10"), (products[3], "3", "0")], 40, "partial"),
        (customers[2], [(products[1], "4", "0")], 20, "unpaid"),
    ]
    from ardoise.invoicing.credit_notes import create_credit_note
    from ardoise.payments.services import record_payment

    for customer, lines, days_ago, payment in plan:
        invoice = Invoice.objects.create(organisation=organisation, customer=customer)
        for position, (product, quantity, discount) in enumerate(lines):
            add_line(invoice, product, quantity, position, discount)
        refresh_totals(invoice)
        issue_date = today - datetime.timedelta(days=days_ago)
        invoice = issue_invoice(invoice, user=owner, today=issue_date)
        if payment == "paid":
            record_payment(
                invoice, amount=invoice.amount_due, date=issue_date + datetime.timedelta(days=20), method="virement"
            )
        elif payment == "partial":
            record_payment(
                invoice, amount=Decimal("500.00"), date=issue_date + datetime.timedelta(days=10), method="cheque"
            )

        if payment == "paid":
            # The customer returned one item: a partial credit note, then the refund.
            refund_date = min(issue_date + datetime.timedelta(days=30), today)
            credit_note = create_credit_note(invoice, {2: Decimal("1")}, notes="Article retourné par le client.")
            credit_note = issue_invoice(credit_note, user=owner, today=refund_date)
            record_payment(credit_note, amount=credit_note.refund_due(), date=refund_date, method="virement")

    draft = Invoice.objects.create(
        organisation=organisation, customer=customers[0], notes="Merci pour votre confiance."
    )
    add_line(draft, products[1], "6", 0)
    refresh_totals(draft)

    _quotes(customers, products, owner, today)


def _quotes(customers: list[Customer], products: list[Product], owner: Any, today: datetime.date) -> None:
    """Add a quote accepted on paper, one sent and waiting, one expired, a draft and a pro forma invoice."""
    from ardoise.quotes import services as quotes
    from ardoise.quotes.models import Quote, QuoteKind, QuoteLine

    def quote_lines(*items: tuple[Product, str]) -> list[QuoteLine]:
        return [
            QuoteLine(
                product=product,
                name=product.name,
                description=product.description,
                quantity=Decimal(quantity),
                unit=product.unit,
                unit_price=product.unit_price,
                vat_rate=product.vat_rate,
                is_service=product.kind == ProductKind.SERVICE,
            )
            for product, quantity in items
        ]

    conditions = "Travaux démarrés sous deux semaines après accord. Acompte de 30 % à la commande."
    plan = [
        (customers[0], [(products[1], "20"), (products[0], "1")], 45, "accepted"),
        (customers[1], [(products[1], "8")], 10, "sent"),
        (customers[2], [(products[0], "3")], 60, "expired"),
    ]
    for customer, items, days_ago, outcome in plan:
        draft = Quote(organisation=customer.organisation, customer=customer, conditions=conditions)
        draft.deposit_percent = Decimal("30")
        quote = quotes.issue(
            quotes.save_draft(draft, quote_lines(*items), user=owner),
            user=owner,
            today=today - datetime.timedelta(days=days_ago),
        )
        if outcome in ("accepted", "sent"):
            quote = quotes.mark_sent(quote, user=owner)
        if outcome == "accepted":
            quotes.accept(quote, owner, name="Marie Durand")
        elif outcome == "expired":
            quotes.expire(quote, today=today)

    quotes.save_draft(
        Quote(organisation=customers[0].organisation, customer=customers[0], conditions=conditions),
        quote_lines((products[1], "5")),
        user=owner,
    )
    proforma = Quote(organisation=customers[1].organisation, customer=customers[1], kind=QuoteKind.PROFORMA)
    quotes.issue(quotes.save_draft(proforma, quote_lines((products[3], "10")), user=owner), user=owner, today=today)


def _past_months(customers: list[Customer], products: list[Product], owner: Any, today: datetime.date) -> None:
    """Add a monthly invoice over the past year, so that reports and charts have a history to show.

    The cabinet pays two months at a time with one transfer; Claire Petit
    once pays more than she owes, which leaves her a credit.
    """
    from ardoise.payments.services import receive_payment

    cabinet, claire = customers[1], customers[2]
    unpaid: list[Invoice] = []
    for months_ago in range(12, 2, -1):
        issue_date = (today.replace(day=1) - datetime.timedelta(days=30 * months_ago)).replace(day=5)
        invoice = Invoice.objects.create(organisation=cabinet.organisation, customer=cabinet)
        add_line(invoice, products[1], str(6 + months_ago * 7 % 9), 0)
        refresh_totals(invoice)
        unpaid.append(issue_invoice(invoice, user=owner, today=issue_date))
        if months_ago == 4:
            _overpaid_workshop(claire, products[3], owner, issue_date + datetime.timedelta(days=3))
        if len(unpaid) == 2:
            paid_on = issue_date + datetime.timedelta(days=38)
            total = sum((item.amount_due for item in unpaid), Decimal("0.00"))
            receive_payment(cabinet, total, paid_on, "virement", "VIR CABINET DURAND", user=owner)
            unpaid = []


def _overpaid_workshop(claire: Customer, book: Product, owner: Any, issue_date: datetime.date) -> None:
    from ardoise.payments.services import receive_payment

    workshop = Invoice.objects.create(organisation=claire.organisation, customer=claire)
    add_line(workshop, book, "2", 0)
    refresh_totals(workshop)
    workshop = issue_invoice(workshop, user=owner, today=issue_date)
    receive_payment(claire, workshop.amount_due + Decimal("20.00"), issue_date, "cheque", "Chèque n° 0412", user=owner)
