"""Placeholders in the e-mail templates that users edit: ``{numero}`` becomes the invoice number.

A template is plain text where ``{name}`` stands for a value and ``{{`` and ``}}``
for literal braces. Each kind of template allows its own set of names
(a reminder knows the days late, a quote does not), so validation takes the
allowed names and refuses anything else with a French message that names the
faulty placeholder and lists the valid ones. Rendering never evaluates
anything: a value is inserted as text, whatever it contains.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

# A token is an escaped brace, a placeholder in braces, or a lone brace (an error).
_TOKEN = re.compile(r"\{\{|\}\}|\{([^{}\n]*)\}|[{}]")
_NAME = re.compile(r"[a-z][a-z0-9_]*\Z")
_ESCAPES = {"{{": "{", "}}": "}"}


@dataclass(frozen=True)
class Placeholder:
    """A value that templates may insert, with its French description for the editing form."""

    name: str
    description: Promise | str

    @property
    def tag(self) -> str:
        return "{%s}" % self.name


# The vocabulary shared by every template. Each kind of template allows a subset.
CUSTOMER = Placeholder("client", gettext_lazy("nom du client"))
ORGANISATION = Placeholder("organisation", gettext_lazy("nom de votre entreprise"))
NUMBER = Placeholder("numero", gettext_lazy("numéro du document"))
DATE = Placeholder("date", gettext_lazy("date du document"))
AMOUNT = Placeholder("montant", gettext_lazy("montant TTC du document"))
BALANCE = Placeholder("reste_a_payer", gettext_lazy("montant restant à payer"))
DUE_DATE = Placeholder("echeance", gettext_lazy("date d'échéance"))
DAYS_LATE = Placeholder("jours_de_retard", gettext_lazy("nombre de jours de retard"))
PENALTIES = Placeholder("penalites", gettext_lazy("pénalités de retard calculées à ce jour"))
INDEMNITY = Placeholder("indemnite", gettext_lazy("indemnité forfaitaire pour frais de recouvrement (40 €)"))
PORTAL_LINK = Placeholder("lien", gettext_lazy("lien vers le document sur le portail client"))


def parse(text: str) -> list[tuple[int, str]]:
    """Return the placeholders of ``text`` as (position, name) pairs, in order.

    Raise ``ValidationError`` for a lone brace or a placeholder whose name is
    not a lower-case identifier; the message gives the position and the fix.
    """
    found = []
    for match in _TOKEN.finditer(text):
        token = match.group(0)
        if token in _ESCAPES:
            continue
        if token in ("{", "}"):
            raise ValidationError(
                _(
                    "L'accolade « %(brace)s » en position %(position)d n'encadre aucune variable. "
                    "Écrivez %(double)s pour une accolade seule, ou {nom} pour une variable."
                )
                % {"brace": token, "position": match.start() + 1, "double": token * 2},
                code="brace",
            )
        name = match.group(1).strip()
        if not _NAME.match(name):
            raise ValidationError(
                _(
                    "« %(token)s » n'est pas une variable valide : un nom de variable s'écrit en minuscules, "
                    "sans espace ni accent, par exemple {numero}."
                )
                % {"token": token},
                code="name",
            )
        found.append((match.start(), name))
    return found


def validate(text: str, allowed: Iterable[Placeholder]) -> None:
    """Refuse ``text`` if it uses a placeholder outside ``allowed``, naming it and the valid ones."""
    allowed = list(allowed)
    names = {placeholder.name for placeholder in allowed}
    for _position, name in parse(text):
        if name not in names:
            raise ValidationError(
                _("La variable {%(name)s} n'existe pas pour ce modèle. Variables possibles : %(choices)s.")
                % {"name": name, "choices": ", ".join(placeholder.tag for placeholder in allowed)},
                code="unknown",
            )


def render(text: str, values: Mapping[str, str]) -> str:
    """Replace each placeholder of ``text`` by its value, taken as plain text.

    The template must have been validated against names that ``values`` all
    provide; a missing value is a programming error and raises ``KeyError``.
    """

    def replace(match: re.Match[str]) -> str:
        if match.group(0) in _ESCAPES:
            return _ESCAPES[match.group(0)]
        if match.group(1) is None:
            raise ValueError("lone brace at %d in a template that was not validated" % match.start())
        return str(values[match.group(1).strip()])

    return _TOKEN.sub(replace, text)
