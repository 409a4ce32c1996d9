"""Bank screens: import a statement, check its CSV columns, review and match the transactions."""

from __future__ import annotations

import datetime
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ardoise.audit.services import form_changes, record
from ardoise.banking import services
from ardoise.banking.csv_statements import CsvLayout, column_choices, detect_layout, parse_csv, read_rows
from ardoise.banking.forms import AccountForm, CsvMappingForm, ImportForm, ManualMatchForm
from ardoise.banking.models import (
    BankAccount,
    BankTransaction,
    CsvMapping,
    StatementImport,
    StatementUpload,
    TransactionState,
)
from ardoise.banking.services import BankingError
from ardoise.banking.statements import StatementFileError, StatementFormat, detect_format
from ardoise.core.formats import format_amount, format_date
from ardoise.core.views import current_organisation, get_scoped_or_404, scoped
from ardoise.customers.models import Customer
from ardoise.invoicing import queries
from ardoise.invoicing.models import DocumentType, Invoice
from ardoise.payments.services import customer_credit, open_invoices

PAGE_SIZE = 50
PREVIEW_ROWS = 8
# A CSV file left waiting for its columns longer than this is deleted at the next upload.
UPLOAD_LIFETIME = datetime.timedelta(days=1)


# Transactions.


@require_GET
def transaction_list(request: HttpRequest) -> HttpResponse:
    transactions = scoped(request, BankTransaction).select_related("account", "proposed_customer", "receipt")
    state = request.GET.get("etat", "")
    if state not in TransactionState.values:
        state = ""
    counts = dict(transactions.order_by().values_list("state").annotate(count=Count("id")))
    account = request.GET.get("compte", "")
    accounts = scoped(request, BankAccount)
    if account.isdigit():
        transactions = transactions.filter(account_id=int(account))
    if state:
        transactions = transactions.filter(state=state)
    transactions = transactions.prefetch_related(
        Prefetch("proposed_invoices", queryset=Invoice.objects.order_by("number")),
        "receipt__payments__invoice",
    )
    page = Paginator(transactions.order_by("-booking_date", "-id"), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "state": state,
        "account": account,
        "accounts": accounts,
        "tabs": [(value, label, counts.get(value, 0)) for value, label in TransactionState.choices],
        "total": sum(counts.values()),
        "filter_query": urlencode({key: value for key, value in (("etat", state), ("compte", account)) if value}),
        "next_url": request.get_full_path(),
    }
    return render(request, "banking/transaction_list.html", context)


@require_GET
def transaction_detail(request: HttpRequest, pk: int) -> HttpResponse:
    bank_transaction = _transaction_or_404(request, pk)
    return render(request, "banking/transaction_detail.html", {"transaction": bank_transaction})


@require_POST
def transaction_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    bank_transaction = _transaction_or_404(request, pk)
    try:
        receipt = services.confirm_proposal(bank_transaction, user=request.user, request=request)
    except BankingError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("Rapprochement confirmé : encaissement de %(amount)s de %(customer)s enregistré.")
            % {"amount": format_amount(receipt.amount, receipt.currency), "customer": receipt.customer.name},
        )
    return _back(request, bank_transaction)


@require_POST
def transaction_undo(request: HttpRequest, pk: int) -> HttpResponse:
    bank_transaction = _transaction_or_404(request, pk)
    try:
        services.undo_match(bank_transaction, user=request.user, request=request)
    except BankingError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _(
                "Rapprochement annulé : l'encaissement est annulé par une écriture inverse et l'opération est de "
                "nouveau à rapprocher."
            ),
        )
    return _back(request, bank_transaction)


@require_POST
def transaction_ignore(request: HttpRequest, pk: int) -> HttpResponse:
    bank_transaction = _transaction_or_404(request, pk)
    try:
        services.ignore_transaction(bank_transaction, user=request.user, request=request)
    except BankingError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Opération ignorée : elle ne sera plus proposée au rapprochement."))
    return _back(request, bank_transaction)


