"""Every URL that names an object returns 404 to someone from another organisation.

The list of URLs comes from the URL configuration itself, so that a new view
is covered the day it is added. A URL argument this test does not know fails it.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from ardoise.api.models import TokenScope
from ardoise.api.tokens import create_token
from ardoise.backups.models import BackupKind, BackupRun, BackupStatus
from ardoise.banking.models import BankAccount, BankTransaction, StatementImport, StatementUpload
from ardoise.catalogue.models import Product
from ardoise.imports.models import ImportBatch
from ardoise.invoicing.credit_notes import create_credit_note
from ardoise.jobs.models import JobUnit, UnitStatus
from ardoise.mailing.services import send_invoice_email
from ardoise.payments.services import record_payment
from ardoise.portal.links import create_link
from ardoise.purchases.models import SupplierInvoice
from ardoise.recurring.models import PriceIndex, PriceIndexValue
from ardoise.reminders.models import Reminder
from ardoise.webhooks.models import Delivery, EventType, Subscription
from tests.recurring.conftest import make_plan

# Which organisation-owned object each URL argument names, per application namespace.
OBJECT_ARGUMENTS = {
    ("customers", "pk"): "customer",
    ("catalogue", "pk"): "product",
    ("invoicing", "pk"): "invoice",
    ("invoicing", "series_pk"): "series",
    ("quotes", "pk"): "quote",
    ("payments", "invoice_pk"): "invoice",
    ("payments", "pk"): "payment",
    ("payments", "receipt_pk"): "receipt",
    ("payments", "customer_pk"): "customer",
    ("mailing", "pk"): "email",
    ("mailing", "invoice_pk"): "invoice",
    ("banking", "pk"): "bank_transaction",
    ("banking", "statement_pk"): "statement_import",
    ("banking", "account_pk"): "bank_account",
    ("banking", "upload_pk"): "statement_upload",
    ("reports", "customer_pk"): "customer",
    ("jobs", "pk"): "job_unit",
    ("imports", "pk"): "import_batch",
    ("purchases", "pk"): "supplier_invoice",
    ("webhooks", "pk"): "webhook_subscription",
    ("webhooks", "delivery_pk"): "webhook_delivery",
    ("reminders", "customer_pk"): "customer",
    ("reminders", "invoice_pk"): "invoice",
    ("reminders", "pk"): "reminder",
    ("recurring", "pk"): "recurring_plan",
    ("recurring", "index_pk"): "price_index",
    ("recurring", "value_pk"): "price_index_value",
    ("api_tokens", "pk"): "api_token",
    ("backups", "pk"): "backup_run",
    ("api", "customer_id"): "customer",
    ("api", "product_id"): "product",
    ("api", "invoice_id"): "invoice",
    ("api", "receipt_id"): "receipt",
    ("api", "credit_note_id"): "credit_note",
    ("api", "quote_id"): "quote",
    ("portal_links", "invoice_pk"): "invoice",
    ("portal_links", "quote_pk"): "quote",
    ("portal_links", "pk"): "portal_link",
}
# The smallest valid body of the API operations that require one.
REQUIRED_BODIES = {
    "create_payment": {"amount": "1"},
    "refund_customer_credit": {"amount": "1"},
    "create_quote_invoice": {"kind": "full"},
}
# URL arguments that name no object: the view reads or writes the user's own organisation's data.
NOT_OBJECTS = {
    ("mailing", "kind_name"),  # a kind of e-mail template, e.g. "invoice"
    ("imports", "kind"),  # a kind of import, "clients" or "articles"
    # The public portal names its document by a signed token, never by id: tests/portal checks that
    # altered, unknown, expired and revoked tokens, and another document's id, all get the same 404.
    ("portal", "token"),
}


def object_urls() -> list[tuple[str, str, str]]:
    """Return (namespace, name, argument) for every named URL that takes an object id."""
    found = []

    def walk(patterns, namespace):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, pattern.namespace or namespace)
            elif isinstance(pattern, URLPattern) and pattern.pattern.converters:
                for argument in pattern.pattern.converters:
                    if (namespace, argument) not in NOT_OBJECTS:
                        found.append((namespace, pattern.name, argument))

    walk(get_resolver().url_patterns, "")
    return found


@pytest.fixture
def victim_objects(organisation, issued_invoice, owner):
    product = Product.objects.create(organisation=organisation, name="Secret", unit_price="10.0000")
    payment = record_payment(
        issued_invoice, amount=issued_invoice.amount_due, date=datetime.date(2026, 12, 4), method="virement"
    )
    email = send_invoice_email(issued_invoice, to="compta@boulangerie-martin.fr", subject="Facture", body="Bonjour")
    job_unit = JobUnit.objects.create(
        job="mailing.retry_failed",
        key="email:%s" % email.pk,
        organisation=organisation,
        object_id=email.pk,
        due_on=datetime.date(2026, 12, 4),
        label="E-mail « Facture » à compta@boulangerie-martin.fr",
        status=UnitStatus.FAILED,
        run_after=email.created_at,
    )
    reminder = Reminder.objects.create(
        organisation=organisation,
        invoice=issued_invoice,
        level_label="J+30",
        is_formal_notice=True,
        channel="letter",
        status="letter",
        planned_on=datetime.date(2027, 2, 2),
        subject="Mise en demeure",
        body="Payez.",
        principal=Decimal("1065.00"),
        penalties=Decimal("10.64"),
        indemnity=Decimal("40.00"),
        letter_pdf=b"%PDF-1.7 secret",
    )
    return {
        "reminder": reminder,
        "customer": issued_invoice.customer,
        "product": product,
        "invoice": issued_invoice,
        "credit_note": create_credit_note(issued_invoice),
        "email": email,
        "payment": payment,
        "receipt": payment.receipt,
        "series": issued_invoice.series,
        "quote": issued_quote_for(organisation, issued_invoice.customer),
        "job_unit": job_unit,
        "import_batch": ImportBatch.objects.create(
            organisation=organisation, kind="clients", filename="secret.csv", data=b"Nom\nSecret\n", mapping={"name": 0}
        ),
        "supplier_invoice": SupplierInvoice.objects.create(
            organisation=organisation,
            filename="secret.xml",
            content=b"<secret/>",
            sha256="1" * 64,
            file_format="cii",
            supplier_name="Fournisseur secret",
            number="S-1",
            type_code="380",
            issue_date=datetime.date(2026, 12, 4),
            currency="EUR",
            total_without_vat=Decimal("10.00"),
            total_vat=Decimal("2.00"),
            total_with_vat=Decimal("12.00"),
            amount_due=Decimal("12.00"),
        ),
        "recurring_plan": make_plan(organisation, issued_invoice.customer),
        **index_objects(organisation),
        "backup_run": BackupRun.objects.create(
            kind=BackupKind.MANUAL, status=BackupStatus.SUCCEEDED, started_at=timezone.now(), path=__file__
        ),
        "api_token": create_token(organisation, "Secret", TokenScope.WRITE, user=owner).token,
        "portal_link": create_link(issued_invoice),
        **bank_objects(organisation),
        **webhook_objects(organisation),
    }


def issued_quote_for(organisation, customer):
    from ardoise.quotes.models import Quote, QuoteLine
    from ardoise.quotes.services import issue, save_draft

    quote = save_draft(
        Quote(organisation=organisation, customer=customer),
        [QuoteLine(name="Audit secret", unit_price=Decimal("500"))],
    )
    return issue(quote, today=datetime.date(2026, 12, 4))


def index_objects(organisation) -> dict[str, object]:
    index = PriceIndex.objects.create(organisation=organisation, name="Indice secret")
    value = PriceIndexValue.objects.create(index=index, period=datetime.date(2026, 8, 1), value=Decimal("101.5"))
    return {"price_index": index, "price_index_value": value}


def webhook_objects(organisation) -> dict[str, object]:
    subscription = Subscription.objects.create(
        organisation=organisation, url="https://secret.example/", events=["ping"]
    )
    delivery = Delivery.objects.create(
        subscription=subscription, organisation=organisation, event_type=EventType.PING, event_key="ping:secret"
    )
    return {"webhook_subscription": subscription, "webhook_delivery": delivery}


def bank_objects(organisation) -> dict[str, object]:
    account = BankAccount.objects.create(
        organisation=organisation, name="Compte secret", iban="FR7630006000011234567890189"
    )
    statement = StatementImport.objects.create(
        organisation=organisation, account=account, file_name="releve.xml", sha256="0" * 64, format="camt053"
    )
    bank_transaction = BankTransaction.objects.create(
        organisation=organisation,
        account=account,
        statement_import=statement,
        booking_date=datetime.date(2026, 12, 4),
        amount=Decimal("12.50"),
        label="VIR SECRET",
        dedup_key="id:1",
    )
    upload = StatementUpload.objects.create(
        organisation=organisation, account=account, file_name="releve.csv", content=b"Date;Montant\n"
    )
    return {
        "bank_account": account,
        "statement_import": statement,
        "bank_transaction": bank_transaction,
        "statement_upload": upload,
    }


def test_every_object_url_is_known_to_this_test():
    unknown = [(ns, name, arg) for ns, name, arg in object_urls() if (ns, arg) not in OBJECT_ARGUMENTS]
    assert unknown == []


@pytest.mark.django_db
@pytest.mark.parametrize(("namespace", "name", "argument"), object_urls())
def test_outsider_gets_404_on_another_organisations_object(outsider_client, victim_objects, namespace, name, argument):
    target = victim_objects[OBJECT_ARGUMENTS[(namespace, argument)]]
    url = reverse("%s:%s" % (namespace, name), kwargs={argument: target.pk})
    if namespace == "api":
        # The API authenticates by token: the outsider's organisation's read-write token.
        outsider_organisation = outsider_client.get("/").wsgi_request.organisation
        secret = create_token(outsider_organisation, "Outsider", TokenScope.WRITE).secret
        headers = {"Authorization": "Bearer %s" % secret}
        responses = [
            outsider_client.get(url, headers=headers),
            # A payment, a refund or a quote's invoice needs its required field, else the body is rejected
            # (422) before the object is looked up.
            outsider_client.post(
                url,
                REQUIRED_BODIES.get(name, {}),
                content_type="application/json",
                headers=headers,
            ),
        ]
    else:
        responses = [outsider_client.get(url), outsider_client.post(url, {})]
    for response in responses:
        assert response.status_code in (404, 405), url
        # A backup belongs to the installation: the victim organisation's name represents its data.
        assert victim_objects["customer"].organisation.name.encode() not in response.content
    # 405 only means the method is wrong, so the allowed method must return 404.
    assert 404 in [response.status_code for response in responses], url


@pytest.mark.django_db
def test_quote_live_totals_ignore_another_organisations_draft(outsider_client, organisation, customer):
    """The quote editor's totals read the saved draft named in the post: only one of the user's own."""
    from ardoise.quotes.models import Quote, QuoteLine
    from ardoise.quotes.services import save_draft

    adjustment = {
        "is_charge": True,
        "amount": "45.00",
        "reason": "Frais secrets",
        "vat_category": "S",
        "vat_rate": "20",
    }
    draft = save_draft(
        Quote(organisation=organisation, customer=customer, document_adjustments=[adjustment]),
        [QuoteLine(name="Audit secret", unit_price=Decimal("500"))],
    )
    line = draft.lines.get()
    data = {
        "draft": str(draft.pk),
        "lines-TOTAL_FORMS": "1",
        "lines-0-id": str(line.pk),
        "lines-0-name": "Conseil",
        "lines-0-quantity": "1",
        "lines-0-unit": "C62",
        "lines-0-unit_price": "100",
        "lines-0-vat_rate": "20.00",
        "lines-0-discount_percent": "0",
        "lines-0-kind": "service",
    }

    response = outsider_client.post(reverse("quotes:totals"), data)

    assert response.status_code == 200
    assert "Frais secrets" not in response.text
    assert "120,00" in response.text
