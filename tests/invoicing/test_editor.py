"""The draft editor: lines typed the French way, live totals, catalogue filling, franchise en base."""

from __future__ import annotations

import html
from decimal import Decimal

import pytest
from django.urls import reverse

from ardoise.accounts.models import VatRegime
from ardoise.audit.models import AuditEntry
from ardoise.catalogue.models import Product
from ardoise.customers.models import Customer
from ardoise.invoicing.models import Invoice

NBSP = "\u00a0"
NNBSP = "\u202f"


def line_fields(**values):
    fields = {
        "id": "",
        "product": "",
        "name": "",
        "description": "",
        "quantity": "1",
        "unit": "C62",
        "unit_price": "",
        "vat_rate": "20.00",
        "exemption": "",
        "discount_percent": "0",
        "kind": "service",
    }
    fields.update(values)
    return fields


def editor_data(customer, lines, initial_forms=0, **header):
    """Build the POST data of the editor: header fields, then the lines formset."""
    data = {
        "customer": customer.pk,
        "delivery_date": "",
        "payment_terms_days": "",
        "purchase_order": "",
        "notes": "",
        "discount_kind": "percent",
        "discount_value": "0",
        "lines-TOTAL_FORMS": str(len(lines)),
        "lines-INITIAL_FORMS": str(initial_forms),
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "1000",
    }
    data.update(header)
    for index, line in enumerate(lines):
        for name, value in line.items():
            data["lines-%d-%s" % (index, name)] = value
    return data


TWO_LINES = [
    line_fields(name="Conseil", quantity="2,5", unit="HUR", unit_price="65,50"),
    line_fields(
        name="Manuel",
        quantity="3",
        unit="H87",
        unit_price="12,3456",
        vat_rate="5.50",
        discount_percent="10",
        kind="goods",
    ),
]


@pytest.mark.django_db
def test_create_draft_with_decimal_commas(owner_client, customer):
    response = owner_client.post(reverse("invoicing:create"), editor_data(customer, TWO_LINES, purchase_order="BC-42"))

    invoice = Invoice.objects.get()
    assert response.status_code == 302
    assert response["Location"] == invoice.get_absolute_url()
    lines = list(invoice.lines.all())
    assert [line.position for line in lines] == [1, 2]
    assert lines[0].quantity == Decimal("2.5")
    assert lines[0].unit_price == Decimal("65.5")
    assert lines[1].unit_price == Decimal("12.3456")
    assert lines[1].discount_percent == Decimal("10")
    assert lines[1].is_service is False
    assert lines[1].vat_category == "S"
    assert invoice.purchase_order == "BC-42"
    # 2.5 × 65.50 = 163.75 at 20 %; 3 × 12.3456 = 37.04 less 10 % (3.70) = 33.34 at 5.5 %.
    assert invoice.total_without_vat == Decimal("197.09")
    assert invoice.total_vat == Decimal("34.58")
    assert invoice.total_with_vat == Decimal("231.67")
    assert invoice.number == ""


@pytest.mark.django_db
def test_create_draft_writes_audit_entry(owner_client, owner, customer):
    owner_client.post(reverse("invoicing:create"), editor_data(customer, TWO_LINES))

    entry = AuditEntry.objects.get(action="invoice.draft_created")
    assert entry.user == owner
    assert entry.data == {"lines": 2, "amount_due": "231.67"}


@pytest.mark.django_db
def test_create_skips_blank_new_line(owner_client, customer):
    lines = [TWO_LINES[0], line_fields()]

    owner_client.post(reverse("invoicing:create"), editor_data(customer, lines))

    assert Invoice.objects.get().lines.count() == 1


@pytest.mark.django_db
def test_create_prefills_requested_customer(owner_client, customer, other_organisation):
    foreign = Customer.objects.create(organisation=other_organisation, name="Client d'un autre")

    response = owner_client.get(reverse("invoicing:create"), {"client": customer.pk})
    foreign_response = owner_client.get(reverse("invoicing:create"), {"client": foreign.pk})

    assert '<option value="%d" selected>' % customer.pk in response.text
    assert "Client d&#x27;un autre" not in foreign_response.text
    assert "selected>Boulangerie" not in foreign_response.text