@require_POST
def transaction_restore(request: HttpRequest, pk: int) -> HttpResponse:
    bank_transaction = _transaction_or_404(request, pk)
    try:
        services.restore_transaction(bank_transaction, user=request.user, request=request)
    except BankingError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Opération rétablie : elle est de nouveau à rapprocher."))
    return _back(request, bank_transaction)


@require_http_methods(["GET", "POST"])
def transaction_match(request: HttpRequest, pk: int) -> HttpResponse:
    """Match a transaction by hand: pick the customer, then the invoices (or the credit note of a refund)."""
    bank_transaction = _transaction_or_404(request, pk)
    if bank_transaction.state == TransactionState.MATCHED:
        messages.error(request, _("Cette opération est déjà rapprochée : annulez d'abord ce rapprochement."))
        return redirect(bank_transaction)
    customers = scoped(request, Customer).order_by("name", "id")
    raw_customer = request.POST.get("customer") or request.GET.get("client") or ""
    customer = customers.filter(pk=int(raw_customer)).first() if raw_customer.isdigit() else None
    if customer is None and not raw_customer:
        customer = bank_transaction.proposed_customer

    documents = _documents_to_settle(bank_transaction, customer)
    form = ManualMatchForm(
        request.POST if request.method == "POST" else None,
        customers=customers,
        documents=documents,
        is_credit=bank_transaction.is_credit,
        initial={
            "customer": customer,
            "invoices": [invoice.pk for invoice in bank_transaction.proposed_invoices.all()],
        },
    )
    if request.method == "POST" and form.is_valid():
        chosen = sorted(form.cleaned_data["invoices"], key=services.due_order)
        try:
            services.match_manually(
                bank_transaction, form.cleaned_data["customer"], chosen, user=request.user, request=request
            )
        except BankingError as error:
            form.add_error(None, error.message)
        else:
            messages.success(
                request,
                _("Opération rapprochée de %(customer)s.") % {"customer": form.cleaned_data["customer"].name},
            )
            return redirect(bank_transaction)

    context = {
        "transaction": bank_transaction,
        "form": form,
        "customers": customers,
        "customer": customer,
        "documents": documents,
        "credit": customer_credit(customer, bank_transaction.currency) if customer else None,
    }
    return render(request, "banking/transaction_match.html", context)


def _documents_to_settle(bank_transaction: BankTransaction, customer: Customer | None) -> Any:
    """Return what the transaction can settle: open invoices for a credit, credit notes to refund for a debit."""
    if customer is None:
        return Invoice.objects.none()
    if bank_transaction.is_credit:
        return open_invoices(customer, bank_transaction.currency)
    credit_notes: Any = queries.with_balance(
        Invoice.objects.filter(
            customer=customer, currency=bank_transaction.currency, type_code=DocumentType.CREDIT_NOTE
        ).issued()
    )
    return credit_notes.filter(balance_amount__lt=0).order_by("issue_date", "id")


def _transaction_or_404(request: HttpRequest, pk: int) -> BankTransaction:
    return get_scoped_or_404(request, BankTransaction, pk=pk)


def _back(request: HttpRequest, bank_transaction: BankTransaction) -> HttpResponse:
    """Return to the list the action was made from, or to the transaction's page."""
    target = request.POST.get("next", "")
    if target.startswith(reverse("banking:transactions")) and not target.startswith("//"):
        return redirect(target)
    return redirect(bank_transaction)


# Importing.


@require_http_methods(["GET", "POST"])
def statement_import(request: HttpRequest) -> HttpResponse:
    organisation = current_organisation(request)
    form = ImportForm(request.POST or None, request.FILES or None, organisation=organisation)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        data = upload.read()
        account = form.cleaned_data["account"]
        try:
            if detect_format(data, upload.name) == StatementFormat.CSV:
                return _start_csv_import(request, organisation, data, upload.name, account)
            summary = services.import_statement(
                organisation, data, upload.name, account=account, user=request.user, request=request
            )
        except StatementFileError as error:
            form.add_error("file", _("%(message)s Aucune opération n'a été importée.") % {"message": error.message})
        else:
            return _imported(request, summary)
    return render(request, "banking/import.html", {"form": form})


