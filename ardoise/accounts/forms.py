from __future__ import annotations

import io
import warnings
from typing import Any, cast

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from PIL import Image, UnidentifiedImageError

from ardoise.accounts.models import Organisation, VatRegime
from ardoise.core import validators
from ardoise.core.formats import format_date, format_iban, format_rate
from ardoise.core.forms import (
    EMAIL_ERROR_MESSAGES,
    FrenchDecimalField,
    IdentifierField,
    add_identifier_errors,
    check_french_postcode,
    country_choices,
    fill_siren,
)
from ardoise.core.payment_term_forms import clean_payment_term
from ardoise.invoicing.models import NumberingSeries, SeriesKind

# Pillow format names of the accepted logos, with the content type they are served with.
LOGO_CONTENT_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg"}

# A logo is printed a few centimetres wide: a larger image only slows down
# PDF rendering, and a small file can decode to a huge bitmap.
LOGO_MAX_SIDE_PIXELS = 5000


class LoginForm(AuthenticationForm):
    username = forms.EmailField(
        label=_("Adresse e-mail"),
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
        error_messages=EMAIL_ERROR_MESSAGES,
    )
    error_messages = {
        "invalid_login": _("Adresse e-mail ou mot de passe incorrect. Vérifiez la saisie et réessayez."),
        "inactive": _("Ce compte est désactivé."),
    }