@pytest.mark.django_db
def test_edit_changes_removes_and_adds_lines(owner_client, draft_invoice):
    first, second = draft_invoice.lines.all()
    lines = [
        line_fields(id=str(first.pk), name=first.name, quantity="10", unit="HUR", unit_price="65"),
        line_fields(
            id=str(second.pk), name=second.name, quantity="3", unit_price="28,436", vat_rate="5.50", DELETE="on"
        ),
        line_fields(name="Déplacement", quantity="1", unit="LS", unit_price="45", vat_rate="20.00"),
    ]

    response = owner_client.post(
        reverse("invoicing:edit", args=[draft_invoice.pk]), editor_data(draft_invoice.customer, lines, initial_forms=2)
    )

    draft_invoice.refresh_from_db()
    assert response.status_code == 302
    assert [line.name for line in draft_invoice.lines.all()] == ["Développement web", "Déplacement"]
    assert draft_invoice.total_without_vat == Decimal("695.00")
    assert draft_invoice.total_with_vat == Decimal("834.00")
    assert AuditEntry.objects.filter(action="invoice.draft_updated", object_id=str(draft_invoice.pk)).count() == 1


@pytest.mark.django_db
def test_edit_page_shows_saved_lines(owner_client, draft_invoice):
    response = owner_client.get(reverse("invoicing:edit", args=[draft_invoice.pk]))

    assert response.status_code == 200
    assert 'value="12,5"' in response.text
    assert 'value="28,436"' in response.text
    assert "1%s065,00%s€" % (NNBSP, NBSP) in response.text


@pytest.mark.django_db
def test_live_totals_follow_typed_lines(owner_client, customer):
    data = editor_data(customer, TWO_LINES, discount_kind="amount", discount_value="7,09")

    response = owner_client.post(reverse("invoicing:totals"), data)

    text = response.text
    assert response.status_code == 200
    assert "Remise globale" in text
    # The 7.09 € discount is split over the two rates in proportion to their net amounts.
    assert "190,00%s€" % NBSP in text
    assert 'id="lines-0-amount"' in text
    assert "163,75%s€" % NBSP in text
    assert "33,34%s€" % NBSP in text
    assert "Total TTC" in text
    assert Invoice.objects.count() == 0


@pytest.mark.django_db
def test_live_totals_match_saved_totals(owner_client, customer):
    totals = owner_client.post(reverse("invoicing:totals"), editor_data(customer, TWO_LINES)).text

    owner_client.post(reverse("invoicing:create"), editor_data(customer, TWO_LINES))

    invoice = Invoice.objects.get()
    assert "231,67%s€" % NBSP in totals
    assert invoice.total_with_vat == Decimal("231.67")


@pytest.mark.django_db
def test_live_totals_name_the_incomplete_line(owner_client, customer):
    lines = [TWO_LINES[0], line_fields(name="Sans prix")]

    response = owner_client.post(reverse("invoicing:totals"), editor_data(customer, lines))

    text = html.unescape(response.text)
    assert "Ligne 2 (Sans prix) : prix unitaire HT à renseigner, la ligne n'est pas encore comptée." in text
    assert "196,50%s€" % NBSP in text


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"quantity": "abc"}, "Ligne 2 (Manuel) : quantité « abc » invalide, la ligne n'est pas comptée."),
        (
            {"unit_price": "1.250,00"},
            "Ligne 2 (Manuel) : prix unitaire HT « 1.250,00 » invalide, la ligne n'est pas comptée.",
        ),
        (
            {"name": "", "discount_percent": "dix"},
            "Ligne 2 : désignation à renseigner, la ligne n'est pas encore comptée.",
        ),
    ],
)
def test_live_totals_name_invalid_value(owner_client, customer, changes, problem):
    lines = [TWO_LINES[0], {**TWO_LINES[1], **changes}]

    response = owner_client.post(reverse("invoicing:totals"), editor_data(customer, lines))

    assert problem in html.unescape(response.text)


