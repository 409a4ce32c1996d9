"""Matching credits to open invoices: certain matches recorded, likely ones proposed, confirm and undo."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from ardoise.audit.models import AuditEntry
from ardoise.banking.matching import normalise_name, normalise_reference, reference_pattern, short_number
from ardoise.banking.models import (
    BankAccount,
    BankTransaction,
    CounterpartyAlias,
    MatchConfidence,
    MatchReason,
    TransactionState,
)
from ardoise.banking.services import (
    BankingError,
    confirm_proposal,
    ignore_transaction,
    import_statement,
    match_manually,
    restore_transaction,
    undo_match,
)
from ardoise.integrity.services import verify
from ardoise.invoicing.credit_notes import create_credit_note
from ardoise.invoicing.models import Invoice, NumberingSeries, PaymentState
from ardoise.invoicing.services import issue_invoice
from ardoise.payments.models import Receipt
from ardoise.payments.services import customer_credit, record_payment, reverse_payment
from tests.banking.conftest import ORGANISATION_IBAN, import_sample, make_customer, make_invoice

pytestmark = pytest.mark.django_db

MARTIN_IBAN = "FR1420041010050500013M02606"


def camt(*entries: str) -> bytes:
    """A CAMT.053 statement of the organisation's account with the given Ntry elements."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt><Stmt>'
        "<Acct><Id><IBAN>%s</IBAN></Id><Ccy>EUR</Ccy></Acct>%s</Stmt></BkToCstmrStmt></Document>"
        % (ORGANISATION_IBAN, "".join(entries))
    ).encode()


def credit(reference: str, amount: str, text: str, *, name: str = "", iban: str = "", day: str = "2026-12-08") -> str:
    """One booked credit entry; ``text`` is the remittance information."""
    debtor = "<Dbtr><Nm>%s</Nm></Dbtr>" % name if name else ""
    account = "<DbtrAcct><Id><IBAN>%s</IBAN></Id></DbtrAcct>" % iban if iban else ""
    return (
        '<Ntry><Amt Ccy="EUR">%s</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>'
        "<BookgDt><Dt>%s</Dt></BookgDt><AcctSvcrRef>%s</AcctSvcrRef>"
        "<NtryDtls><TxDtls><RltdPties>%s%s</RltdPties><RmtInf><Ustrd>%s</Ustrd></RmtInf></TxDtls></NtryDtls>"
        "<AddtlNtryInf>VIR SEPA RECU</AddtlNtryInf></Ntry>" % (amount, day, reference, debtor, account, text)
    )


def import_entries(organisation, *entries: str, name: str = "releve.xml"):
    return import_statement(organisation, camt(*entries), name)


def only(**filters) -> BankTransaction:
    return BankTransaction.objects.get(**filters)


# Normalising.


@pytest.mark.parametrize(
    ("text", "expected"),
    [("f-2026-0001", "F20260001"), ("F 2026 0001", "F20260001"), ("F_2026.0001/A", "F20260001A")],
)
def test_reference_normalised_without_separators(text, expected):
    assert normalise_reference(text) == expected


@pytest.mark.parametrize(
    ("number", "text", "found"),
    [
        ("F-2026-0001", "REGLEMENT FACTURE F 2026 0001 MERCI", True),
        ("F-2026-0001", "FACT F20260001", True),
        ("F-2026-0001", "F-2026-00012", False),
        ("F-2026-1", "F-2026-12", False),
        ("2026-0001", "12026-0001", False),
        ("2026-0001", "FACTURE 2026-0001 12,50 EUR", True),
        ("F-2026-0001", "REF-2026-0001", False),
    ],
)
def test_reference_pattern_respects_number_boundaries(number, text, found):
    assert bool(reference_pattern(number).search(text)) is found


def test_short_number_drops_leading_zeros_of_last_counter():
    assert short_number("F-2026-0012") == "F-2026-12"
    assert short_number("F-2026-12") == ""
    assert short_number("2026-0100") == "2026-100"


def test_names_compared_without_legal_form_or_accents():
    assert normalise_name("Boulangerie Martin S.A.S.") == "BOULANGERIE MARTIN"
    assert normalise_name("SARL Café des Arts") == "CAFE DES ARTS"
    assert normalise_name("M. Jean Durand") == "JEAN DURAND"


# Certain matches.


def test_reference_with_spaces_and_exact_amount_is_recorded(organisation, martin):
    invoice = make_invoice(martin, "1065.00")
    assert invoice.number == "F-2026-0001"

    summary = import_sample(organisation, "camt053_decembre.xml")

    transaction = only(bank_id="2026120700001")
    assert transaction.state == TransactionState.MATCHED
    assert transaction.confidence == MatchConfidence.SURE
    assert transaction.match_reason == MatchReason.REFERENCE
    assert transaction.matched_by is None
    receipt = transaction.receipt
    assert receipt.customer == martin
    assert receipt.amount == Decimal("1065.00")
    assert receipt.date == datetime.date(2026, 12, 7)
    assert receipt.method == "virement"
    assert receipt.reference == "VIR SEPA RECU /DE BOULANGERIE MARTIN"
    assert invoice.balance() == Decimal("0.00")
    assert summary.matched == 1
    assert verify(organisation).ok


