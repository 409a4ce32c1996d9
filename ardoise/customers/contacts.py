"""Recipients of a customer's documents: billing contacts, copies and blind copies."""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from ardoise.customers.models import ContactRole, Customer


class Recipients(NamedTuple):
    """The addresses of one e-mail: ``to``, ``cc`` and ``bcc``, each a list without duplicates."""

    to: list[str]
    cc: list[str]
    bcc: list[str]


def billing_recipients(customer: Customer) -> Recipients:
    """Return where the customer's documents go: its billing contacts, else its e-mail, with its default copies.

    ``to`` is empty when the customer has neither a billing contact nor an
    e-mail. An address already in ``to`` is not repeated in ``cc`` or ``bcc``.
    """
    to = _unique(contact.email for contact in customer.contacts.all() if contact.role == ContactRole.BILLING)
    if not to and customer.email:
        to = [customer.email]
    cc = _unique(split_addresses(customer.email_cc), exclude=to)
    bcc = _unique(split_addresses(customer.email_bcc), exclude=to + cc)
    return Recipients(to, cc, bcc)


def split_addresses(text: str) -> list[str]:
    """Split a comma- or semicolon-separated list of addresses, dropping blanks."""
    return [item.strip() for item in text.replace(";", ",").split(",") if item.strip()]


def clean_address_list(text: str) -> list[str]:
    """Return the addresses of ``text``; raise ``ValidationError`` naming every invalid one."""
    addresses = split_addresses(text)
    invalid = []
    for address in addresses:
        try:
            validate_email(address)
        except ValidationError:
            invalid.append(address)
    if invalid:
        raise ValidationError(
            _("Adresse e-mail invalide : %(addresses)s. Séparez les adresses par des virgules.")
            % {"addresses": ", ".join(invalid)},
            code="invalid_address",
        )
    return addresses


def _unique(addresses: Iterable[str], exclude: Iterable[str] = ()) -> list[str]:
    # Addresses differing only by case are the same mailbox in practice: keep the first spelling.
    excluded = {address.lower() for address in exclude}
    seen: dict[str, str] = {}
    for address in addresses:
        if address.lower() not in excluded:
            seen.setdefault(address.lower(), address)
    return list(seen.values())