@pytest.mark.django_db
def test_error_page_totals_valid_lines(owner_client, customer):
    lines = [TWO_LINES[0], {**TWO_LINES[1], "quantity": "abc"}]

    response = owner_client.post(reverse("invoicing:create"), editor_data(customer, lines))

    text = html.unescape(response.text)
    assert response.status_code == 200
    assert "Le brouillon n'a pas été enregistré" in text
    assert "196,50%s€" % NBSP in text
    assert "Ligne 2 (Manuel) : quantité « abc » invalide, la ligne n'est pas comptée." in text
    assert Invoice.objects.count() == 0


@pytest.mark.django_db
def test_live_totals_ignore_deleted_lines(owner_client, customer):
    lines = [TWO_LINES[0], {**TWO_LINES[1], "DELETE": "on"}]

    response = owner_client.post(reverse("invoicing:totals"), editor_data(customer, lines))

    assert "196,50%s€" % NBSP in response.text
    assert "5,5%s%%" % NNBSP not in response.text


@pytest.mark.django_db
def test_franchise_forces_zero_vat_with_art_293_b(owner_client, organisation, customer):
    organisation.vat_regime = VatRegime.FRANCHISE
    organisation.save()
    lines = [line_fields(name="Cours de piano", quantity="4", unit="HUR", unit_price="40", vat_rate="20.00")]

    page = owner_client.get(reverse("invoicing:create"))
    owner_client.post(reverse("invoicing:create"), editor_data(customer, lines))

    line = Invoice.objects.get().lines.get()
    assert "art. 293 B du CGI" in page.text
    assert line.vat_rate == Decimal("0.00")
    assert line.exemption == "franchise"
    assert line.vat_category == "E"
    assert line.exemption_text == "TVA non applicable, art. 293 B du CGI"
    assert Invoice.objects.get().total_with_vat == Decimal("160.00")


@pytest.mark.django_db
def test_zero_rate_needs_exemption_reason(owner_client, customer):
    lines = [line_fields(name="Formation", unit_price="500", vat_rate="0.00")]

    response = owner_client.post(reverse("invoicing:create"), editor_data(customer, lines))

    assert response.status_code == 200
    assert "indiquez le motif d&#x27;exonération" in response.text
    assert Invoice.objects.count() == 0


@pytest.mark.django_db
def test_zero_rate_with_exemption_is_saved(owner_client, customer):
    lines = [line_fields(name="Formation", unit_price="500", vat_rate="0.00", exemption="article_261")]

    owner_client.post(reverse("invoicing:create"), editor_data(customer, lines))

    line = Invoice.objects.get().lines.get()
    assert line.vat_category == "E"
    assert line.exemption_text == "Exonération de TVA, article 261 du CGI"


@pytest.mark.django_db
def test_payment_terms_above_sixty_days_rejected(owner_client, customer):
    response = owner_client.post(reverse("invoicing:create"), editor_data(customer, TWO_LINES, payment_terms_days="61"))

    assert response.status_code == 200
    assert "dépasse le maximum légal de 60 jours" in response.text
    assert Invoice.objects.count() == 0


@pytest.mark.django_db
def test_impossible_delivery_date_named(owner_client, customer):
    response = owner_client.post(
        reverse("invoicing:create"), editor_data(customer, TWO_LINES, delivery_date="31/02/2026")
    )

    assert response.status_code == 200
    assert "La date « 31/02/2026 » n&#x27;existe pas dans le calendrier" in response.text
    assert Invoice.objects.count() == 0


@pytest.mark.django_db
def test_unit_price_beyond_six_decimals_rejected(owner_client, customer):
    lines = [line_fields(name="Électricité", quantity="100", unit_price="0,1234567")]

    response = owner_client.post(reverse("invoicing:create"), editor_data(customer, lines))

    assert response.status_code == 200
    assert Invoice.objects.count() == 0
    assert "6 chiffres après la virgule" in response.text


