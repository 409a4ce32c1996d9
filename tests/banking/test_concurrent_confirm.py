"""Two proposals for the same invoice confirmed at the same time never settle more than its balance.

Each confirmation runs in its own thread with its own database connection.
The organisation and invoice rows are locked before the balances are read,
so the second confirmation reads the balance the first one left.
"""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import connection

from ardoise.banking.models import BankTransaction, TransactionState
from ardoise.banking.services import confirm_proposal, import_statement
from ardoise.integrity.services import verify
from ardoise.payments.models import Payment
from ardoise.payments.services import customer_credit
from tests.banking.conftest import ORGANISATION_IBAN, make_invoice


def statement_with_two_partial_transfers() -> bytes:
    entry = (
        '<Ntry><Amt Ccy="EUR">60.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><BookgDt><Dt>2026-12-08</Dt></BookgDt>'
        "<AcctSvcrRef>%s</AcctSvcrRef><NtryDtls><TxDtls><RmtInf><Ustrd>Facture F-2026-0001</Ustrd></RmtInf>"
        "</TxDtls></NtryDtls></Ntry>"
    )
    return (
        '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt><Stmt>'
        "<Acct><Id><IBAN>%s</IBAN></Id></Acct>%s%s</Stmt></BkToCstmrStmt></Document>"
        % (ORGANISATION_IBAN, entry % "A", entry % "B")
    ).encode()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_confirmations_share_the_balance(organisation, martin):
    invoice = make_invoice(martin, "100.00")
    import_statement(organisation, statement_with_two_partial_transfers(), "releve.xml")
    proposals = list(BankTransaction.objects.filter(state=TransactionState.PROPOSED))
    assert len(proposals) == 2

    barrier = threading.Barrier(len(proposals))
    errors: list[BaseException] = []

    def confirm(bank_transaction: BankTransaction) -> None:
        try:
            barrier.wait()
            confirm_proposal(bank_transaction)
        except BaseException as error:  # re-raised in the main thread through the assertion below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=confirm, args=(proposal,)) for proposal in proposals]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert invoice.balance() == Decimal("0.00")
    assert sorted(Payment.objects.values_list("amount", flat=True)) == [Decimal("40.00"), Decimal("60.00")]
    assert customer_credit(martin) == Decimal("20.00")
    assert BankTransaction.objects.filter(state=TransactionState.MATCHED).count() == 2
    assert verify(organisation).ok