class OrganisationForm(forms.ModelForm):
    """The legal and banking profile printed on every invoice, with the logo."""

    share_capital = FrenchDecimalField(
        label=_("Capital social (€)"),
        max_digits=14,
        decimal_places=2,
        min_value=0,
        required=False,
        help_text=_("Obligatoire sur les factures des sociétés (SARL, SAS…)."),
    )
    siren = IdentifierField(validators.clean_siren, label=_("SIREN"), required=False, help_text=_("9 chiffres."))
    siret = IdentifierField(
        validators.clean_siret,
        label=_("SIRET"),
        required=False,
        help_text=_("14 chiffres : le SIREN suivi du NIC de l'établissement."),
    )
    vat_number = IdentifierField(
        validators.clean_vat_number,
        label=_("Numéro de TVA intracommunautaire"),
        required=False,
        help_text=_("Par exemple FR44732829320. Laissez vide en franchise en base de TVA si vous n'en avez pas."),
    )
    iban = IdentifierField(validators.clean_iban, display=format_iban, label=_("IBAN"), required=False)
    bic = IdentifierField(validators.clean_bic, label=_("BIC"), required=False)
    country_code = forms.ChoiceField(label=_("Pays"))
    payment_terms_days = forms.IntegerField(
        label=_("Nombre de jours N de la règle par défaut"),
        min_value=0,
        validators=[validators.validate_payment_terms_days],
        help_text=_(
            "Au plus 60 jours après la date d'émission, ou 45 jours fin de mois (art. L441-10 du Code de "
            "commerce). 0 pour un paiement à réception."
        ),
    )
    late_penalty_rate = FrenchDecimalField(
        label=_("Taux contractuel des pénalités de retard (% par an)"),
        max_digits=5,
        decimal_places=2,
        required=False,
        help_text=_(
            "Laissez vide pour appliquer le taux légal : taux de refinancement de la BCE majoré de 10 points. "
            "Un taux contractuel ne peut être inférieur à 3 fois le taux de l'intérêt légal."
        ),
    )
    logo_file = forms.FileField(
        label=_("Nouveau logo"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg"}),
    )
    remove_logo = forms.BooleanField(label=_("Supprimer le logo actuel"), required=False)

    class Meta:
        model = Organisation
        fields = [
            "name",
            "trading_name",
            "legal_form",
            "share_capital",
            "rcs_city",
            "address_line1",
            "address_line2",
            "postcode",
            "city",
            "country_code",
            "siren",
            "siret",
            "vat_number",
            "email",
            "phone",
            "website",
            "iban",
            "bic",
            "vat_regime",
            "vat_exemption",
            "vat_exemption_text",
            "vat_on_debits",
            "payment_terms_kind",
            "payment_terms_days",
            "payment_installments",
            "late_penalty_rate",
            "late_penalty_text",
            "early_payment_text",
            "credit_note_series",
        ]
        widgets = {
            "late_penalty_text": forms.Textarea(attrs={"rows": 3}),
            "early_payment_text": forms.Textarea(attrs={"rows": 2}),
        }
        error_messages = {"email": EMAIL_ERROR_MESSAGES}
        help_texts = {
            "vat_exemption": _(
                "Si vos opérations sont exonérées de TVA : la base légale imprimée sur vos factures. "
                "Choisissez « Autre motif » pour la saisir vous-même."
            ),
            "vat_on_debits": _(
                "Pour les prestations de services, si vous avez choisi auprès des impôts de payer la TVA "
                "à la facturation plutôt qu'à l'encaissement. La mention est alors imprimée sur vos factures."
            ),
            "late_penalty_text": _(
                "Imprimée sur chaque facture. L'indemnité forfaitaire de recouvrement de 40 € est ajoutée "
                "d'office pour les clients professionnels."
            ),
            "early_payment_text": _(
                "Imprimée sur chaque facture. Laissée vide, la mention « Pas d'escompte pour paiement "
                "anticipé. » est imprimée."
            ),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["logo_file"].help_text = _("PNG ou JPEG, %(size)s au plus.") % {
            "size": filesizeformat(settings.ARDOISE_LOGO_MAX_BYTES)
        }
        cast(forms.ChoiceField, self.fields["country_code"]).choices = country_choices(self.instance.country_code)
        series = cast(forms.ModelChoiceField, self.fields["credit_note_series"])  # type: ignore[type-arg]
        series.queryset = NumberingSeries.objects.filter(
            organisation_id=self.instance.pk, kind=SeriesKind.INVOICE
        ).order_by("name")
        series.empty_label = _("La même séquence que la facture corrigée")
        self.logo_content_type = ""

    def clean_logo_file(self) -> bytes | None:
        upload = self.cleaned_data.get("logo_file")
        if not upload:
            return None
        data, content_type = read_logo(upload)
        self.logo_content_type = content_type
        return data

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        siren = fill_siren(cleaned)
        add_identifier_errors(self, cleaned, siren)
        check_french_postcode(self, cleaned, "postcode", cleaned.get("country_code") or "")
        self._check_vat_exemption(cleaned)
        clean_payment_term(self)
        self._check_late_penalty_rate(cleaned)

        iban, bic = cleaned.get("iban"), cleaned.get("bic")
        if iban and bic:
            try:
                validators.check_bic_matches_iban(bic, iban)
            except ValidationError as error:
                self.add_error("bic", error)
        return cleaned

    def _check_late_penalty_rate(self, cleaned: dict[str, Any]) -> None:
        """Refuse a contractual rate below 3 times the legal interest rate in force (L441-10)."""
        from ardoise.reminders.penalties import minimum_contractual_rate

        rate = cleaned.get("late_penalty_rate")
        if rate is None:
            return
        minimum = minimum_contractual_rate(timezone.localdate())
        if minimum is not None and rate < minimum.rate:
            self.add_error(
                "late_penalty_rate",
                ValidationError(
                    _(
                        "Un taux de %(rate)s est inférieur au minimum légal de %(minimum)s (3 fois le taux de "
                        "l'intérêt légal de %(legal)s en vigueur depuis le %(since)s, article L441-10 du Code de "
                        "commerce). Saisissez au moins %(minimum)s, ou laissez vide pour le taux BCE + 10 points."
                    ),
                    code="rate_too_low",
                    params={
                        "rate": format_rate(rate),
                        "minimum": format_rate(minimum.rate),
                        "legal": format_rate(minimum.legal_rate),
                        "since": format_date(minimum.since),
                    },
                ),
            )

    def _check_vat_exemption(self, cleaned: dict[str, Any]) -> None:
        """Require the legal basis of exempt operations: every exempt invoice must print it."""
        regime, basis, text = cleaned.get("vat_regime"), cleaned.get("vat_exemption"), cleaned.get("vat_exemption_text")
        if regime != VatRegime.EXEMPT or "vat_exemption" in self.errors:
            return
        if not basis and not text:
            self.add_error(
                "vat_exemption",
                ValidationError(
                    _(
                        "Vos opérations sont déclarées exonérées : choisissez le motif d'exonération "
                        "(par exemple la formation professionnelle) ou « Autre motif » avec son texte."
                    ),
                    code="exemption_required",
                ),
            )
        elif basis == "other" and not text:
            self.add_error(
                "vat_exemption_text",
                ValidationError(
                    _(
                        "Saisissez la base légale de votre exonération, telle qu'elle doit figurer sur vos factures, "
                        "par exemple « Exonération de TVA, article 261-7-1° a du CGI »."
                    ),
                    code="exemption_text_required",
                ),
            )

    def save(self, commit: bool = True) -> Organisation:
        organisation = super().save(commit=False)
        logo = self.cleaned_data.get("logo_file")
        if logo:
            organisation.logo = logo
            organisation.logo_content_type = self.logo_content_type
        elif self.cleaned_data.get("remove_logo"):
            organisation.logo = None
            organisation.logo_content_type = ""
        if commit:
            organisation.save()
        return organisation


def read_logo(upload: UploadedFile) -> tuple[bytes, str]:
    """Return the bytes and content type of an uploaded logo, or raise a French error.

    The format is read from the content with Pillow, never from the file
    name or the browser's content type, which anyone can set.
    """
    name = upload.name or ""
    max_bytes = settings.ARDOISE_LOGO_MAX_BYTES
    if upload.size is not None and upload.size > max_bytes:
        raise ValidationError(
            _(
                "Le fichier « %(name)s » pèse %(size)s : un logo ne doit pas dépasser %(max)s. "
                "Réduisez l'image (une largeur de 1000 pixels suffit pour une facture) et réessayez."
            ),
            code="logo_too_large",
            params={"name": name, "size": filesizeformat(upload.size), "max": filesizeformat(max_bytes)},
        )

    data = upload.read()
    image_format, width, height = _inspect_image(data, name)
    if image_format not in LOGO_CONTENT_TYPES:
        raise ValidationError(
            _(
                "Le fichier « %(name)s » est une image %(format)s : seuls les formats PNG et JPEG sont acceptés. "
                "Enregistrez votre logo en PNG (recommandé) ou en JPEG et réessayez."
            ),
            code="logo_format",
            params={"name": name, "format": image_format},
        )
    if max(width, height) > LOGO_MAX_SIDE_PIXELS:
        raise ValidationError(
            _(
                "L'image « %(name)s » mesure %(width)s × %(height)s pixels : un logo ne doit pas dépasser "
                "%(max)s pixels de côté. Réduisez-la et réessayez."
            ),
            code="logo_dimensions",
            params={"name": name, "width": width, "height": height, "max": LOGO_MAX_SIDE_PIXELS},
        )
    return data, LOGO_CONTENT_TYPES[image_format]


def _inspect_image(data: bytes, name: str) -> tuple[str, int, int]:
    try:
        with warnings.catch_warnings():
            # A decompression bomb becomes an error instead of a warning.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                image.verify()
                return image.format or "", image.width, image.height
    except (
        UnidentifiedImageError,
        Image.DecompressionBombWarning,
        Image.DecompressionBombError,
        OSError,
        SyntaxError,
        ValueError,
    ) as error:
        raise ValidationError(
            _(
                "Le fichier « %(name)s » n'est pas une image PNG ou JPEG lisible. "
                "Enregistrez votre logo en PNG (recommandé) ou en JPEG et réessayez."
            ),
            code="logo_not_image",
            params={"name": name},
        ) from error


# The profile page groups the fields in these sections, in the edit form and in the read-only view.
PROFILE_SECTIONS = [
    (_("Identité"), ["name", "trading_name", "legal_form", "share_capital", "rcs_city"]),
    (_("Adresse du siège"), ["address_line1", "address_line2", "postcode", "city", "country_code"]),
    (_("Identifiants légaux"), ["siren", "siret", "vat_number"]),
    (_("Coordonnées"), ["email", "phone", "website"]),
    (_("Coordonnées bancaires"), ["iban", "bic"]),
    (
        _("TVA et conditions de paiement"),
        [
            "vat_regime",
            "vat_exemption",
            "vat_exemption_text",
            "vat_on_debits",
            "payment_terms_kind",
            "payment_terms_days",
            "payment_installments",
            "late_penalty_rate",
            "late_penalty_text",
            "early_payment_text",
        ],
    ),
    (_("Numérotation"), ["credit_note_series"]),
]
