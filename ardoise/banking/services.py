"""Importing bank statements, matching their credits to invoices, and undoing matches.

Every operation runs in one database transaction: a statement whose file or
matching fails leaves nothing behind, and a match that cannot be recorded
leaves the transaction as it was.
"""

from __future__ import annotations

import datetime
import hashlib
import logging
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ardoise.accounts.models import Organisation
from ardoise.audit.services import record
from ardoise.banking.csv_statements import CsvLayout, detect_layout, parse_csv
from ardoise.banking.matching import Decision, Matcher, allocate, normalise_name
from ardoise.banking.models import (
    BankAccount,
    BankTransaction,
    CounterpartyAlias,
    CsvMapping,
    MatchConfidence,
    MatchReason,
    StatementImport,
    TransactionState,
)
from ardoise.banking.statements import (
    ParsedStatement,
    ParsedTransaction,
    StatementFileError,
    StatementFormat,
    compact_text,
    detect_format,
    parse_statement_file,
)
from ardoise.core.formats import format_iban
from ardoise.customers.models import Customer
from ardoise.invoicing.models import Invoice
from ardoise.payments.models import PaymentMethod, Receipt
from ardoise.payments.services import PaymentError, receive_payment, record_payment, refund_credit, reverse_receipt

logger = logging.getLogger(__name__)

ZERO = Decimal("0.00")


class BankingError(Exception):
    """A matching operation that cannot be done. ``message`` explains why and what to do, in French."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class ImportSummary:
    """The result of an import: the statements stored, and the files the same account had already imported."""

    imports: list[StatementImport] = field(default_factory=list)
    already_imported: list[StatementImport] = field(default_factory=list)

    @property
    def imported(self) -> int:
        return sum(item.transaction_count for item in self.imports)

    @property
    def duplicates(self) -> int:
        return sum(item.duplicate_count for item in self.imports)

    @property
    def matched(self) -> int:
        return sum(item.matched_count for item in self.imports)

    @property
    def proposed(self) -> int:
        return sum(item.proposed_count for item in self.imports)


# Importing.


def import_statement(
    organisation: Any,
    data: bytes,
    filename: str,
    *,
    account: BankAccount | None = None,
    csv_layout: CsvLayout | None = None,
    user: Any = None,
    request: Any = None,
) -> ImportSummary:
    """Import a CAMT.053, OFX or CSV statement, then match its credits to open invoices.

    The format comes from the content. A CAMT.053 or OFX file names its
    account, which its first import creates. A CSV file does not, so it goes
    to ``account`` or to the organisation's only account. It is read with
    ``csv_layout``, else with the account's saved layout, else with a
    detected one. Transactions already imported into the account are
    skipped, and a file already imported into it adds nothing. A file that
    cannot be read raises ``StatementFileError``, and then nothing is saved.
    """
    statement_format = detect_format(data, filename)
    if statement_format == StatementFormat.CSV:
        account = account or only_account(organisation)
        csv_layout = csv_layout or saved_layout(account) or detect_layout(data)
        if not csv_layout.is_complete:
            raise StatementFileError(
                _(
                    "Ardoise ne reconnaît pas les colonnes du fichier « %(filename)s » : indiquez où sont la date, "
                    "le libellé et le montant dans la correspondance des colonnes du compte « %(account)s »."
                )
                % {"filename": filename, "account": account.name}
            )
        parsed = parse_csv(data, csv_layout, account.currency)
        if not parsed.transactions:
            # Recording an empty import would block the file: its digest would count as imported.
            raise StatementFileError(
                _(
                    "Aucune opération n'a pu être lue dans « %(filename)s » avec les colonnes enregistrées pour le "
                    "compte « %(account)s » (%(skipped)s ligne(s) sautée(s) en tête). Vérifiez « Lignes à sauter » "
                    "et les colonnes dans la correspondance des colonnes du compte, puis importez à nouveau."
                )
                % {"filename": filename, "account": account.name, "skipped": csv_layout.skip_rows}
            )
        parsed.fill_period()
        statements = [parsed]
    else:
        statements = parse_statement_file(data, filename, statement_format)

    digest = hashlib.sha256(data).hexdigest()
    summary = ImportSummary()
    with transaction.atomic():
        matcher = Matcher(organisation)
        for statement in statements:
            target = _account_for(organisation, statement, account, filename)
            # Imports into one account wait for each other, so that overlapping files add nothing twice.
            target = BankAccount.objects.select_for_update().get(pk=target.pk)
            previous = StatementImport.objects.filter(account=target, sha256=digest).first()
            if previous is not None:
                summary.already_imported.append(previous)
                continue
            statement_import = _store(organisation, target, statement, filename, digest, user)
            _match_new(statement_import, matcher, request)
            summary.imports.append(statement_import)
            record(
                organisation,
                "bank.statement_imported",
                statement_import,
                user=user,
                request=request,
                data={
                    "file": filename,
                    "account": target.name,
                    "imported": statement_import.transaction_count,
                    "duplicates": statement_import.duplicate_count,
                    "matched": statement_import.matched_count,
                    "proposed": statement_import.proposed_count,
                },
            )
        if statement_format == StatementFormat.CSV and account is not None and csv_layout is not None:
            save_layout(account, csv_layout)

    logger.info(
        "statement imported organisation=%s file=%r imported=%s duplicates=%s matched=%s proposed=%s",
        organisation.pk,
        filename,
        summary.imported,
        summary.duplicates,
        summary.matched,
        summary.proposed,
    )
    return summary


def only_account(organisation: Any) -> BankAccount:
    """Return the organisation's bank account when it has exactly one; a CSV file does not name its account."""
    accounts = list(BankAccount.objects.filter(organisation=organisation)[:2])
    if len(accounts) == 1:
        return accounts[0]
    if not accounts:
        raise StatementFileError(
            _(
                "Un relevé CSV n'indique pas le compte bancaire : créez d'abord le compte (nom et IBAN) "
                "dans Banque, puis importez le fichier dans ce compte."
            )
        )
    raise StatementFileError(
        _("Un relevé CSV n'indique pas le compte bancaire : choisissez le compte dans lequel l'importer.")
    )


