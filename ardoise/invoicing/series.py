"""Numbering series operations: create, edit, choose the default, preview the next number.

Changes to a series take the organisation row lock that ``issue_invoice``
takes, so that a series cannot be found unused and then edited while an issue
is taking its first number.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from ardoise.accounts.models import Organisation
from ardoise.audit.services import record
from ardoise.core.numbering import TOKEN, counter_period, format_number
from ardoise.invoicing.exceptions import InvoicingError, SeriesInUseError
from ardoise.invoicing.models import InvoiceStatus, NumberingSeries, SeriesCounter, SeriesKind


def save_series(series: NumberingSeries, *, user: Any = None, request: Any = None) -> NumberingSeries:
    """Validate and save a new or edited series; a default series takes the flag from the previous one.

    The first series of an organisation becomes its default series.

    Raises ``SeriesInUseError`` when the pattern or reset policy of a series
    that has issued numbers changed, and ``InvoicingError`` for any other
    invalid value.
    """
    created = series.pk is None
    _check_values(series)
    with transaction.atomic():
        Organisation.objects.select_for_update().get(pk=series.organisation_id)
        if series.numbering_changed() and series.is_used():
            raise SeriesInUseError(series)
        if series.kind != SeriesKind.INVOICE:
            # Drafts without a series are invoices, so only an invoice series can number them.
            series.is_default = False
        elif series.is_default:
            _clear_default(series)
        elif not _has_other_default(series):
            # Drafts without a series are numbered in the default one, so an organisation always keeps one.
            series.is_default = True
        series.save()
        action = "series.created" if created else "series.updated"
        data = {"pattern": series.pattern, "reset": series.reset, "is_default": series.is_default}
        record(series.organisation, action, series, user=user, request=request, data=data)
    return series


def is_dedicated_to_credit_notes(series: NumberingSeries | None) -> bool:
    """Tell whether ``series`` numbers only credit notes: the organisation's credit note series, not its default one."""
    if series is None or series.is_default:
        return False
    return Organisation.objects.filter(pk=series.organisation_id, credit_note_series=series).exists()


def invoice_series_choices(organisation: Organisation) -> QuerySet[NumberingSeries]:
    """Return the series an invoice can be numbered in, the default one first."""
    series = NumberingSeries.objects.filter(organisation=organisation, kind=SeriesKind.INVOICE)
    credit_note_series = organisation.credit_note_series
    if credit_note_series is not None and not credit_note_series.is_default:
        series = series.exclude(pk=credit_note_series.pk)
    return series.order_by("-is_default", "name", "id")


def make_default(series: NumberingSeries, *, user: Any = None, request: Any = None) -> NumberingSeries:
    """Make ``series`` the one that numbers drafts which name no series; it must number invoices."""
    if series.kind != SeriesKind.INVOICE:
        raise InvoicingError(
            _(
                "La séquence « %(name)s » numérote des %(kind)s, pas des factures : "
                "choisissez une séquence de factures comme séquence par défaut."
            )
            % {"name": series.name, "kind": series.get_kind_display().lower()}
        )
    with transaction.atomic():
        Organisation.objects.select_for_update().get(pk=series.organisation_id)
        _clear_default(series)
        NumberingSeries.objects.filter(pk=series.pk).update(is_default=True)
        series.is_default = True
        record(series.organisation, "series.made_default", series, user=user, request=request)
    return series


def delete_series(series: NumberingSeries, *, user: Any = None, request: Any = None) -> None:
    """Delete a series that never issued a number and that no setting relies on.

    Drafts that named it fall back to the default series. Raises ``InvoicingError``
    with a French message for the default series, the credit note series, or a
    series that has issued numbers (they must stay traceable).
    """
    with transaction.atomic():
        organisation = Organisation.objects.select_for_update().get(pk=series.organisation_id)
        if series.is_used():
            raise InvoicingError(
                _(
                    "La séquence « %(name)s » a déjà numéroté des factures : elle ne peut pas être supprimée, "
                    "car leurs numéros doivent rester traçables. Vous pouvez la renommer."
                )
                % {"name": series.name}
            )
        if series.is_default:
            raise InvoicingError(
                _(
                    "La séquence « %(name)s » est la séquence par défaut : choisissez-en une autre par défaut, "
                    "puis supprimez-la."
                )
                % {"name": series.name}
            )
        if organisation.credit_note_series_id == series.pk:
            raise InvoicingError(
                _(
                    "La séquence « %(name)s » numérote les avoirs : choisissez une autre séquence des avoirs "
                    "dans les informations de l'entreprise, puis supprimez-la."
                )
                % {"name": series.name}
            )
        series.invoices.filter(status=InvoiceStatus.DRAFT).update(series=None)
        series.quotes.filter(status="draft").update(series=None)
        series.counters.all().delete()
        record(organisation, "series.deleted", series, user=user, request=request, data={"pattern": series.pattern})
        series.delete()


