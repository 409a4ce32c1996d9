"""The invoice list: the invoices of one organisation, filtered, counted exactly and read a page at a time.

On 100,000 invoices, two things cost more than the 25 rows of a page: the
count behind "Page 1 sur 4000", and the joins of every invoice skipped before
the page. So the count comes from stored figures whenever they contain it,
and the joins of the customer and the stored balance are made for the
page's 25 invoices only.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db import models

from ardoise.invoicing import queries
from ardoise.invoicing.models import Invoice, InvoiceStatus
from ardoise.reports import monthly

# Latest issue first. Drafts have no number and often no issue date: their creation time orders them.
ORDER = ("-issue_date", "-number", "-created_at", "-id")
# JSON fields that no column of the list shows: an issued invoice's snapshot (``document``) runs to kilobytes.
UNSHOWN_FIELDS = ("document", "payment_schedule", "document_adjustments", "vat_exemptions")


class InvoiceList:
    """The invoices the list shows for one state and one search, as ``django.core.paginator.Paginator`` reads them.

    ``state`` is a ``PaymentState`` value, or empty for every state. ``text`` is searched in the
    number and the customer's name (``queries.search``), and an empty text searches nothing.
    """

    def __init__(self, organisation: Any, state: str, text: str, today: datetime.date) -> None:
        self.organisation = organisation
        self.state = state
        self.text = text.strip()
        self.today = today

    def count(self) -> int:
        """Return how many invoices the list shows in all its pages."""
        if self.text:
            return queries.search_count(self._in_state(), self.text, self.organisation)
        if not self.state:
            return self._count_all()
        if self.state in queries.OPEN_STATES:
            # Every issued document has one stored balance, of the same organisation.
            return queries.without_templates(queries.stored_in_state(self.organisation, self.state, self.today)).count()
        return self._in_state().count()

    def __getitem__(self, page: slice) -> list[Invoice]:
        """Return the invoices of one page, with their customer and their stored balance."""
        keys = queries.search(self._in_state(), self.text, self.organisation).order_by(*ORDER).values("pk")
        invoices = Invoice.objects.filter(organisation=self.organisation, pk__in=keys[page]).defer(*UNSHOWN_FIELDS)
        return list(queries.with_stored_balance(invoices).select_related("customer").order_by(*ORDER))

    def _in_state(self) -> models.QuerySet[Invoice]:
        invoices = queries.without_templates(Invoice.objects.filter(organisation=self.organisation))
        if not self.state:
            return invoices
        return queries.in_stored_state(queries.with_stored_balance(invoices), self.state, self.today, self.organisation)

    def _count_all(self) -> int:
        """Count every invoice of the list: the issued documents and the drafts, less the recurring templates.

        ``MonthlyInvoicing`` adds every issued document to its month, in the transaction that
        issues it, so its counts add up to the organisation's issued documents without reading
        100,000 invoices. The drafts are few, and read through the status index. A template is a
        draft, or would be counted among the issued documents if one were issued, so taking all
        the templates away leaves the invoices the list shows.
        """
        drafts = Invoice.objects.filter(organisation=self.organisation, status=InvoiceStatus.DRAFT).count()
        plans = Invoice._meta.get_field("recurring_template").related_model
        templates = plans._default_manager.filter(template__organisation=self.organisation).count()
        return monthly.issued_documents(self.organisation) + drafts - templates