def saved_layout(account: BankAccount) -> CsvLayout | None:
    mapping = CsvMapping.objects.filter(account=account).first()
    return mapping.layout() if mapping is not None else None


def save_layout(account: BankAccount, layout: CsvLayout) -> CsvMapping:
    mapping = CsvMapping.objects.filter(account=account).first() or CsvMapping(account=account)
    mapping.set_layout(layout)
    mapping.save()
    return mapping


def _account_for(
    organisation: Any, statement: ParsedStatement, account: BankAccount | None, filename: str
) -> BankAccount:
    """Return the account a statement belongs to: the one chosen, else the one it names, created if new."""
    if account is not None:
        named = statement.iban or statement.account_number
        if named and named not in (account.iban, account.number):
            raise StatementFileError(
                _(
                    "Le fichier « %(filename)s » est le relevé du compte %(named)s, et non du compte « %(account)s » "
                    "choisi : choisissez le bon compte, ou laissez Ardoise le reconnaître."
                )
                % {
                    "filename": filename,
                    "named": format_iban(statement.iban) if statement.iban else statement.account_number,
                    "account": account.name,
                }
            )
        return account
    if statement.iban:
        found = BankAccount.objects.filter(organisation=organisation, iban=statement.iban).first()
    else:
        found = BankAccount.objects.filter(organisation=organisation, number=statement.account_number).first()
    if found is not None:
        return found
    return create_account(
        organisation,
        iban=statement.iban,
        number="" if statement.iban else statement.account_number,
        name=statement.account_name,
        currency=statement.currency,
    )


def create_account(
    organisation: Any,
    *,
    iban: str = "",
    number: str = "",
    name: str = "",
    currency: str = "EUR",
    user: Any = None,
    request: Any = None,
) -> BankAccount:
    """Create a bank account; without a name it is called after the last four characters of its IBAN or number."""
    identifier = (iban or number).replace(" ", "")
    account = BankAccount.objects.create(
        organisation=organisation,
        name=(name or _("Compte %(end)s") % {"end": "…" + identifier[-4:]})[:100],
        iban=iban,
        number=number,
        currency=currency,
    )
    record(organisation, "bank.account_created", account, user=user, request=request, data={"iban": iban or number})
    logger.info("bank account created organisation=%s account=%s", organisation.pk, account.pk)
    return account