def test_reference_without_dashes_in_batch_detail_is_recorded(organisation, martin, cafe, librairie):
    make_invoice(martin, "1065.00")
    second = make_invoice(cafe, "1200.00")
    third = make_invoice(librairie, "420.00")

    summary = import_sample(organisation, "camt053_decembre.xml")

    assert summary.matched == 3
    assert second.balance() == Decimal("0.00")
    assert third.balance() == Decimal("0.00")
    assert only(bank_id="2026120800003/1").receipt.customer == cafe
    assert only(bank_id="2026120800003/2").receipt.customer == librairie


def test_one_transfer_settles_several_referenced_invoices(organisation, martin, cafe, librairie):
    account = BankAccount.objects.create(organisation=organisation, name="BP", iban=ORGANISATION_IBAN)
    make_invoice(martin, "1065.00")
    make_invoice(cafe, "1200.00")
    third = make_invoice(librairie, "420.00")
    fourth = make_invoice(librairie, "600.00")

    summary = import_sample(organisation, "csv_banque_populaire_utf8.csv", account=account)

    assert summary.matched == 2
    transaction = only(amount=Decimal("1020.00"))
    assert transaction.state == TransactionState.MATCHED
    payments = {payment.invoice.number: payment.amount for payment in transaction.receipt.payments.all()}
    assert payments == {third.number: Decimal("420.00"), fourth.number: Decimal("600.00")}
    assert fourth.balance() == Decimal("0.00")


def test_known_iban_with_exact_amount_is_recorded(organisation, martin):
    invoice = make_invoice(martin, "250.00")
    CounterpartyAlias.objects.create(organisation=organisation, customer=martin, iban=MARTIN_IBAN)

    import_entries(organisation, credit("R1", "250.00", "Merci", iban=MARTIN_IBAN))

    transaction = only(bank_id="R1")
    assert transaction.state == TransactionState.MATCHED
    assert transaction.match_reason == MatchReason.IBAN
    assert invoice.balance() == Decimal("0.00")


def test_number_without_leading_zeros_is_matched_when_unambiguous(organisation, martin, cafe):
    make_invoice(martin, "1065.00")
    second = make_invoice(cafe, "1200.00")

    import_sample(organisation, "ofx2_banque_populaire.ofx")

    assert only(bank_id="2026120600017").state == TransactionState.MATCHED
    assert second.balance() == Decimal("0.00")


def test_invoice_settled_once_per_statement(organisation, martin):
    invoice = make_invoice(martin, "100.00")

    summary = import_entries(organisation, credit("R1", "100.00", "F-2026-0001"), credit("R2", "100.00", "F-2026-0001"))

    assert summary.matched == 1
    assert only(bank_id="R2").state == TransactionState.UNMATCHED
    assert invoice.balance() == Decimal("0.00")


# Likely matches: proposed, not recorded.


def test_reference_with_other_amount_is_proposed(organisation, martin):
    invoice = make_invoice(martin, "1065.00")

    summary = import_entries(organisation, credit("R1", "500.00", "Acompte facture F-2026-0001"))

    transaction = only(bank_id="R1")
    assert transaction.state == TransactionState.PROPOSED
    assert transaction.confidence == MatchConfidence.LIKELY
    assert transaction.match_reason == MatchReason.REFERENCE_AMOUNT
    assert list(transaction.proposed_invoices.all()) == [invoice]
    assert transaction.receipt is None
    assert not Receipt.objects.exists()
    assert summary.proposed == 1


def test_customer_name_with_exact_amount_is_proposed(organisation, martin):
    invoice = make_invoice(martin, "250.00")

    import_entries(organisation, credit("R1", "250.00", "Paiement", name="BOULANGERIE MARTIN"))

    transaction = only(bank_id="R1")
    assert transaction.state == TransactionState.PROPOSED
    assert transaction.match_reason == MatchReason.NAME
    assert transaction.proposed_customer == martin
    assert list(transaction.proposed_invoices.all()) == [invoice]


def test_customer_name_found_inside_csv_label_is_proposed(organisation, martin):
    account = BankAccount.objects.create(organisation=organisation, name="SG", iban=ORGANISATION_IBAN)
    make_invoice(martin, "360.00")
    lefevre = make_customer(organisation, "M ou Mme Lefèvre")
    make_invoice(lefevre, "360.00")

    import_sample(organisation, "csv_societe_generale_utf8_bom.csv", account=account)

    transaction = only(amount=Decimal("360.00"))
    assert transaction.state == TransactionState.PROPOSED
    assert transaction.proposed_customer == lefevre