def _start_csv_import(
    request: HttpRequest, organisation: Any, data: bytes, filename: str, account: BankAccount | None
) -> HttpResponse:
    """Keep the CSV file while the user checks its columns; with columns already saved, import it at once."""
    account = account or services.only_account(organisation)
    StatementUpload.objects.filter(organisation=organisation, created_at__lt=timezone.now() - UPLOAD_LIFETIME).delete()
    if CsvMapping.objects.filter(account=account).exists():
        try:
            summary = services.import_statement(
                organisation, data, filename, account=account, user=request.user, request=request
            )
        except StatementFileError as error:
            messages.error(
                request,
                _(
                    "Les colonnes enregistrées pour ce compte ne lisent pas ce fichier. %(message)s "
                    "Vérifiez les colonnes ci-dessous : aucune opération n'a encore été importée."
                )
                % {"message": error.message},
            )
        else:
            return _imported(request, summary)
    upload = StatementUpload.objects.create(
        organisation=organisation,
        account=account,
        file_name=filename[:255],
        content=data,
        created_by=request.user if request.user.is_authenticated else None,
    )
    return redirect("banking:import_columns", upload_pk=upload.pk)


@require_http_methods(["GET", "POST"])
def statement_import_columns(request: HttpRequest, upload_pk: int) -> HttpResponse:
    """Check the columns of a CSV statement, preview the transactions they give, then import."""
    upload = get_scoped_or_404(request, StatementUpload, pk=upload_pk)
    data = upload.data()
    layout = _starting_layout(data, upload.account)
    form = CsvMappingForm(
        request.POST if request.method == "POST" else None,
        initial=CsvMappingForm.initial_from(layout),
        column_choices=_column_choices(data, layout),
    )
    preview: list[Any] = []
    preview_error = ""
    if request.method == "POST" and form.is_valid():
        layout = form.layout()
        if request.POST.get("action") == "import":
            try:
                with transaction.atomic():
                    summary = services.import_statement(
                        upload.organisation,
                        data,
                        upload.file_name,
                        account=upload.account,
                        csv_layout=layout,
                        user=request.user,
                        request=request,
                    )
                    upload.delete()
            except StatementFileError as error:
                form.add_error(None, _("%(message)s Aucune opération n'a été importée.") % {"message": error.message})
            else:
                return _imported(request, summary)
    if layout.is_complete:
        try:
            preview = parse_csv(data, layout, upload.account.currency).transactions[:PREVIEW_ROWS]
        except StatementFileError as error:
            preview_error = error.message
    context = {
        "upload": upload,
        "form": form,
        "rows": _raw_rows(data, layout),
        "preview": preview,
        "preview_error": preview_error,
    }
    return render(request, "banking/import_columns.html", context)


def _starting_layout(data: bytes, account: BankAccount) -> CsvLayout:
    """Return the account's saved layout when it reads the file, else the one detected from the file."""
    saved = services.saved_layout(account)
    detected = detect_layout(data)
    for layout in (saved, detected):
        if layout is None or not layout.is_complete:
            continue
        try:
            parse_csv(data, layout, account.currency)
        except StatementFileError:
            continue
        return layout
    return detected if detected.is_complete or saved is None else saved


def _column_choices(data: bytes, layout: CsvLayout) -> list[tuple[int, str]]:
    try:
        return column_choices(data, layout)
    except StatementFileError:
        return []


def _raw_rows(data: bytes, layout: CsvLayout) -> list[tuple[int, list[str]]]:
    """Return the first lines of the file as the layout splits them, for the user to see the columns."""
    try:
        return read_rows(data, CsvLayout(delimiter=layout.delimiter, encoding=layout.encoding))[: PREVIEW_ROWS + 12]
    except StatementFileError:
        return []