def _store(
    organisation: Any, account: BankAccount, statement: ParsedStatement, filename: str, digest: str, user: Any
) -> StatementImport:
    """Save the statement's transactions that the account does not have yet."""
    statement_import = StatementImport.objects.create(
        organisation=organisation,
        account=account,
        file_name=filename[:255],
        sha256=digest,
        format=statement.format,
        period_start=statement.period_start,
        period_end=statement.period_end,
        created_by=user if getattr(user, "pk", None) else None,
    )
    keyed = list(zip(dedup_keys(statement.transactions), statement.transactions, strict=True))
    existing = set(
        BankTransaction.objects.filter(account=account, dedup_key__in=[key for key, _item in keyed]).values_list(
            "dedup_key", flat=True
        )
    )
    new = []
    for key, parsed in keyed:
        if key in existing:
            statement_import.duplicate_count += 1
            continue
        # The same identifier twice in one file is one movement listed twice.
        existing.add(key)
        new.append(_transaction(organisation, account, statement_import, key, parsed))
    BankTransaction.objects.bulk_create(new)
    statement_import.transaction_count = len(new)
    statement_import.save()
    return statement_import


def dedup_keys(transactions: list[ParsedTransaction]) -> list[str]:
    """Return the key that identifies each transaction within its account.

    The key is the bank's own id when the file has one. Otherwise it is a
    hash of the date, amount, label and reference, with the rank of the
    transaction among the identical ones of the file. So two identical
    coffees bought on the same day stay two transactions, and the same file
    imported again gives the same keys.
    """
    keys = []
    seen: dict[str, int] = {}
    for parsed in transactions:
        if parsed.bank_id:
            keys.append("id:%s" % parsed.bank_id)
            continue
        label = compact_text("%s %s" % (parsed.label, parsed.remittance)).casefold()
        content = "|".join([parsed.booking_date.isoformat(), str(parsed.amount), label, parsed.end_to_end_id])
        rank = seen.get(content, 0)
        seen[content] = rank + 1
        keys.append("h:%s" % hashlib.sha256(("%s|%s" % (content, rank)).encode()).hexdigest())
    return keys


def _transaction(
    organisation: Any, account: BankAccount, statement_import: StatementImport, key: str, parsed: ParsedTransaction
) -> BankTransaction:
    return BankTransaction(
        organisation=organisation,
        account=account,
        statement_import=statement_import,
        booking_date=parsed.booking_date,
        value_date=parsed.value_date,
        amount=parsed.amount,
        currency=parsed.currency or account.currency,
        label=parsed.label,
        remittance=parsed.remittance,
        counterparty_name=parsed.counterparty_name[:140],
        counterparty_iban=parsed.counterparty_iban[:34],
        bank_id=parsed.bank_id[:255],
        end_to_end_id=parsed.end_to_end_id[:255],
        dedup_key=key[:300],
    )


# Automatic matching.


def _match_new(statement_import: StatementImport, matcher: Matcher, request: Any) -> None:
    credits = statement_import.transactions.filter(amount__gt=ZERO).order_by("booking_date", "id")
    for bank_transaction in credits:
        decision = matcher.decide(bank_transaction)
        if decision.confidence == MatchConfidence.SURE and _record_sure(bank_transaction, decision, matcher, request):
            statement_import.matched_count += 1
        elif decision.confidence:
            _propose(bank_transaction, decision, MatchConfidence.LIKELY)
            statement_import.proposed_count += 1
        elif decision.customer_id:
            bank_transaction.proposed_customer_id = decision.customer_id
            bank_transaction.save(update_fields=["proposed_customer"])
    statement_import.save(update_fields=["matched_count", "proposed_count"])


def _record_sure(bank_transaction: BankTransaction, decision: Decision, matcher: Matcher, request: Any) -> bool:
    """Record a certain match; return False when the payment service refuses it, which leaves it proposed."""
    allocations = decision.allocations(bank_transaction.amount)
    customer = Customer.objects.get(pk=decision.customer_id or 0)
    try:
        receipt = _receive(bank_transaction, customer, allocations, user=None, request=request)
    except PaymentError as error:
        logger.warning(
            "certain match rejected by receive_payment transaction=%s customer=%s: %s",
            bank_transaction.pk,
            customer.pk,
            error.message,
        )
        return False
    matcher.settle(allocations)
    _mark_matched(bank_transaction, receipt, decision.confidence, decision.reason, user=None)
    if decision.reason == MatchReason.REFERENCE:
        remember_payer(bank_transaction, customer)
    record(
        customer.organisation,
        "bank.transaction_matched",
        bank_transaction,
        request=request,
        data=_match_data(bank_transaction, customer, allocations),
    )
    return True


