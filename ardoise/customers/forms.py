from __future__ import annotations

from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from ardoise.core import validators
from ardoise.core.forms import (
    EMAIL_ERROR_MESSAGES,
    IdentifierField,
    add_identifier_errors,
    check_french_postcode,
    country_choices,
    country_name,
    fill_siren,
)
from ardoise.core.payment_term_forms import clean_payment_term
from ardoise.core.vat import VatSituation, is_in_eu, is_outside_eu
from ardoise.customers.contacts import clean_address_list
from ardoise.customers.models import Contact, Customer, CustomerKind

DELIVERY_FIELDS = [
    "delivery_address_line1",
    "delivery_address_line2",
    "delivery_postcode",
    "delivery_city",
    "delivery_country_code",
]


class CustomerForm(forms.ModelForm):
    siren = IdentifierField(
        validators.clean_siren,
        label=_("SIREN"),
        required=False,
        help_text=_("9 chiffres. Facultatif pour un particulier."),
    )
    siret = IdentifierField(
        validators.clean_siret,
        label=_("SIRET"),
        required=False,
        help_text=_("14 chiffres, pour facturer un établissement précis."),
    )
    # Checked in clean(), because a customer outside the EU may give its own country's VAT identifier.
    vat_number = forms.CharField(
        label=_("Numéro de TVA"),
        required=False,
        help_text=_(
            "Avec le code du pays. Client dans l'UE : son numéro de TVA intracommunautaire, par exemple "
            "FR03552081317. Client hors de l'UE : son identifiant de TVA, par exemple CHE-123.456.789 TVA "
            "ou GB123456789."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    country_code = forms.ChoiceField(label=_("Pays"))
    delivery_country_code = forms.ChoiceField(label=_("Pays de livraison"), required=False)
    payment_terms_days = forms.IntegerField(
        label=_("Nombre de jours N"),
        min_value=0,
        required=False,
        validators=[validators.validate_payment_terms_days],
        help_text=_(
            "Le N de la règle choisie. Sans règle, un nombre de jours seul vaut « N jours nets » ; laissez tout "
            "vide pour appliquer la règle de l'entreprise. 60 jours au plus."
        ),
    )

    class Meta:
        model = Customer
        fields = [
            "kind",
            "name",
            "siren",
            "siret",
            "vat_number",
            "email",
            "phone",
            "address_line1",
            "address_line2",
            "postcode",
            "city",
            "country_code",
            *DELIVERY_FIELDS,
            "vat_situation",
            "vat_exemption",
            "vat_exemption_text",
            "payment_terms_kind",
            "payment_terms_days",
            "payment_installments",
            "notes",
            "email_cc",
            "email_bcc",
            "auto_send_invoices",
        ]
        widgets = {
            "kind": forms.RadioSelect,
            "notes": forms.Textarea(attrs={"rows": 3}),
        }
        error_messages = {"email": EMAIL_ERROR_MESSAGES}
        help_texts = {
            "vat_situation": _(
                "Fixe la TVA proposée sur les nouvelles lignes : TVA française, autoliquidation, livraison "
                "intracommunautaire, export ou exonération. « Automatique » la déduit du pays, du type et du "
                "numéro de TVA."
            ),
            "vat_exemption": _("Pour un client « Exonéré » : la base légale imprimée sur ses factures."),
            "email": _(
                "Adresse à laquelle les factures sont envoyées quand le client n'a aucun contact de facturation."
            ),
            "notes": _("Visibles seulement dans Ardoise, jamais imprimées sur les factures."),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["country_code"]).choices = country_choices(self.instance.country_code)
        cast(forms.ChoiceField, self.fields["delivery_country_code"]).choices = country_choices(
            self.instance.delivery_country_code, blank_label=_("Même pays que la facturation")
        )

    def clean_email_cc(self) -> str:
        return ", ".join(clean_address_list(self.cleaned_data["email_cc"]))

    def clean_email_bcc(self) -> str:
        return ", ".join(clean_address_list(self.cleaned_data["email_bcc"]))

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        self._clean_vat_number(cleaned)
        siren = fill_siren(cleaned)
        add_identifier_errors(self, cleaned, siren)
        self._check_delivery_address(cleaned)
        country = cleaned.get("country_code") or ""
        check_french_postcode(self, cleaned, "postcode", country)
        check_french_postcode(self, cleaned, "delivery_postcode", cleaned.get("delivery_country_code") or country)
        self._check_vat_situation(cleaned)
        clean_payment_term(self)
        return cleaned

    def _clean_vat_number(self, cleaned: dict[str, Any]) -> None:
        typed = (cleaned.get("vat_number") or "").strip()
        if not typed:
            return
        try:
            cleaned["vat_number"] = validators.clean_customer_vat_number(typed, cleaned.get("country_code") or "FR")
        except ValidationError as error:
            self.add_error("vat_number", error)

    def _check_vat_situation(self, cleaned: dict[str, Any]) -> None:
        """Reject a VAT situation the customer's country contradicts, and an exemption without its basis."""
        situation = cleaned.get("vat_situation") or ""
        country = cleaned.get("country_code") or "FR"
        delivery_country = cleaned.get("delivery_country_code") or country
        mismatches: dict[str, bool] = {
            VatSituation.EU_BUSINESS: not is_in_eu(country),
            VatSituation.EU_INDIVIDUAL: not is_in_eu(country),
            VatSituation.EXPORT: not (is_outside_eu(country) or is_outside_eu(delivery_country)),
        }
        if mismatches.get(situation, False):
            self.add_error(
                "vat_situation",
                ValidationError(
                    _(
                        "La situation « %(situation)s » ne correspond pas au pays du client (%(country)s). "
                        "Choisissez « Automatique » ou corrigez le pays."
                    ),
                    code="vat_situation_country",
                    params={"situation": VatSituation(situation).label, "country": country_name(country)},
                ),
            )
        if situation == VatSituation.EXEMPT and "vat_exemption" not in self.errors:
            basis, text = cleaned.get("vat_exemption"), cleaned.get("vat_exemption_text")
            if not text and basis in ("", None, "other"):
                self.add_error(
                    "vat_exemption_text" if basis == "other" else "vat_exemption",
                    ValidationError(
                        _(
                            "Un client exonéré doit avoir la base légale de son exonération, imprimée sur ses "
                            "factures : choisissez un motif, ou « Autre motif » et saisissez son texte."
                        ),
                        code="exemption_required",
                    ),
                )

    def warnings(self) -> list[str]:
        """Return what is missing for a sound invoice, without blocking the save."""
        customer = self.instance
        found = []
        if customer.is_company and customer.country_code == "FR" and not customer.siren:
            found.append(
                _(
                    "Aucun SIREN n'est renseigné pour « %(name)s ». Le SIREN du client est une mention obligatoire "
                    "des factures entre entreprises françaises : ajoutez-le avant d'émettre une facture."
                )
                % {"name": customer.name}
            )
        if customer.effective_vat_situation() == VatSituation.EU_BUSINESS and not customer.vat_number:
            found.append(
                _(
                    "« %(name)s » est une entreprise de l'UE sans numéro de TVA intracommunautaire. Il est "
                    "obligatoire pour l'autoliquidation et les livraisons intracommunautaires : ajoutez-le avant "
                    "d'émettre une facture."
                )
                % {"name": customer.name}
            )
        namesake = self._customer_with_same_siren()
        if namesake is not None:
            found.append(
                _(
                    "Le client « %(name)s » a déjà ce SIREN. S'il s'agit de la même entreprise, gardez une seule "
                    "fiche ; deux établissements distincts se reconnaissent à leur SIRET."
                )
                % {"name": namesake.name}
            )
        if customer.billing_address().is_empty():
            found.append(
                _(
                    "L'adresse de facturation de « %(name)s » est vide. Elle est obligatoire sur une facture : "
                    "complétez-la avant d'émettre une facture."
                )
                % {"name": customer.name}
            )
        return found

    def _customer_with_same_siren(self) -> Customer | None:
        """Return another customer of the organisation with the same SIREN: maybe a duplicate, maybe a branch."""
        customer = self.instance
        if not customer.siren:
            return None
        others = Customer.objects.filter(organisation_id=customer.organisation_id, siren=customer.siren)
        return others.exclude(pk=customer.pk).order_by("name", "id").first()

    def _check_delivery_address(self, cleaned: dict[str, Any]) -> None:
        # A delivery address is optional, but a partial one would print a wrong address.
        filled = [name for name in DELIVERY_FIELDS if cleaned.get(name)]
        if not filled or filled == ["delivery_country_code"]:
            return
        for name in ["delivery_address_line1", "delivery_postcode", "delivery_city"]:
            if not cleaned.get(name):
                self.add_error(
                    name,
                    ValidationError(
                        _("Complétez l'adresse de livraison (adresse, code postal et ville) ou videz-la entièrement."),
                        code="incomplete_delivery_address",
                    ),
                )


class CustomerSearchForm(forms.Form):
    q = forms.CharField(label=_("Rechercher"), required=False, max_length=100)
    kind = forms.ChoiceField(
        label=_("Type"),
        required=False,
        choices=[("", _("Tous les clients")), *CustomerKind.choices],
        widget=forms.Select(attrs={"aria-label": _("Type de client")}),
    )


# The customer form groups its fields in these sections.
CUSTOMER_SECTIONS = [
    (_("Client"), ["kind", "name", "email", "phone"], ""),
    (_("Identifiants légaux"), ["siren", "siret", "vat_number"], ""),
    (_("Adresse de facturation"), ["address_line1", "address_line2", "postcode", "city", "country_code"], ""),
    (_("Adresse de livraison"), DELIVERY_FIELDS, _("À remplir seulement si elle diffère de l'adresse de facturation.")),
    (
        _("TVA"),
        ["vat_situation", "vat_exemption", "vat_exemption_text"],
        _("La situation du client fixe la TVA et les mentions de ses factures."),
    ),
    (_("Conditions"), ["payment_terms_kind", "payment_terms_days", "payment_installments", "notes"], ""),
    (
        _("Envoi des documents"),
        ["auto_send_invoices", "email_cc", "email_bcc"],
        _("Les documents partent vers les contacts de facturation ci-dessus, ou à défaut vers l'e-mail du client."),
    ),
]


class ContactForm(forms.ModelForm):
    class Meta:
        model = Contact
        fields = ["name", "email", "role"]
        error_messages = {"email": EMAIL_ERROR_MESSAGES}


CONTACTS_PREFIX = "contacts"
ContactFormSet = forms.inlineformset_factory(
    Customer, Contact, form=ContactForm, extra=0, can_delete=True, max_num=20, validate_max=True
)
