"""Quote operations: drafts, issue, status transitions, duplication and revision.

Each operation runs in one transaction and writes one audit entry. The
status moves as follows (any other move raises ``QuoteError``)::

    draft ──issue──> issued ──mark_sent──> sent
    issued, sent ──accept──> accepted ──(billing)──> partially_invoiced ──> invoiced
    issued, sent ──refuse──> refused
    issued, sent ──expire──> expired        (the periodic job, past the validity date)

An issued quote never changes: ``revise`` opens a new draft (version + 1)
that points to it, and ``duplicate`` opens an independent copy.
"""

from __future__ import annotations

import datetime
import hashlib
import logging
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ardoise.accounts.models import Organisation
from ardoise.audit.services import changes, record, snapshot
from ardoise.core.formats import format_amount, format_date
from ardoise.invoicing.documents import draft_totals
from ardoise.invoicing.locking import issuing_turn
from ardoise.invoicing.models import NumberingSeries, SeriesKind
from ardoise.invoicing.services import normalise_line_vat, take_number
from ardoise.invoicing.vat_situations import vat_problems
from ardoise.quotes.documents import build_quote_document, quote_pdf_context
from ardoise.quotes.exceptions import IssuedQuoteError, QuoteError
from ardoise.quotes.models import (
    DEFAULT_VALIDITY_DAYS,
    OPEN_STATUSES,
    REVISABLE_STATUSES,
    Quote,
    QuoteFile,
    QuoteKind,
    QuoteLine,
    QuoteSettings,
    QuoteStatus,
)

logger = logging.getLogger(__name__)

DEFAULT_PATTERNS = {QuoteKind.QUOTE: "D-{YYYY}-{NNNN}", QuoteKind.PROFORMA: "PF-{YYYY}-{NNNN}"}
SERIES_KINDS = {QuoteKind.QUOTE: SeriesKind.QUOTE, QuoteKind.PROFORMA: SeriesKind.PROFORMA}

# The draft fields whose changes the audit log records, besides the lines and the total.
AUDITED_DRAFT_FIELDS = (
    "customer",
    "kind",
    "series",
    "validity_date",
    "conditions",
    "notes",
    "discount_kind",
    "discount_value",
    "discount_reason",
    "document_adjustments",
    "deposit_percent",
    "auto_deposit_on_acceptance",
)


# Settings and series


def quote_settings(organisation: Organisation) -> QuoteSettings:
    """Return the organisation's quote defaults, created with 30 days of validity on first use."""
    settings, _created = QuoteSettings.objects.get_or_create(organisation=organisation)
    return settings


def save_settings(settings: QuoteSettings, *, user: Any = None, request: Any = None) -> QuoteSettings:
    settings.full_clean()
    settings.save()
    record(
        settings.organisation,
        "quote.settings_updated",
        settings,
        user=user,
        request=request,
        data={"validity_days": settings.validity_days},
    )
    return settings


def validity_days(organisation: Organisation) -> int:
    settings = QuoteSettings.objects.filter(organisation=organisation).first()
    return settings.validity_days if settings is not None else DEFAULT_VALIDITY_DAYS


def default_series(organisation: Organisation, kind: str) -> NumberingSeries:
    """Return the organisation's first series for ``kind`` (quote or pro forma), creating it on first use."""
    series_kind = SERIES_KINDS[QuoteKind(kind)]
    series = NumberingSeries.objects.filter(organisation=organisation, kind=series_kind).order_by("id").first()
    if series is not None:
        return series
    name = _("Factures pro forma") if kind == QuoteKind.PROFORMA else _("Devis")
    try:
        with transaction.atomic():
            return NumberingSeries.objects.create(
                organisation=organisation, name=name, kind=series_kind, pattern=DEFAULT_PATTERNS[QuoteKind(kind)]
            )
    except IntegrityError:
        # Another request created it first, or the organisation already has a series of that name.
        existing = NumberingSeries.objects.filter(organisation=organisation, kind=series_kind).order_by("id").first()
        if existing is None:
            raise QuoteError(
                _(
                    "Une séquence nommée « %(name)s » existe déjà pour d'autres documents : renommez-la "
                    "(menu Entreprise, Séquences de numérotation), puis émettez à nouveau."
                )
                % {"name": name}
            ) from None
        return existing


def series_choices(organisation: Organisation, kind: str) -> Any:
    return NumberingSeries.objects.filter(organisation=organisation, kind=SERIES_KINDS[QuoteKind(kind)]).order_by(
        "name", "id"
    )


# Drafts