def _propose(bank_transaction: BankTransaction, decision: Decision, confidence: str) -> None:
    bank_transaction.state = TransactionState.PROPOSED
    bank_transaction.confidence = confidence
    bank_transaction.match_reason = decision.reason
    bank_transaction.proposed_customer_id = decision.customer_id
    bank_transaction.save(update_fields=["state", "confidence", "match_reason", "proposed_customer"])
    bank_transaction.proposed_invoices.set([item.invoice for item in decision.invoices])


def _receive(
    bank_transaction: BankTransaction,
    customer: Customer,
    allocations: list[tuple[Invoice, Decimal]],
    *,
    user: Any,
    request: Any,
) -> Receipt:
    return receive_payment(
        customer,
        bank_transaction.amount,
        bank_transaction.booking_date,
        payment_method(bank_transaction),
        reference=compact_text(bank_transaction.label or bank_transaction.remittance)[:140],
        currency=bank_transaction.currency,
        allocations=allocations,
        user=user,
        request=request,
    )


def payment_method(bank_transaction: BankTransaction) -> str:
    """Return the payment method of a credit: a cheque when the label names a cheque deposit, else a transfer."""
    words = set(normalise_name(bank_transaction.label).split())
    if words & {"CHQ", "CHEQUE", "CHEQUES"}:
        return PaymentMethod.CHEQUE
    return PaymentMethod.TRANSFER


def _mark_matched(
    bank_transaction: BankTransaction, receipt: Receipt, confidence: str, reason: str, *, user: Any
) -> None:
    bank_transaction.state = TransactionState.MATCHED
    bank_transaction.receipt = receipt
    bank_transaction.confidence = confidence
    bank_transaction.match_reason = reason
    bank_transaction.matched_at = timezone.now()
    bank_transaction.matched_by = user if getattr(user, "pk", None) else None
    bank_transaction.proposed_customer = receipt.customer
    bank_transaction.save()


def remember_payer(bank_transaction: BankTransaction, customer: Customer) -> None:
    """Remember the payer's IBAN and name as the customer's, so that the next transfer identifies the customer."""
    organisation_id = bank_transaction.organisation_id
    name = normalise_name(bank_transaction.counterparty_name)[:140]
    if bank_transaction.counterparty_iban:
        CounterpartyAlias.objects.update_or_create(
            organisation_id=organisation_id,
            iban=bank_transaction.counterparty_iban,
            defaults={"customer": customer, "name": name},
        )
    elif name and name != normalise_name(customer.name):
        CounterpartyAlias.objects.update_or_create(
            organisation_id=organisation_id, iban="", name=name, defaults={"customer": customer}
        )


def _match_data(
    bank_transaction: BankTransaction, customer: Customer, allocations: list[tuple[Invoice, Decimal]]
) -> dict[str, Any]:
    return {
        "amount": str(bank_transaction.amount),
        "date": bank_transaction.booking_date.isoformat(),
        "customer": customer.name,
        "invoices": [invoice.number for invoice, _share in allocations],
    }


# What users do with a transaction.


def confirm_proposal(bank_transaction: BankTransaction, *, user: Any = None, request: Any = None) -> Receipt:
    """Record the proposed match of a transaction: a receipt from the customer settling the proposed invoices."""
    with transaction.atomic():
        bank_transaction = _locked(bank_transaction)
        if bank_transaction.state != TransactionState.PROPOSED or bank_transaction.proposed_customer is None:
            raise BankingError(_("Cette opération n'a pas (ou plus) de rapprochement proposé à confirmer."))
        customer = bank_transaction.proposed_customer
        balances = _current_balances(customer.organisation_id, list(bank_transaction.proposed_invoices.all()))
        for invoice, balance in balances:
            if balance <= ZERO:
                raise BankingError(
                    _(
                        "La facture %(number)s est déjà réglée depuis la proposition : rapprochez l'opération "
                        "manuellement."
                    )
                    % {"number": invoice.number}
                )
        allocations = allocate(bank_transaction.amount, balances)
        receipt = _receive_or_explain(bank_transaction, customer, allocations, user=user, request=request)
        _mark_matched(bank_transaction, receipt, bank_transaction.confidence, bank_transaction.match_reason, user=user)
        remember_payer(bank_transaction, customer)
        record(
            customer.organisation,
            "bank.proposal_confirmed",
            bank_transaction,
            user=user,
            request=request,
            data=_match_data(bank_transaction, customer, allocations),
        )
    return receipt