@pytest.mark.django_db
def test_discount_amount_above_lines_rejected(owner_client, customer):
    data = editor_data(customer, TWO_LINES, discount_kind="amount", discount_value="500")

    response = owner_client.post(reverse("invoicing:create"), data)

    assert response.status_code == 200
    assert "dépasse le total HT des lignes" in response.text
    assert Invoice.objects.count() == 0


@pytest.mark.django_db
def test_customer_of_other_organisation_rejected(owner_client, other_organisation):
    foreign = Customer.objects.create(organisation=other_organisation, name="Client d'un autre")

    response = owner_client.post(reverse("invoicing:create"), editor_data(foreign, TWO_LINES))

    assert response.status_code == 200
    assert Invoice.objects.count() == 0


@pytest.mark.django_db
def test_line_add_returns_row_and_new_form_count(owner_client):
    response = owner_client.get(reverse("invoicing:line_add"), {"lines-TOTAL_FORMS": "3"})

    assert response.status_code == 200
    assert 'name="lines-3-name"' in response.text
    assert 'name="lines-TOTAL_FORMS" value="4"' in response.text
    assert 'hx-swap-oob="true"' in response.text


@pytest.mark.django_db
def test_line_fill_copies_product_and_keeps_quantity(owner_client, organisation):
    product = Product.objects.create(
        organisation=organisation,
        name="Carton de livres",
        description="Lot de 12",
        kind="goods",
        unit="H87",
        unit_price=Decimal("18.2500"),
        vat_rate=Decimal("5.50"),
    )
    params = {"prefix": "lines-2", "lines-2-product": product.pk, "lines-2-quantity": "7", "lines-2-id": "55"}

    response = owner_client.get(reverse("invoicing:line_fill"), params)

    text = response.text
    assert response["HX-Trigger-After-Settle"] == "lines-changed"
    assert 'name="lines-2-name" value="Carton de livres"' in text
    assert "Lot de 12</textarea>" in text
    assert 'name="lines-2-unit_price" value="18,25"' in text
    assert 'name="lines-2-quantity" value="7"' in text
    assert '<option value="5.50" selected>' in text
    assert '<option value="goods" selected>' in text
    assert '<option value="H87" selected>' in text
    assert 'name="lines-2-id" value="55"' in text


@pytest.mark.django_db
def test_line_fill_ignores_other_organisation_product(owner_client, other_organisation):
    foreign = Product.objects.create(organisation=other_organisation, name="Secret", unit_price=Decimal("1"))

    response = owner_client.get(reverse("invoicing:line_fill"), {"prefix": "lines-0", "lines-0-product": foreign.pk})

    assert response.status_code == 200
    assert "Secret" not in response.text


@pytest.mark.django_db
def test_delete_draft_after_confirmation(owner_client, draft_invoice):
    url = reverse("invoicing:delete", args=[draft_invoice.pk])

    confirmation = owner_client.get(url)
    response = owner_client.post(url)

    assert "Oui, supprimer le brouillon" in confirmation.text
    assert response["Location"] == reverse("invoicing:list")
    assert not Invoice.objects.filter(pk=draft_invoice.pk).exists()
    assert AuditEntry.objects.filter(action="invoice.draft_deleted").count() == 1


@pytest.mark.django_db
def test_global_discount_prints_its_own_reason(owner_client, customer):
    from ardoise.invoicing.services import issue_invoice

    data = editor_data(customer, TWO_LINES, discount_value="5", discount_reason="Remise fidélité")

    live = owner_client.post(reverse("invoicing:totals"), data).text
    owner_client.post(reverse("invoicing:create"), data)
    issued = issue_invoice(Invoice.objects.get())

    assert "Remise fidélité" in live
    reasons = {allowance["reason"] for allowance in issued.document["allowances"]}
    assert reasons == {"Remise fidélité"}