def new_draft(organisation: Organisation, customer: Any, kind: str = QuoteKind.QUOTE) -> Quote:
    """Return an unsaved draft with the organisation's default conditions."""
    settings = QuoteSettings.objects.filter(organisation=organisation).first()
    conditions = settings.default_conditions if settings is not None else ""
    return Quote(organisation=organisation, customer=customer, kind=kind, conditions=conditions)


def refresh_totals(quote: Quote) -> None:
    """Store the draft's totals, computed by the invoicing engine from its lines."""
    if not quote.is_draft:
        raise IssuedQuoteError(quote)
    totals = draft_totals(quote)  # type: ignore[arg-type]
    quote.total_without_vat = totals.tax_exclusive
    quote.total_vat = totals.tax_total
    quote.total_with_vat = totals.tax_inclusive
    quote.save(update_fields=["total_without_vat", "total_vat", "total_with_vat", "updated_at"])


def save_draft(
    quote: Quote,
    lines: Sequence[QuoteLine],
    removed_lines: Iterable[QuoteLine] = (),
    *,
    user: Any = None,
    request: Any = None,
) -> Quote:
    """Save a draft with its lines in display order, normalise their VAT as on invoices and store the totals."""
    created = quote.pk is None
    with transaction.atomic():
        before: dict[str, Any] = {}
        if not created:
            _lock_draft(quote)
            before = _draft_state(Quote.objects.get(pk=quote.pk))
        quote.save()

        for line in removed_lines:
            line.delete()
        for position, line in enumerate(lines, start=1):
            line.quote = quote
            line.position = position
            normalise_line_vat(line, quote.organisation, quote.customer)  # type: ignore[arg-type]
            line.save()
        refresh_totals(quote)

        action = "quote.draft_created" if created else "quote.draft_updated"
        data: dict[str, Any] = {"kind": quote.kind, "lines": len(lines), "total_with_vat": str(quote.total_with_vat)}
        if not created:
            data["changes"] = changes(before, _draft_state(quote))
        record(quote.organisation, action, quote, user=user, request=request, data=data)
    return quote


def _draft_state(quote: Quote) -> dict[str, Any]:
    state = snapshot(quote, AUDITED_DRAFT_FIELDS)
    state["lines"] = [
        "%s × %s (TVA %s %%) %s" % (line.quantity, line.unit_price, line.vat_rate, line.name)
        for line in quote.lines.order_by("position", "id")
    ]
    state["total_with_vat"] = str(quote.total_with_vat)
    return state


def _lock_draft(quote: Quote) -> None:
    current = Quote.objects.select_for_update().filter(pk=quote.pk).values_list("status", "number").first()
    if current is None:
        raise QuoteError(_("Ce brouillon a été supprimé entre-temps : créez un nouveau devis."))
    status, number = current
    if status != QuoteStatus.DRAFT:
        quote.number = number
        raise IssuedQuoteError(quote)


def delete_draft(quote: Quote, *, user: Any = None, request: Any = None) -> None:
    if not quote.is_draft:
        raise IssuedQuoteError(quote)
    with transaction.atomic():
        _lock_draft(quote)
        record(quote.organisation, "quote.draft_deleted", quote, user=user, request=request)
        quote.lines.all().delete()
        quote.delete()


# Issue


def check_ready_to_issue(quote: Quote, issue_date: datetime.date, validity_date: datetime.date) -> None:
    """Raise ``QuoteError`` listing what must be fixed before the quote can be issued."""
    problems: list[str] = []
    missing = quote.organisation.missing_for_issue()
    if missing:
        problems.append(
            _("Complétez le profil de l'entreprise (menu Entreprise) : %(fields)s.") % {"fields": ", ".join(missing)}
        )
    lines = list(quote.lines.all())
    if not lines:
        problems.append(_("Ajoutez au moins une ligne au devis."))
    problems.extend(vat_problems(quote, lines))  # type: ignore[arg-type]
    if quote.total_with_vat < 0:
        problems.append(
            _("Le total du devis est négatif (%(amount)s) : corrigez les lignes ou la remise.")
            % {"amount": format_amount(quote.total_with_vat, quote.currency)}
        )
    if validity_date < issue_date:
        problems.append(
            _(
                "La date de validité (%(validity)s) est antérieure à la date d'émission (%(issue)s) : "
                "choisissez une date postérieure ou laissez le champ vide."
            )
            % {"validity": format_date(validity_date), "issue": format_date(issue_date)}
        )
    if quote.series is not None and quote.series.kind != SERIES_KINDS[QuoteKind(quote.kind)]:
        problems.append(
            _("La séquence « %(name)s » ne numérote pas ce type de document : choisissez-en une autre.")
            % {"name": quote.series.name}
        )
    if problems:
        raise QuoteError(_("Le devis ne peut pas encore être émis."), details=problems)