def match_manually(
    bank_transaction: BankTransaction,
    customer: Customer,
    invoices: list[Invoice],
    *,
    user: Any = None,
    request: Any = None,
) -> Receipt:
    """Match a transaction by hand.

    A credit becomes a receipt from ``customer`` spread over ``invoices``
    oldest due first, the rest being the customer's credit. A debit is a
    refund: to the one credit note given, or out of the customer's credit.
    """
    with transaction.atomic():
        bank_transaction = _locked(bank_transaction)
        if bank_transaction.state == TransactionState.MATCHED:
            raise BankingError(_("Cette opération est déjà rapprochée : annulez d'abord ce rapprochement."))
        if customer.organisation_id != bank_transaction.organisation_id:
            raise BankingError(_("Ce client n'existe pas."))
        if bank_transaction.is_credit:
            allocations = allocate(bank_transaction.amount, _current_balances(customer.organisation_id, invoices))
            receipt = _receive_or_explain(bank_transaction, customer, allocations, user=user, request=request)
        else:
            receipt = _refund(bank_transaction, customer, invoices, user=user, request=request)
            allocations = [(invoice, -bank_transaction.amount) for invoice in invoices]
        _mark_matched(bank_transaction, receipt, "", MatchReason.MANUAL, user=user)
        remember_payer(bank_transaction, customer)
        record(
            customer.organisation,
            "bank.transaction_matched",
            bank_transaction,
            user=user,
            request=request,
            data=_match_data(bank_transaction, customer, allocations),
        )
    return receipt


def _refund(
    bank_transaction: BankTransaction, customer: Customer, credit_notes: list[Invoice], *, user: Any, request: Any
) -> Receipt:
    amount = -bank_transaction.amount
    reference = compact_text(bank_transaction.label)[:100]
    if len(credit_notes) > 1:
        raise BankingError(_("Un remboursement se rapproche d'un seul avoir à la fois."))
    try:
        if credit_notes:
            payment = record_payment(
                credit_notes[0], amount, bank_transaction.booking_date, PaymentMethod.TRANSFER, reference, user=user,
                request=request,
            )  # fmt: skip
            return payment.receipt
        return refund_credit(
            customer,
            amount,
            bank_transaction.booking_date,
            PaymentMethod.TRANSFER,
            reference,
            currency=bank_transaction.currency,
            user=user,
            request=request,
        )
    except PaymentError as error:
        raise BankingError(error.message) from None


def _receive_or_explain(
    bank_transaction: BankTransaction,
    customer: Customer,
    allocations: list[tuple[Invoice, Decimal]],
    *,
    user: Any,
    request: Any,
) -> Receipt:
    try:
        return _receive(bank_transaction, customer, allocations, user=user, request=request)
    except PaymentError as error:
        raise BankingError(error.message) from None


def undo_match(bank_transaction: BankTransaction, *, user: Any = None, request: Any = None) -> Receipt:
    """Reverse the receipt a match recorded; the transaction goes back to the ones to match."""
    with transaction.atomic():
        bank_transaction = _locked(bank_transaction)
        receipt = bank_transaction.receipt
        if bank_transaction.state != TransactionState.MATCHED or receipt is None:
            raise BankingError(_("Cette opération n'est pas rapprochée : il n'y a rien à annuler."))
        if receipt.is_reversed:
            # Reversed from the invoice page already: only the link is left to clear.
            reversal = receipt.reversal
        else:
            try:
                reversal = reverse_receipt(receipt, user=user, request=request)
            except PaymentError as error:
                raise BankingError(error.message) from None
        bank_transaction.state = TransactionState.UNMATCHED
        bank_transaction.receipt = None
        bank_transaction.confidence = ""
        bank_transaction.match_reason = ""
        bank_transaction.matched_at = None
        bank_transaction.matched_by = None
        bank_transaction.save()
        bank_transaction.proposed_invoices.clear()
        record(
            bank_transaction.organisation,
            "bank.match_undone",
            bank_transaction,
            user=user,
            request=request,
            data={"amount": str(bank_transaction.amount), "customer": receipt.customer.name, "reverses": receipt.pk},
        )
    return reversal


