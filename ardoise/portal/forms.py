from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from ardoise.core.formats import format_amount

ACCEPT = "accept"
REFUSE = "refuse"


class DecisionForm(forms.Form):
    """The customer's response to a quote: accept (name and explicit consent) or refuse (reason optional).

    ``pdf_sha256`` is the digest of the PDF the page offered; the view checks
    it against the stored PDF, so that the decision names the exact version.
    """

    decision = forms.ChoiceField(choices=[(ACCEPT, _("Accepter")), (REFUSE, _("Refuser"))], widget=forms.HiddenInput)
    name = forms.CharField(label=_("Vos nom et prénom"), max_length=200, required=False)
    consent = forms.BooleanField(required=False)
    comment = forms.CharField(
        label=_("Commentaire (facultatif)"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    pdf_sha256 = forms.CharField(max_length=64, widget=forms.HiddenInput)

    def __init__(self, *args: Any, quote: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.quote = quote
        self.fields["consent"].label = _("J'accepte le devis %(number)s d'un montant de %(amount)s TTC.") % {
            "number": quote.number,
            "amount": format_amount(quote.total_with_vat, quote.currency),
        }

    def clean_name(self) -> str:
        return " ".join(self.cleaned_data["name"].split())

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or self.cleaned_data
        if cleaned.get("decision") != ACCEPT:
            return cleaned
        if not cleaned.get("name"):
            self.add_error("name", _("Indiquez vos nom et prénom pour accepter le devis."))
        if not cleaned.get("consent"):
            self.add_error("consent", _("Cochez la case « J'accepte le devis » pour confirmer votre accord."))
        return cleaned

    @property
    def accepted(self) -> bool:
        return self.cleaned_data["decision"] == ACCEPT