def planned_validity_date(quote: Quote, issue_date: datetime.date) -> datetime.date:
    """Return the draft's own validity date, else the issue date plus the organisation's validity days."""
    if quote.validity_date is not None:
        return quote.validity_date
    return issue_date + datetime.timedelta(days=validity_days(quote.organisation))


def take_quote_number(series: NumberingSeries, issue_date: datetime.date) -> str:
    """Take the next number of a quote series; the caller's transaction must hold the organisation lock."""
    number = take_number(series, issue_date)
    if Quote.objects.filter(organisation_id=series.organisation_id, number=number).exists():
        raise QuoteError(
            _(
                "Le numéro %(number)s de la séquence « %(series)s » est déjà pris par un autre devis. "
                "Donnez à cette séquence un préfixe qui lui est propre (menu Entreprise, Séquences de numérotation)."
            )
            % {"number": number, "series": series.name}
        )
    return number


def render_pdf(quote: Quote, document: Any) -> bytes:
    from ardoise.pdf.render import render_quote_pdf

    organisation = quote.organisation
    logo = bytes(organisation.logo) if organisation.logo else None
    return render_quote_pdf(quote_pdf_context(document), logo, organisation.logo_content_type or None)


def issue(quote: Quote, *, user: Any = None, request: Any = None, today: datetime.date | None = None) -> Quote:
    """Issue a draft: number it in its series, snapshot it, render and store its PDF.

    Everything happens in one transaction, so a failure rolls the counter
    back and never consumes a number. The quote row is frozen afterwards.
    """
    if not quote.is_draft:
        raise IssuedQuoteError(quote)
    organisation = quote.organisation

    with issuing_turn(), transaction.atomic():
        # Serialise issuing per organisation, as invoices do: numbers follow the order of issue.
        Organisation.objects.select_for_update().get(pk=organisation.pk)
        quote = Quote.objects.select_for_update().select_related("organisation", "customer").get(pk=quote.pk)
        if not quote.is_draft:
            raise IssuedQuoteError(quote)
        refresh_totals(quote)
        issue_date = today or timezone.localdate()
        validity_date = planned_validity_date(quote, issue_date)
        check_ready_to_issue(quote, issue_date, validity_date)

        series = quote.series or default_series(organisation, quote.kind)
        number = take_quote_number(series, issue_date)
        document = build_quote_document(quote, number=number, issue_date=issue_date, validity_date=validity_date)
        pdf = render_pdf(quote, document)
        totals = document.body.totals()

        quote.series = series
        quote.number = number
        quote.issue_date = issue_date
        quote.validity_date = validity_date
        quote.total_without_vat = totals.tax_exclusive
        quote.total_vat = totals.tax_total
        quote.total_with_vat = totals.tax_inclusive
        quote.document = document.to_json()
        quote.pdf_sha256 = hashlib.sha256(pdf).hexdigest()
        quote.issued_at = timezone.now()
        quote.issued_by = user if user is not None and getattr(user, "pk", None) else None
        quote.status = QuoteStatus.ISSUED
        quote.save()
        QuoteFile.objects.create(quote=quote, pdf=pdf)
        if quote.previous_version_id is not None:
            _supersede_previous(quote, user=user, request=request)
        record(
            organisation,
            "quote.issued",
            quote,
            user=user,
            request=request,
            data={"number": number, "kind": quote.kind, "total_with_vat": str(totals.tax_inclusive)},
        )

    logger.info("quote issued organisation=%s quote=%s number=%s", organisation.pk, quote.pk, number)
    return quote


# Status transitions


def _locked(quote: Quote) -> Quote:
    return Quote.objects.select_for_update().select_related("organisation", "customer").get(pk=quote.pk)


def _require_status(quote: Quote, allowed: Iterable[str], verb: str, participle: str) -> None:
    """Raise ``QuoteError`` unless the quote is in one of the ``allowed`` statuses.

    ``verb`` and ``participle`` name the action in French (« accepter », « accepté »).
    """
    if quote.status in allowed:
        return
    if quote.is_draft:
        raise QuoteError(_("Le devis est encore un brouillon : émettez-le avant de le %(verb)s.") % {"verb": verb})
    raise QuoteError(
        _("Le devis %(number)s est « %(status)s » : il ne peut pas être %(participle)s.")
        % {"number": quote.number, "status": quote.get_status_display(), "participle": participle}
    )