def ignore_transaction(bank_transaction: BankTransaction, *, user: Any = None, request: Any = None) -> None:
    """Set aside a transaction that settles no invoice (bank fees, a transfer between own accounts)."""
    with transaction.atomic():
        bank_transaction = _locked(bank_transaction)
        if bank_transaction.state == TransactionState.MATCHED:
            raise BankingError(_("Cette opération est rapprochée : annulez d'abord le rapprochement."))
        bank_transaction.state = TransactionState.IGNORED
        bank_transaction.confidence = ""
        bank_transaction.match_reason = ""
        bank_transaction.save(update_fields=["state", "confidence", "match_reason"])
        bank_transaction.proposed_invoices.clear()
        record(
            bank_transaction.organisation,
            "bank.transaction_ignored",
            bank_transaction,
            user=user,
            request=request,
            data={"amount": str(bank_transaction.amount), "date": bank_transaction.booking_date.isoformat()},
        )


def restore_transaction(bank_transaction: BankTransaction, *, user: Any = None, request: Any = None) -> None:
    """Bring an ignored transaction back to the ones to match."""
    with transaction.atomic():
        bank_transaction = _locked(bank_transaction)
        if bank_transaction.state != TransactionState.IGNORED:
            raise BankingError(_("Cette opération n'est pas ignorée."))
        bank_transaction.state = TransactionState.UNMATCHED
        bank_transaction.save(update_fields=["state"])
        record(
            bank_transaction.organisation,
            "bank.transaction_restored",
            bank_transaction,
            user=user,
            request=request,
            data={"amount": str(bank_transaction.amount), "date": bank_transaction.booking_date.isoformat()},
        )


def _current_balances(organisation_id: int, invoices: list[Invoice]) -> list[tuple[Invoice, Decimal]]:
    """Return the invoices with their balance as of now, oldest due first.

    The organisation row is locked first, as ``receive_payment`` does, then
    the invoice rows: two confirmations that settle the same invoice wait for
    each other, and the second one spreads its amount over what the first left.
    """
    Organisation.objects.select_for_update().get(pk=organisation_id)
    locked = {
        invoice.pk: invoice
        for invoice in Invoice.objects.select_for_update().filter(pk__in=[item.pk for item in invoices]).order_by("pk")
    }
    return [(locked[item.pk], locked[item.pk].balance()) for item in sorted(invoices, key=due_order)]


def due_order(invoice: Invoice) -> tuple[datetime.date, int]:
    """Sort key of invoices to settle: oldest due date first (issue date when there is none)."""
    return (invoice.due_date or invoice.issue_date or datetime.date.min, invoice.pk)


def _locked(bank_transaction: BankTransaction) -> BankTransaction:
    """Reload the transaction with its row locked, so that a double click cannot match it twice."""
    return (
        BankTransaction.objects.select_for_update(of=("self",))
        .select_related("proposed_customer", "receipt", "organisation")
        .get(pk=bank_transaction.pk)
    )


def summary_text(summary: ImportSummary) -> str:
    """Say in one French sentence how many transactions were imported, matched and proposed."""
    parts = [
        ngettext("%(count)s opération importée", "%(count)s opérations importées", summary.imported)
        % {"count": summary.imported},
        ngettext("%(count)s rapprochée", "%(count)s rapprochées", summary.matched) % {"count": summary.matched},
        ngettext("%(count)s proposée", "%(count)s proposées", summary.proposed) % {"count": summary.proposed},
    ]
    text = ", ".join(parts) + "."
    if summary.duplicates:
        text += " " + ngettext(
            "%(count)s opération déjà importée n'a pas été reprise.",
            "%(count)s opérations déjà importées n'ont pas été reprises.",
            summary.duplicates,
        ) % {"count": summary.duplicates}
    return text
