"""Credit notes: creation from an issued invoice, partial credit, issuing, balances and « Annuler et remplacer »."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from ardoise.audit.models import AuditEntry
from ardoise.core.document import InvoiceDocument
from ardoise.einvoice.validation import validate_cii
from ardoise.invoicing.credit_notes import cancel_and_replace, create_credit_note, update_credit_note
from ardoise.invoicing.exceptions import InvoicingError
from ardoise.invoicing.models import Invoice, InvoiceStatus, NumberingSeries, PaymentState
from ardoise.invoicing.services import issue_invoice
from ardoise.payments.services import record_payment

pytestmark = pytest.mark.django_db

DAY = datetime.date(2026, 12, 4)


def issue(credit_note, day=DAY):
    return issue_invoice(credit_note, today=day)


def test_full_credit_note_is_issued_and_valid(issued_invoice):
    credit_note = issue(create_credit_note(issued_invoice))

    assert credit_note.type_code == "381"
    assert credit_note.number == "F-2026-0002"
    assert credit_note.amount_due == issued_invoice.amount_due
    document = InvoiceDocument.from_json(credit_note.document)
    assert document.preceding_invoice == "F-2026-0001"
    assert document.preceding_invoice_date == DAY
    report = validate_cii(bytes(credit_note.files.xml))
    assert report.ok, report.messages()


def test_credit_note_xml_references_the_invoice(issued_invoice):
    credit_note = issue(create_credit_note(issued_invoice))
    xml = bytes(credit_note.files.xml).decode()

    assert "<ram:TypeCode>381</ram:TypeCode>" in xml
    assert "<ram:IssuerAssignedID>F-2026-0001</ram:IssuerAssignedID>" in xml
    assert "20261204" in xml.split("InvoiceReferencedDocument")[1]


def test_partial_credit_note_credits_chosen_quantities(issued_invoice):
    credit_note = create_credit_note(issued_invoice, {1: Decimal("2.5")})

    lines = list(credit_note.lines.all())
    assert [(line.name, line.quantity) for line in lines] == [("Développement web", Decimal("2.5000"))]
    assert credit_note.total_without_vat == Decimal("162.50")
    assert credit_note.total_with_vat == Decimal("195.00")


def test_quantity_above_remaining_is_refused_naming_line(issued_invoice):
    issue(create_credit_note(issued_invoice, {1: Decimal("10")}))

    with pytest.raises(InvoicingError) as error:
        create_credit_note(issued_invoice, {1: Decimal("3")})

    assert error.value.message == (
        "Ligne 1 (« Développement web ») : 3 à créditer, mais il ne reste que 2,5 à créditer sur cette ligne."
    )
    assert Invoice.objects.filter(type_code="381").count() == 1


def test_draft_credit_notes_reserve_their_quantities(issued_invoice):
    create_credit_note(issued_invoice, {2: Decimal("3")})

    with pytest.raises(InvoicingError, match="il ne reste que 0 à créditer"):
        create_credit_note(issued_invoice, {2: Decimal("1")})


def test_unknown_line_and_negative_quantity_are_refused(issued_invoice):
    with pytest.raises(InvoicingError, match="n'a pas de ligne n° 7 : elle compte 2 ligne"):
        create_credit_note(issued_invoice, {7: Decimal("1")})
    with pytest.raises(InvoicingError, match="doit être positive"):
        create_credit_note(issued_invoice, {1: Decimal("-1")})
    with pytest.raises(InvoicingError, match="au moins une ligne"):
        create_credit_note(issued_invoice, {1: Decimal("0")})
    assert not Invoice.objects.filter(type_code="381").exists()


def test_draft_cannot_be_credited(draft_invoice):
    with pytest.raises(InvoicingError, match="n'est pas émis"):
        create_credit_note(draft_invoice)


def test_credit_note_cannot_be_credited(issued_invoice):
    credit_note = issue(create_credit_note(issued_invoice, {1: Decimal("1")}))

    with pytest.raises(InvoicingError, match="est un avoir : un avoir ne peut pas être crédité"):
        create_credit_note(credit_note)


def test_fully_credited_invoice_refuses_another_credit_note(issued_invoice):
    issue(create_credit_note(issued_invoice))

    with pytest.raises(InvoicingError, match="déjà entièrement reprise par ses avoirs"):
        create_credit_note(issued_invoice)


def test_unpaid_invoice_fully_credited_reads_cancelled(issued_invoice):
    credit_note = issue(create_credit_note(issued_invoice))
    issued_invoice.refresh_from_db()

    assert issued_invoice.balance() == Decimal("0.00")
    assert issued_invoice.payment_state() == PaymentState.CANCELLED
    assert credit_note.payment_state() == PaymentState.SETTLED
    assert credit_note.refund_due() == Decimal("0.00")
    assert credit_note.signed_total_with_vat == -issued_invoice.total_with_vat


def test_partial_credit_reduces_balance(issued_invoice):
    credit_note = issue(create_credit_note(issued_invoice, {1: Decimal("2.5")}))
    issued_invoice.refresh_from_db()

    assert issued_invoice.balance() == issued_invoice.amount_due - credit_note.amount_due
    assert issued_invoice.payment_state(today=DAY) == PaymentState.ISSUED


def test_paid_invoice_credit_leaves_refund_due(issued_invoice):
    record_payment(issued_invoice, issued_invoice.amount_due, DAY)
    credit_note = issue(create_credit_note(issued_invoice, {1: Decimal("2.5")}))
    issued_invoice.refresh_from_db()

    assert issued_invoice.balance() == Decimal("-195.00")
    assert issued_invoice.payment_state() == PaymentState.REFUND_DUE
    assert credit_note.refund_due() == Decimal("195.00")
    assert credit_note.payment_state() == PaymentState.REFUND_DUE


def test_refund_settles_credit_note(issued_invoice):
    record_payment(issued_invoice, issued_invoice.amount_due, DAY)
    credit_note = issue(create_credit_note(issued_invoice, {1: Decimal("2.5")}))

    record_payment(credit_note, Decimal("195.00"), DAY, method="virement", reference="Remboursement")
    issued_invoice.refresh_from_db()

    assert credit_note.refund_due() == Decimal("0.00")
    assert credit_note.payment_state() == PaymentState.SETTLED
    assert issued_invoice.balance() == Decimal("0.00")
    assert issued_invoice.payment_state() == PaymentState.PAID


def test_refund_above_due_is_refused(issued_invoice):
    from ardoise.payments.services import PaymentError

    record_payment(issued_invoice, Decimal("100.00"), DAY)
    credit_note = issue(create_credit_note(issued_invoice))

    with pytest.raises(PaymentError, match="dépasse le montant à rembourser sur l'avoir F-2026-0002 \\(100,00"):
        record_payment(credit_note, Decimal("100.01"), DAY)


def test_nothing_to_refund_on_unpaid_invoice(issued_invoice):
    from ardoise.payments.services import PaymentError

    credit_note = issue(create_credit_note(issued_invoice, {1: Decimal("1")}))

    with pytest.raises(PaymentError, match="ne laisse rien à rembourser"):
        record_payment(credit_note, Decimal("1.00"), DAY)


def test_payment_on_cancelled_invoice_is_refused(issued_invoice):
    from ardoise.payments.services import PaymentError

    issue(create_credit_note(issued_invoice))

    with pytest.raises(PaymentError, match="annulée par avoir"):
        record_payment(issued_invoice, Decimal("1.00"), DAY)


def test_credit_note_series_from_organisation_setting(issued_invoice, organisation):
    organisation.credit_note_series = NumberingSeries.objects.create(
        organisation=organisation, name="Avoirs", pattern="AV-{YYYY}-{NNNN}"
    )
    organisation.save()

    credit_note = issue(create_credit_note(issued_invoice))

    assert credit_note.number == "AV-2026-0001"


def test_update_credit_note_changes_quantities_and_notes(issued_invoice):
    credit_note = create_credit_note(issued_invoice)

    update_credit_note(credit_note, {2: Decimal("1")}, notes="Livre abîmé")

    assert [(line.name, line.quantity) for line in credit_note.lines.all()] == [
        ("Livre « Lumière »", Decimal("1.0000"))
    ]
    assert credit_note.notes == "Livre abîmé"
    assert credit_note.total_without_vat == Decimal("28.44")


def test_cancel_and_replace_issues_credit_and_opens_copy(issued_invoice):
    credit_note, draft = cancel_and_replace(issued_invoice, today=DAY)

    assert credit_note.status == InvoiceStatus.ISSUED
    assert credit_note.amount_due == issued_invoice.amount_due
    assert draft.is_draft
    assert draft.replaced_invoice == issued_invoice
    assert draft.amount_due == issued_invoice.amount_due
    assert [line.name for line in draft.lines.all()] == [line.name for line in issued_invoice.lines.all()]
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"credit_note.draft_created", "credit_note.issued", "invoice.cancelled_and_replaced"} <= actions


def test_cancel_and_replace_leaves_nothing_when_issue_fails(issued_invoice, organisation):
    organisation.siren = ""
    organisation.save()

    with pytest.raises(InvoicingError):
        cancel_and_replace(issued_invoice, today=DAY)

    assert Invoice.objects.count() == 1


def test_partial_credits_add_up_to_invoice(issued_invoice):
    first = issue(create_credit_note(issued_invoice, {1: Decimal("4.3"), 2: Decimal("1")}))
    second = issue(create_credit_note(issued_invoice))
    issued_invoice.refresh_from_db()

    assert first.amount_due + second.amount_due == issued_invoice.amount_due
    assert issued_invoice.payment_state() == PaymentState.CANCELLED


def discounted_invoice(organisation, customer):
    """An invoice at 20 % and 5.5 % with a line discount, a 10 % global discount and a shipping charge."""
    from ardoise.core.money import Adjustment, VatKey
    from ardoise.invoicing.documents import adjustment_to_json
    from ardoise.invoicing.models import InvoiceLine
    from ardoise.invoicing.services import save_draft

    invoice = Invoice(organisation=organisation, customer=customer, discount_value=Decimal("10"))
    invoice.document_adjustments = [
        adjustment_to_json(
            Adjustment(is_charge=True, amount=Decimal("12.00"), reason="Port", vat=VatKey("S", Decimal("20")))
        ),
    ]
    lines = [
        InvoiceLine(
            name="Conseil", quantity=Decimal("3"), unit_price=Decimal("333.3333"), discount_percent=Decimal("5")
        ),
        InvoiceLine(name="Livre", quantity=Decimal("7"), unit_price=Decimal("19.99"), vat_rate=Decimal("5.50")),
    ]
    return issue(save_draft(invoice, lines))


def test_partial_credit_with_discounts_passes_three_layers(organisation, customer):
    invoice = discounted_invoice(organisation, customer)

    credit_note = issue(create_credit_note(invoice, {1: Decimal("1"), 2: Decimal("2")}))

    report = validate_cii(bytes(credit_note.files.xml))
    assert report.ok, report.messages()
    assert {"xsd", "en16931", "br-fr"} <= set(report.layers)
    document = InvoiceDocument.from_json(credit_note.document)
    assert [(a.reason, a.amount) for a in document.charges] == [("Port", Decimal("4.00"))]


def test_partial_credits_with_discounts_add_up_exactly(organisation, customer):
    invoice = discounted_invoice(organisation, customer)

    first = issue(create_credit_note(invoice, {1: Decimal("1"), 2: Decimal("2")}))
    second = issue(create_credit_note(invoice, {1: Decimal("1.5")}))
    last = issue(create_credit_note(invoice))
    invoice.refresh_from_db()

    notes = [first, second, last]
    assert sum(note.amount_due for note in notes) == invoice.amount_due
    assert sum(note.total_without_vat for note in notes) == invoice.total_without_vat
    assert invoice.balance() == Decimal("0.00")
    assert invoice.payment_state() == PaymentState.CANCELLED
    for note in notes:
        assert validate_cii(bytes(note.files.xml)).ok


def test_credit_note_pdf_names_invoice(issued_invoice):
    import io

    from pypdf import PdfReader

    credit_note = issue(create_credit_note(issued_invoice))

    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(bytes(credit_note.files.pdf))).pages)
    assert "Avoir" in text
    assert "Avoir n° F-2026-0002 se rapportant à la facture n° F-2026-0001 du 04/12/2026" in " ".join(text.split())
    assert "Montant de l'avoir" in text


def test_replace_blocked_by_draft_credit_note(issued_invoice):
    pending = create_credit_note(issued_invoice, {1: Decimal("1")})

    with pytest.raises(InvoicingError) as error:
        cancel_and_replace(issued_invoice, today=DAY)

    assert error.value.message == (
        "Le brouillon d'avoir n° %s porte déjà sur la facture F-2026-0001 : émettez-le ou supprimez-le, "
        "puis recommencez." % pending.pk
    )
    assert Invoice.objects.count() == 2


def test_fixed_line_adjustments_follow_credited_quantity(organisation, customer):
    from ardoise.core.money import Adjustment
    from ardoise.invoicing.documents import adjustment_to_json
    from ardoise.invoicing.models import InvoiceLine
    from ardoise.invoicing.services import save_draft

    allowance = Adjustment(amount=Decimal("30.00"), reason="Remise fidélité")
    charge = Adjustment(is_charge=True, percent=Decimal("10"), base=Decimal("50.00"), reason="Emballage")
    line = InvoiceLine(
        name="Lampe",
        quantity=Decimal("3"),
        unit_price=Decimal("100"),
        extra_adjustments=[adjustment_to_json(allowance), adjustment_to_json(charge)],
    )
    invoice = issue(save_draft(Invoice(organisation=organisation, customer=customer), [line]))

    first = issue(create_credit_note(invoice, {1: Decimal("1")}))
    last = issue(create_credit_note(invoice))
    invoice.refresh_from_db()

    first_line = first.lines.get()
    assert [raw["amount"] for raw in first_line.extra_adjustments] == ["10.00", "1.67"]
    assert [raw["amount"] for raw in last.lines.get().extra_adjustments] == ["20.00", "3.33"]
    assert first.total_without_vat == Decimal("91.67")
    assert first.total_without_vat + last.total_without_vat == invoice.total_without_vat
    assert invoice.balance() == Decimal("0.00")
    assert validate_cii(bytes(first.files.xml)).ok


def test_replacement_invoice_references_replaced_one(issued_invoice):
    import io

    from pypdf import PdfReader

    _credit_note, draft = cancel_and_replace(issued_invoice, today=DAY)

    replacement = issue(draft)

    document = InvoiceDocument.from_json(replacement.document)
    assert replacement.type_code == "380"
    assert document.preceding_invoice == "F-2026-0001"
    assert document.preceding_invoice_date == DAY
    report = validate_cii(bytes(replacement.files.xml))
    assert report.ok, report.messages()
    text = " ".join(PdfReader(io.BytesIO(bytes(replacement.files.pdf))).pages[0].extract_text().split())
    assert "Remplace la facture F-2026-0001 du 04/12/2026" in text


def test_partial_credit_keeps_deposit_deducted(organisation, customer):
    from ardoise.invoicing.models import InvoiceLine
    from ardoise.invoicing.services import save_draft

    draft = Invoice(organisation=organisation, customer=customer, prepaid_amount=Decimal("100.00"))
    lines = [
        InvoiceLine(name="Conseil", quantity=Decimal("5"), unit_price=Decimal("100.00")),
        InvoiceLine(name="Audit", quantity=Decimal("2"), unit_price=Decimal("150.00")),
    ]
    invoice = issue(save_draft(draft, lines))  # 960.00 TTC, 100.00 deposit, 860.00 due

    first = issue(create_credit_note(invoice, {2: Decimal("2")}))  # 360.00 TTC
    invoice.refresh_from_db()

    assert first.prepaid_amount == Decimal("0.00")
    assert first.amount_due == Decimal("360.00")
    assert invoice.balance() == Decimal("500.00")

    second = issue(create_credit_note(invoice, {1: Decimal("4.5")}))  # 540.00 TTC, 40.00 beyond what is due
    last = issue(create_credit_note(invoice))
    invoice.refresh_from_db()

    assert second.prepaid_amount == Decimal("40.00")
    assert second.amount_due == Decimal("500.00")
    assert last.prepaid_amount == Decimal("60.00")
    assert first.amount_due + second.amount_due + last.amount_due == invoice.amount_due
    assert invoice.balance() == Decimal("0.00")


def test_credit_note_page_labels_its_amount(owner_client, organisation, customer):
    from django.urls import reverse

    from ardoise.invoicing.models import InvoiceLine
    from ardoise.invoicing.services import save_draft

    draft = Invoice(organisation=organisation, customer=customer, prepaid_amount=Decimal("100.00"))
    invoice = issue(save_draft(draft, [InvoiceLine(name="Conseil", quantity=Decimal("5"), unit_price=Decimal("100"))]))
    credit_note = issue(create_credit_note(invoice))

    page = owner_client.get(reverse("invoicing:detail", args=[credit_note.pk])).content.decode()

    assert "Montant de l'avoir</th>" in page
    assert "Net à payer</th>" not in page