def mark_sent(quote: Quote, *, user: Any = None, request: Any = None) -> Quote:
    """Record that the quote went to the customer; sending it again keeps the first date."""
    with transaction.atomic():
        quote = _locked(quote)
        _require_status(quote, OPEN_STATUSES, _("marquer comme envoyé"), _("marqué comme envoyé"))
        first = quote.status == QuoteStatus.ISSUED
        if first:
            quote.status = QuoteStatus.SENT
            quote.sent_at = timezone.now()
            quote.save(update_fields=["status", "sent_at", "updated_at"])
            record(quote.organisation, "quote.sent", quote, user=user, request=request, data={"number": quote.number})
    return quote


def accept(
    quote: Quote,
    by: Any = None,
    evidence: dict[str, Any] | None = None,
    *,
    name: str = "",
    accepted_at: datetime.datetime | None = None,
    request: Any = None,
) -> Quote:
    """Record the customer's acceptance of an issued or sent quote.

    ``by`` is the user who records it (None when the customer accepts on the
    portal). ``name`` is who signed « Bon pour accord »; ``evidence`` is what
    proves it, for instance the portal's record of the signed PDF's SHA-256.
    Without evidence, the acceptance counts as a paper one recorded by ``by``.
    """
    with transaction.atomic():
        quote = _locked(quote)
        _require_status(quote, OPEN_STATUSES, _("accepter"), _("accepté"))
        if quote.is_proforma:
            raise QuoteError(
                _("Une facture pro forma ne s'accepte pas : émettez la facture quand le client a commandé.")
            )
        proof = dict(evidence) if evidence else {"channel": "paper"}
        proof.setdefault("pdf_sha256", quote.pdf_sha256)
        quote.status = QuoteStatus.ACCEPTED
        quote.accepted_at = accepted_at or timezone.now()
        quote.accepted_by_name = name.strip()[:200]
        quote.acceptance_evidence = proof
        quote.save(update_fields=["status", "accepted_at", "accepted_by_name", "acceptance_evidence", "updated_at"])
        record(
            quote.organisation,
            "quote.accepted",
            quote,
            user=by,
            request=request,
            data={"number": quote.number, "name": quote.accepted_by_name, "evidence": proof},
        )
        _emit_decision(quote, "quote.accepted")
    return quote


def refuse(quote: Quote, by: Any = None, *, reason: str = "", request: Any = None) -> Quote:
    """Record that the customer declined the quote."""
    with transaction.atomic():
        quote = _locked(quote)
        _require_status(quote, OPEN_STATUSES, _("refuser"), _("refusé"))
        quote.status = QuoteStatus.REFUSED
        quote.refused_at = timezone.now()
        quote.refusal_reason = reason.strip()[:300]
        quote.save(update_fields=["status", "refused_at", "refusal_reason", "updated_at"])
        record(
            quote.organisation,
            "quote.refused",
            quote,
            user=by,
            request=request,
            data={"number": quote.number, "reason": quote.refusal_reason},
        )
        _emit_decision(quote, "quote.refused")
    return quote


def _emit_decision(quote: Quote, event_type: str) -> None:
    """Queue the webhook event of a decision, whether it came from the portal, a page, the API or the CLI."""
    from ardoise.webhooks.events import emit

    emit(quote.organisation_id, event_type, "%s:%s" % (event_type, quote.pk), quote.pk)


def expire(quote: Quote, *, today: datetime.date | None = None) -> bool:
    """Mark an open quote whose validity date has passed as expired; return False when there is nothing to do.

    Idempotent, so that the periodic job can run it again after a crash.
    """
    today = today or timezone.localdate()
    with transaction.atomic():
        quote = _locked(quote)
        if quote.status not in OPEN_STATUSES or quote.validity_date is None or quote.validity_date >= today:
            return False
        quote.status = QuoteStatus.EXPIRED
        quote.expired_at = timezone.now()
        quote.save(update_fields=["status", "expired_at", "updated_at"])
        record(
            quote.organisation,
            "quote.expired",
            quote,
            data={"number": quote.number, "validity_date": quote.validity_date.isoformat()},
        )
    return True


def expired_quotes(today: datetime.date) -> Any:
    """Return the open quotes whose validity date is before ``today``."""
    return Quote.objects.filter(status__in=OPEN_STATUSES, validity_date__lt=today)