def test_same_amount_invoices_are_proposed(organisation, martin):
    older = make_invoice(martin, "250.00", issued_on=datetime.date(2026, 11, 2))
    make_invoice(martin, "250.00")
    CounterpartyAlias.objects.create(organisation=organisation, customer=martin, iban=MARTIN_IBAN)

    import_entries(organisation, credit("R1", "250.00", "Merci", iban=MARTIN_IBAN))

    transaction = only(bank_id="R1")
    assert transaction.state == TransactionState.PROPOSED
    assert list(transaction.proposed_invoices.all()) == [older]
    assert not Receipt.objects.exists()


def test_two_customers_referenced_stay_unmatched(organisation, martin, cafe):
    make_invoice(martin, "100.00")
    make_invoice(cafe, "200.00")

    import_entries(organisation, credit("R1", "300.00", "F-2026-0001 F-2026-0002"))

    transaction = only(bank_id="R1")
    assert transaction.state == TransactionState.UNMATCHED
    assert not Receipt.objects.exists()


def test_ambiguous_short_number_is_not_matched(organisation, martin, cafe):
    make_invoice(martin, "100.00")
    # An invoice of another series, F-2026-001, shortens to the same F-2026-1.
    series = NumberingSeries.objects.create(
        organisation=organisation, name="Ateliers", pattern="F-{YYYY}-{NNN}", reset="yearly"
    )
    other = make_invoice(cafe, "100.00", series=series)
    assert other.number == "F-2026-001"

    import_entries(organisation, credit("R1", "100.00", "facture F 2026 1"))

    assert only(bank_id="R1").state == TransactionState.UNMATCHED
    assert not Receipt.objects.exists()


def test_invoice_issued_after_the_transfer_is_not_matched(organisation, martin):
    make_invoice(martin, "100.00", issued_on=datetime.date(2026, 12, 9))

    import_entries(organisation, credit("R1", "100.00", "F-2026-0001", day="2026-12-08"))

    assert only(bank_id="R1").state == TransactionState.UNMATCHED


def test_unknown_payer_stays_unmatched(organisation, martin):
    make_invoice(martin, "100.00")

    import_entries(organisation, credit("R1", "100.00", "Cadeau", name="INCONNU SA"))

    transaction = only(bank_id="R1")
    assert transaction.state == TransactionState.UNMATCHED
    assert transaction.proposed_customer is None


# Confirming, undoing, matching by hand.


def test_confirm_records_receipt_and_learns_the_iban(organisation, martin, owner):
    invoice = make_invoice(martin, "250.00")
    import_entries(organisation, credit("R1", "250.00", "Paiement", name="BOULANGERIE MARTIN", iban=MARTIN_IBAN))

    receipt = confirm_proposal(only(bank_id="R1"), user=owner)

    transaction = only(bank_id="R1")
    assert transaction.state == TransactionState.MATCHED
    assert transaction.receipt == receipt
    assert transaction.matched_by == owner
    assert invoice.balance() == Decimal("0.00")
    assert CounterpartyAlias.objects.get(iban=MARTIN_IBAN).customer == martin
    assert AuditEntry.objects.filter(action="bank.proposal_confirmed", user=owner).exists()

    # The next transfer from that IBAN, with the exact amount, is certain.
    second = make_invoice(martin, "80.00")
    import_entries(organisation, credit("R2", "80.00", "Merci", iban=MARTIN_IBAN), name="suivant.xml")
    assert only(bank_id="R2").state == TransactionState.MATCHED
    assert second.balance() == Decimal("0.00")


def test_confirm_then_undo_brings_balances_back(organisation, martin, owner):
    invoice = make_invoice(martin, "1065.00")
    import_entries(organisation, credit("R1", "1100.00", "F-2026-0001"))

    confirm_proposal(only(bank_id="R1"), user=owner)
    assert invoice.balance() == Decimal("0.00")
    assert customer_credit(martin) == Decimal("35.00")

    undo_match(only(bank_id="R1"), user=owner)

    transaction = only(bank_id="R1")
    assert transaction.state == TransactionState.UNMATCHED
    assert transaction.receipt is None
    assert invoice.balance() == Decimal("1065.00")
    assert invoice.payment_state() == PaymentState.ISSUED
    assert customer_credit(martin) == Decimal("0.00")
    assert Receipt.objects.filter(reverses__isnull=False).count() == 1
    assert verify(organisation).ok