def _imported(request: HttpRequest, summary: services.ImportSummary) -> HttpResponse:
    for previous in summary.already_imported:
        messages.info(
            request,
            _("Ce relevé a déjà été importé le %(date)s dans le compte « %(account)s » : rien n'a été ajouté.")
            % {"date": format_date(timezone.localtime(previous.created_at).date()), "account": previous.account.name},
        )
    messages.success(request, services.summary_text(summary))
    if len(summary.imports) == 1:
        return redirect(summary.imports[0])
    if summary.already_imported and not summary.imports:
        return redirect(summary.already_imported[0])
    return redirect("banking:transactions")


@require_GET
def statement_list(request: HttpRequest) -> HttpResponse:
    imports = scoped(request, StatementImport).select_related("account", "created_by").order_by("-created_at", "-id")
    page = Paginator(imports, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "banking/statement_list.html", {"page": page})


@require_GET
def statement_detail(request: HttpRequest, statement_pk: int) -> HttpResponse:
    statement = get_scoped_or_404(request, StatementImport, pk=statement_pk)
    transactions = statement.transactions.select_related("proposed_customer", "receipt").prefetch_related(
        Prefetch("proposed_invoices", queryset=Invoice.objects.order_by("number")), "receipt__payments__invoice"
    )
    context = {
        "statement": statement,
        "transactions": transactions.order_by("booking_date", "id"),
        "next_url": request.get_full_path(),
    }
    return render(request, "banking/statement_detail.html", context)


# Accounts.


@require_http_methods(["GET", "POST"])
def account_list(request: HttpRequest) -> HttpResponse:
    organisation = current_organisation(request)
    form = AccountForm(request.POST or None, instance=BankAccount(organisation=organisation))
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            account = services.create_account(
                organisation,
                iban=form.cleaned_data["iban"],
                name=form.cleaned_data["name"],
                user=request.user,
                request=request,
            )
        messages.success(request, _("Le compte « %(name)s » a été créé.") % {"name": account.name})
        return redirect("banking:accounts")
    accounts = scoped(request, BankAccount).annotate(transaction_count=Count("transactions")).order_by("name", "id")
    return render(request, "banking/account_list.html", {"accounts": accounts, "form": form})


@require_http_methods(["GET", "POST"])
def account_detail(request: HttpRequest, account_pk: int) -> HttpResponse:
    account = get_scoped_or_404(request, BankAccount, pk=account_pk)
    form = AccountForm(request.POST if request.method == "POST" else None, instance=account)
    if request.method == "POST" and form.is_valid():
        if form.has_changed():
            with transaction.atomic():
                form.save()
                record(
                    account.organisation,
                    "bank.account_updated",
                    account,
                    request=request,
                    data={"changes": form_changes(form)},
                )
            messages.success(request, _("Le compte « %(name)s » a été enregistré.") % {"name": account.name})
        return redirect(account)
    mapping = CsvMapping.objects.filter(account=account).first()
    context = {"account": get_scoped_or_404(request, BankAccount, pk=account_pk), "form": form, "mapping": mapping}
    return render(request, "banking/account_detail.html", context)


@require_http_methods(["GET", "POST"])
def account_columns(request: HttpRequest, account_pk: int) -> HttpResponse:
    """Edit the CSV column layout saved for an account."""
    account = get_scoped_or_404(request, BankAccount, pk=account_pk)
    layout = services.saved_layout(account) or CsvLayout()
    form = CsvMappingForm(
        request.POST if request.method == "POST" else None, initial=CsvMappingForm.initial_from(layout)
    )
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            services.save_layout(account, form.layout())
            record(account.organisation, "bank.csv_columns_updated", account, request=request)
        messages.success(
            request, _("Les colonnes CSV du compte « %(name)s » ont été enregistrées.") % {"name": account.name}
        )
        return redirect(account)
    return render(request, "banking/account_columns.html", {"account": account, "form": form})