def next_number(series: NumberingSeries, today: datetime.date | None = None) -> str:
    """Return the number an invoice of this series issued ``today`` would get, without taking it."""
    today = today or timezone.localdate()
    period = counter_period(series.reset, today)
    counter = SeriesCounter.objects.filter(series=series, period=period).values_list("last_value", flat=True).first()
    return format_number(series.pattern, today, (counter or 0) + 1)


def _clear_default(series: NumberingSeries) -> None:
    # The flag moves in two steps because the database allows one default series per organisation.
    others = NumberingSeries.objects.filter(organisation_id=series.organisation_id, is_default=True)
    if series.pk is not None:
        others = others.exclude(pk=series.pk)
    others.update(is_default=False)


def _has_other_default(series: NumberingSeries) -> bool:
    defaults = NumberingSeries.objects.filter(organisation_id=series.organisation_id, is_default=True)
    return defaults.exclude(pk=series.pk).exists() if series.pk is not None else defaults.exists()


def _check_values(series: NumberingSeries) -> None:
    # The default flag is moved by ``save_series`` itself, so its constraint is not checked here.
    try:
        series.full_clean(validate_constraints=False)
    except ValidationError as error:
        messages = [message for field_messages in error.message_dict.values() for message in field_messages]
        raise InvoicingError(messages[0], details=messages) from None
    name_error = duplicate_name_error(series)
    if name_error:
        raise InvoicingError(name_error)
    overlap_error = overlapping_prefix_error(series)
    if overlap_error:
        raise InvoicingError(overlap_error)


def duplicate_name_error(series: NumberingSeries) -> str:
    """Return a French message when another series of the organisation has the same name, else ""."""
    same_name = NumberingSeries.objects.filter(organisation_id=series.organisation_id, name=series.name)
    if series.pk is not None:
        same_name = same_name.exclude(pk=series.pk)
    if not same_name.exists():
        return ""
    return _("Une séquence nommée « %(name)s » existe déjà : choisissez un autre nom.") % {"name": series.name}


def number_prefix(pattern: str) -> str:
    """Return the fixed text of a pattern before its first tag: « F- » for ``F-{YYYY}-{NNNN}``."""
    match = TOKEN.search(pattern)
    return pattern[: match.start()] if match else pattern


def overlapping_prefix_error(series: NumberingSeries) -> str:
    """Return a French message when the series could give a number another series gives, else "".

    Two series whose prefixes differ at some character, ignoring case so that
    « av- » and « AV- » stay apart, can never give the same number. Nor can
    two prefixes where the shorter one is followed by a tag (always digits)
    and the longer one by a character that is not a digit there. Otherwise
    the tags that follow could line up, so such a series is rejected.
    """
    prefix = number_prefix(series.pattern).upper()
    others = NumberingSeries.objects.filter(organisation_id=series.organisation_id)
    if series.pk is not None:
        others = others.exclude(pk=series.pk)
    for other in others:
        other_prefix = number_prefix(other.pattern).upper()
        if _prefixes_may_collide(prefix, other_prefix):
            return _(
                "Le modèle « %(pattern)s » commence comme celui de la séquence « %(other)s » (« %(other_pattern)s ») : "
                "les deux séquences pourraient donner le même numéro. Commencez le modèle par un préfixe "
                "qui lui est propre, par exemple « FO- »."
            ) % {"pattern": series.pattern, "other": other.name, "other_pattern": other.pattern}
    return ""


def _prefixes_may_collide(first: str, second: str) -> bool:
    shorter, longer = sorted((first, second), key=len)
    if not longer.startswith(shorter):
        return False
    # The shorter prefix is followed by a tag, which writes digits.
    return len(longer) == len(shorter) or longer[len(shorter)].isdigit()