def test_undo_after_receipt_reversed_elsewhere(organisation, martin, owner):
    invoice = make_invoice(martin, "100.00")
    import_entries(organisation, credit("R1", "100.00", "F-2026-0001"))
    payment = invoice.payments.get()
    reverse_payment(payment, user=owner)

    undo_match(only(bank_id="R1"), user=owner)

    assert only(bank_id="R1").state == TransactionState.UNMATCHED
    assert Receipt.objects.filter(reverses__isnull=False).count() == 1
    assert invoice.balance() == Decimal("100.00")


def test_undone_match_can_be_matched_again_by_hand(organisation, martin, cafe, owner):
    wrong = make_invoice(martin, "100.00")
    right = make_invoice(cafe, "100.00")
    import_entries(organisation, credit("R1", "100.00", "F-2026-0001"))
    undo_match(only(bank_id="R1"), user=owner)

    match_manually(only(bank_id="R1"), cafe, [right], user=owner)

    transaction = only(bank_id="R1")
    assert transaction.state == TransactionState.MATCHED
    assert transaction.match_reason == MatchReason.MANUAL
    assert wrong.balance() == Decimal("100.00")
    assert right.balance() == Decimal("0.00")


def test_manual_match_beyond_balances_leaves_customer_credit(organisation, martin, owner):
    invoice = make_invoice(martin, "100.00")
    import_entries(organisation, credit("R1", "150.00", "Merci"))

    match_manually(only(bank_id="R1"), martin, [invoice], user=owner)

    assert invoice.balance() == Decimal("0.00")
    assert customer_credit(martin) == Decimal("50.00")


def test_manual_match_without_invoice_is_all_credit(organisation, martin, owner):
    import_entries(organisation, credit("R1", "150.00", "Avance"))

    match_manually(only(bank_id="R1"), martin, [], user=owner)

    assert customer_credit(martin) == Decimal("150.00")


def test_refund_debit_is_matched_to_credit_note(organisation, martin, owner):
    invoice = make_invoice(martin, "120.00")
    record_payment(invoice, Decimal("120.00"), datetime.date(2026, 12, 2))
    note = create_credit_note(invoice)
    note = issue_invoice(note, today=datetime.date(2026, 12, 3))
    assert note.refund_due() == Decimal("120.00")
    data = camt(
        '<Ntry><Amt Ccy="EUR">120.00</Amt><CdtDbtInd>DBIT</CdtDbtInd><BookgDt><Dt>2026-12-08</Dt></BookgDt>'
        "<AcctSvcrRef>D1</AcctSvcrRef><AddtlNtryInf>VIR SEPA EMIS BOULANGERIE MARTIN</AddtlNtryInf></Ntry>"
    )
    import_statement(organisation, data, "remboursement.xml")
    assert only(bank_id="D1").state == TransactionState.UNMATCHED

    receipt = match_manually(only(bank_id="D1"), martin, [note], user=owner)

    assert receipt.is_refund
    note = Invoice.objects.get(pk=note.pk)
    assert note.refund_due() == Decimal("0.00")

    undo_match(only(bank_id="D1"), user=owner)
    assert Invoice.objects.get(pk=note.pk).refund_due() == Decimal("120.00")


def test_confirm_refused_when_invoice_was_paid_meanwhile(organisation, martin, owner):
    invoice = make_invoice(martin, "1065.00")
    import_entries(organisation, credit("R1", "500.00", "F-2026-0001"))
    record_payment(invoice, Decimal("1065.00"), datetime.date(2026, 12, 9))

    with pytest.raises(BankingError, match="F-2026-0001 est déjà réglée"):
        confirm_proposal(only(bank_id="R1"), user=owner)
    assert only(bank_id="R1").state == TransactionState.PROPOSED


def test_confirm_twice_is_refused(organisation, martin, owner):
    make_invoice(martin, "1065.00")
    import_entries(organisation, credit("R1", "500.00", "F-2026-0001"))
    confirm_proposal(only(bank_id="R1"), user=owner)

    with pytest.raises(BankingError, match="pas \\(ou plus\\) de rapprochement proposé"):
        confirm_proposal(only(bank_id="R1"), user=owner)
    assert Receipt.objects.count() == 1


def test_ignore_then_restore(organisation, owner):
    import_sample(organisation, "camt053_decembre.xml")
    fees = only(amount=Decimal("-45.90"))

    ignore_transaction(fees, user=owner)
    assert only(pk=fees.pk).state == TransactionState.IGNORED
    restore_transaction(fees, user=owner)
    assert only(pk=fees.pk).state == TransactionState.UNMATCHED


def test_matched_transaction_cannot_be_ignored(organisation, martin, owner):
    make_invoice(martin, "1065.00")
    import_sample(organisation, "camt053_decembre.xml")

    with pytest.raises(BankingError, match="annulez d'abord le rapprochement"):
        ignore_transaction(only(bank_id="2026120700001"), user=owner)