def mark_invoiced(quote: Quote, *, fully: bool, user: Any = None, request: Any = None) -> Quote:
    """Record that invoices now cover part or all of an accepted quote (called by the billing code)."""
    with transaction.atomic():
        quote = _locked(quote)
        _require_status(quote, (QuoteStatus.ACCEPTED, QuoteStatus.PARTIALLY_INVOICED), _("facturer"), _("facturé"))
        quote.status = QuoteStatus.INVOICED if fully else QuoteStatus.PARTIALLY_INVOICED
        quote.save(update_fields=["status", "updated_at"])
        record(
            quote.organisation,
            "quote.invoiced" if fully else "quote.partially_invoiced",
            quote,
            user=user,
            request=request,
            data={"number": quote.number},
        )
    return quote


# New drafts from an existing quote


def _copy(source: Quote, **changes: Any) -> Quote:
    copy = Quote(
        organisation=source.organisation,
        customer=source.customer,
        kind=source.kind,
        series=source.series,
        currency=source.currency,
        conditions=source.conditions,
        notes=source.notes,
        discount_kind=source.discount_kind,
        discount_value=source.discount_value,
        discount_reason=source.discount_reason,
        document_adjustments=source.document_adjustments,
        deposit_percent=source.deposit_percent,
        auto_deposit_on_acceptance=source.auto_deposit_on_acceptance,
        **changes,
    )
    copy.save()
    line_fields = [
        field.name
        for field in QuoteLine._meta.concrete_fields
        if field.name not in ("id", "quote")  # type: ignore[union-attr]
    ]
    for line in source.lines.all():
        values = {name: getattr(line, name) for name in line_fields}
        QuoteLine(quote=copy, **values).save()
    refresh_totals(copy)
    return copy


def duplicate(quote: Quote, *, user: Any = None, request: Any = None) -> Quote:
    """Open a new, independent draft (version 1) with the quote's customer, lines and terms."""
    with transaction.atomic():
        copy = _copy(quote, duplicated_from=quote)
        record(
            quote.organisation,
            "quote.duplicated",
            copy,
            user=user,
            request=request,
            data={"source": quote.number or quote.pk},
        )
    return copy


def revise(quote: Quote, *, user: Any = None, request: Any = None) -> Quote:
    """Open the next version of an issued quote as a draft that points to it.

    The issued quote stays as it was. A quote has at most one next version,
    so that versions form a single chain.
    """
    if quote.is_draft:
        raise QuoteError(_("Ce devis est encore un brouillon : modifiez-le directement."))
    with transaction.atomic():
        quote = _locked(quote)
        _check_revisable(quote)
        existing = quote.revisions.first()
        if existing is not None:
            raise QuoteError(
                _("Le devis %(number)s a déjà une version %(version)s (%(next)s) : révisez plutôt celle-ci.")
                % {"number": quote.number, "version": existing.version, "next": str(existing)}
            )
        revision = _copy(quote, previous_version=quote, version=quote.version + 1)
        record(
            quote.organisation,
            "quote.revised",
            revision,
            user=user,
            request=request,
            data={"previous": quote.number, "version": revision.version},
        )
    return revision


def _check_revisable(quote: Quote) -> None:
    """Raise ``QuoteError`` unless a new version may replace ``quote``.

    An accepted or invoiced quote binds the customer, and a second accepted
    version would let the same work be invoiced twice.
    """
    if quote.is_proforma:
        raise QuoteError(_("Une facture pro forma ne se révise pas : dupliquez-la pour en faire une nouvelle."))
    if quote.status not in REVISABLE_STATUSES:
        raise QuoteError(
            _(
                "Le devis %(number)s est « %(status)s » : il ne peut plus être révisé. Pour un travail en plus, "
                "dupliquez-le en un nouveau devis ; pour corriger une facture déjà émise, faites un avoir."
            )
            % {"number": quote.number, "status": quote.get_status_display()}
        )


def _supersede_previous(quote: Quote, *, user: Any, request: Any) -> None:
    """Mark the version that ``quote`` replaces as superseded, so that only one version stays open."""
    previous = Quote.objects.select_for_update().get(pk=quote.previous_version_id)
    _check_revisable(previous)
    previous.status = QuoteStatus.SUPERSEDED
    previous.save(update_fields=["status", "updated_at"])
    record(
        previous.organisation,
        "quote.superseded",
        previous,
        user=user,
        request=request,
        data={"number": previous.number, "by": quote.number, "version": quote.version},
    )


def version_chain(quote: Quote) -> list[Quote]:
    """Return every version of the quote, from the first to the latest."""
    first = quote
    seen = {first.pk}
    while first.previous_version_id is not None and first.previous_version_id not in seen:
        first = Quote.objects.get(pk=first.previous_version_id)
        seen.add(first.pk)
    chain = [first]
    while True:
        following = Quote.objects.filter(previous_version=chain[-1]).first()
        if following is None or following.pk in {q.pk for q in chain}:
            return chain
        chain.append(following)
