"""Validation of French and European business identifiers and bank details.

Each ``clean_*`` function checks one value with ``python-stdnum`` or
``schwifty``, returns it in its compact form (no spaces, upper case) and
raises a ``ValidationError`` whose French message names the value and explains
how to fix it. The ``check_*`` functions compare two values that are already clean.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping
from typing import Any

import stdnum
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from schwifty import BIC, IBAN
from schwifty import exceptions as schwifty_errors
from stdnum import exceptions as stdnum_errors
from stdnum.eu import vat as eu_vat
from stdnum.fr import siren as fr_siren
from stdnum.fr import siret as fr_siret
from stdnum.fr import tva as fr_tva

from ardoise.core.vat import is_outside_eu

# Code de commerce, art. L441-10: agreed payment terms cannot exceed 60 days
# after the invoice date.
MAX_PAYMENT_TERMS_DAYS = 60

# IBAN countries whose accounts are often served by French or Monegasque
# banks, so that their BIC may carry the country code FR or MC.
FRENCH_BANKING_AREA = {"FR", "MC", "GF", "GP", "MQ", "RE", "YT", "PM", "BL", "MF", "NC", "PF", "WF", "TF"}

# Prefixes of intra-community VAT numbers: the EU member states, Greece as
# « EL » instead of its ISO code, and « XI » for Northern Ireland.
VAT_PREFIXES = {code.upper() for code in eu_vat.MEMBER_STATES if code != "gr"} | {"EL"}

# A VAT identifier of a country python-stdnum has no rule for: its country code, then
# letters and digits, within the 20 characters a customer's VAT number is stored in.
FOREIGN_VAT_NUMBER = re.compile(r"[A-Z]{2}[A-Z0-9]{2,18}")

SIREN_MESSAGES = {
    "format": _(
        "Le SIREN « %(value)s » est invalide : il ne doit contenir que des chiffres. "
        "Vérifiez-le sur l'extrait Kbis ou sur annuaire-entreprises.data.gouv.fr."
    ),
    "length": _(
        "Le SIREN « %(value)s » est invalide : il doit compter 9 chiffres et en compte %(length)s. "
        "Vérifiez-le sur l'extrait Kbis ou sur annuaire-entreprises.data.gouv.fr."
    ),
    "checksum": _(
        "Le SIREN « %(value)s » est invalide : sa clé de contrôle ne correspond pas, un chiffre est "
        "probablement erroné. Vérifiez-le sur l'extrait Kbis ou sur annuaire-entreprises.data.gouv.fr."
    ),
}

SIRET_MESSAGES = {
    "format": _(
        "Le SIRET « %(value)s » est invalide : il ne doit contenir que des chiffres. "
        "Vérifiez-le sur l'extrait Kbis ou sur annuaire-entreprises.data.gouv.fr."
    ),
    "length": _(
        "Le SIRET « %(value)s » est invalide : il doit compter 14 chiffres (le SIREN suivi des 5 chiffres "
        "du NIC) et en compte %(length)s. Vérifiez-le sur l'extrait Kbis ou sur annuaire-entreprises.data.gouv.fr."
    ),
    "checksum": _(
        "Le SIRET « %(value)s » est invalide : sa clé de contrôle ne correspond pas, un chiffre est "
        "probablement erroné. Vérifiez-le sur l'extrait Kbis ou sur annuaire-entreprises.data.gouv.fr."
    ),
}

VAT_MESSAGES = {
    "no_prefix": _(
        "Le numéro de TVA « %(value)s » doit commencer par le code du pays, par exemple « FR » suivi "
        "de 11 caractères pour une entreprise française."
    ),
    "not_eu": _(
        "Le numéro de TVA « %(value)s » commence par « %(prefix)s », qui n'est pas le code d'un pays de "
        "l'Union européenne (la Grèce utilise « EL »). Saisissez un numéro de TVA intracommunautaire, ou "
        "laissez le champ vide si l'entreprise n'en a pas."
    ),
    "fr_format": _(
        "Le numéro de TVA « %(value)s » est invalide : un numéro de TVA français est formé de « FR », "
        "d'une clé de 2 caractères et des 9 chiffres du SIREN. Vérifiez-le sur annuaire-entreprises.data.gouv.fr."
    ),
    "fr_checksum": _(
        "Le numéro de TVA « %(value)s » est invalide : sa clé de contrôle ne correspond pas, un caractère "
        "est probablement erroné. Vérifiez-le sur annuaire-entreprises.data.gouv.fr."
    ),
    "eu_invalid": _(
        "Le numéro de TVA « %(value)s » est invalide : il ne respecte pas le format ou la clé de contrôle "
        "des numéros de TVA commençant par « %(prefix)s ». Vérifiez-le auprès de l'entreprise ou sur le "
        "service VIES de la Commission européenne."
    ),
    "foreign_prefix": _(
        "Le numéro de TVA « %(value)s » doit commencer par le code du pays du client, « %(country)s », "
        "par exemple CHE-123.456.789 TVA pour une entreprise suisse ou GB123456789 pour une entreprise "
        "britannique. Vérifiez le numéro, ou le pays de la fiche client."
    ),
    "foreign_invalid": _(
        "Le numéro de TVA « %(value)s » est invalide : il ne respecte pas le format ou la clé de contrôle "
        "des identifiants fiscaux commençant par « %(country)s ». Vérifiez-le auprès du client."
    ),
}

IBAN_MESSAGES = {
    "country": _(
        "L'IBAN « %(value)s » est invalide : « %(prefix)s » n'est pas un code de pays IBAN. Un IBAN "
        "commence par le code du pays suivi de 2 chiffres, par exemple « FR76 ». Recopiez-le depuis le RIB."
    ),
    "length": _(
        "L'IBAN « %(value)s » est invalide : un IBAN commençant par « %(prefix)s » compte %(expected)s "
        "caractères et celui-ci en compte %(length)s. Recopiez-le depuis le RIB."
    ),
    "structure": _(
        "L'IBAN « %(value)s » est invalide : ses caractères ne suivent pas le format des IBAN "
        "commençant par « %(prefix)s ». Recopiez-le depuis le RIB."
    ),
    "checksum": _(
        "L'IBAN « %(value)s » est invalide : sa clé de contrôle ne correspond pas, un caractère est "
        "probablement mal recopié. Recopiez-le depuis le RIB."
    ),
    "national_checksum": _(
        "L'IBAN « %(value)s » est invalide : la clé du compte (la clé RIB pour un compte français) ne "
        "correspond pas au numéro de compte. Recopiez-le depuis le RIB."
    ),
}

BIC_MESSAGES = {
    "length": _(
        "Le BIC « %(value)s » est invalide : il doit compter 8 ou 11 caractères et en compte %(length)s. "
        "Recopiez-le depuis le RIB."
    ),
    "structure": _(
        "Le BIC « %(value)s » est invalide : il se compose de 4 lettres pour la banque, 2 lettres pour le "
        "pays, 2 caractères pour la ville et parfois 3 caractères pour l'agence. Recopiez-le depuis le RIB."
    ),
    "country": _(
        "Le BIC « %(value)s » est invalide : « %(country)s » (5e et 6e caractères) n'est pas un code de "
        "pays. Recopiez-le depuis le RIB."
    ),
}


def compact(value: str) -> str:
    """Remove every space (including no-break spaces) and upper-case the value."""
    return "".join(value.split()).upper()


def clean_siren(value: str) -> str:
    """Validate a SIREN (9 digits with a Luhn key) and return it without spaces."""
    value = value.strip()
    try:
        siren = fr_siren.validate(value)
    except stdnum_errors.ValidationError as error:
        raise _identifier_error(SIREN_MESSAGES, error, value, fr_siren.compact(value), "invalid_siren") from error
    # Nine zeros pass the Luhn key, but no business has that number: it is a placeholder.
    if siren == "000000000":
        raise ValidationError(
            _("Le SIREN « %(value)s » n'est attribué à aucune entreprise : indiquez le vrai SIREN, ou laissez vide.")
            % {"value": value},
            code="invalid_siren",
        )
    return siren


def clean_siret(value: str) -> str:
    """Validate a SIRET (SIREN + 5-digit NIC, Luhn key) and return it without spaces."""
    value = value.strip()
    try:
        return fr_siret.validate(value)
    except stdnum_errors.ValidationError as error:
        raise _identifier_error(SIRET_MESSAGES, error, value, fr_siret.compact(value), "invalid_siret") from error


def clean_vat_number(value: str) -> str:
    """Validate an EU VAT number with its country prefix, e.g. « FR44732829320 ».

    French numbers are checked with ``stdnum.fr.tva`` (key computed from the
    SIREN), the others with the rules of their member state.
    """
    value = value.strip()
    number = compact(value).replace(".", "").replace("-", "")
    prefix = number[:2]
    params = {"value": value, "prefix": prefix}

    if not (len(prefix) == 2 and prefix.isalpha()):
        raise ValidationError(VAT_MESSAGES["no_prefix"], code="invalid_vat_number", params=params)
    if prefix not in VAT_PREFIXES:
        raise ValidationError(VAT_MESSAGES["not_eu"], code="invalid_vat_number", params=params)

    if prefix == "FR":
        return "FR" + _validate_french_vat(number, params)
    try:
        return eu_vat.validate(number)
    except stdnum_errors.ValidationError as error:
        raise ValidationError(VAT_MESSAGES["eu_invalid"], code="invalid_vat_number", params=params) from error


def clean_customer_vat_number(value: str, country_code: str) -> str:
    """Validate a customer's VAT number: an EU one, or the tax identifier of a customer outside the EU.

    A customer outside the EU may have a VAT identifier of its own country,
    such as « CHE-123.456.789 TVA ». EN 16931 requires a VAT identifier to
    start with the ISO 3166-1 code of the issuing country (BR-CO-09), so it
    must start with the customer's country code.
    """
    country = (country_code or "FR").upper()
    number = compact(value.strip()).replace(".", "").replace("-", "")
    if not is_outside_eu(country) or number[:2] in VAT_PREFIXES:
        return clean_vat_number(value)
    return _clean_foreign_vat_number(value.strip(), number, country)


def _clean_foreign_vat_number(value: str, number: str, country: str) -> str:
    """Check a non-EU VAT identifier with python-stdnum's module for the country, when it has one."""
    params = {"value": value, "country": country}
    if not number.startswith(country):
        raise ValidationError(VAT_MESSAGES["foreign_prefix"], code="invalid_vat_number", params=params)
    module = stdnum.get_cc_module(country.lower(), "vat")
    if module is None:
        if not FOREIGN_VAT_NUMBER.fullmatch(number):
            raise ValidationError(VAT_MESSAGES["foreign_invalid"], code="invalid_vat_number", params=params)
        return number
    # Some modules read the number with its prefix (« CHE… »), others without it (« GB » is dropped).
    for candidate in (number, number[len(country) :]):
        try:
            valid = str(module.validate(candidate))
        except stdnum_errors.ValidationError:
            continue
        return valid if valid.startswith(country) else country + valid
    raise ValidationError(VAT_MESSAGES["foreign_invalid"], code="invalid_vat_number", params=params)


def clean_iban(value: str) -> str:
    """Validate an IBAN, and its national account key in the countries where schwifty implements one."""
    value = value.strip()
    number = compact(value)
    params = {"value": value, "prefix": number[:2], "length": len(number)}
    try:
        with warnings.catch_warnings():
            # Countries without a known national key algorithm only get the IBAN
            # check digits verified, which is the check every bank applies.
            warnings.simplefilter("ignore", schwifty_errors.NationalChecksumNotVerified)
            return str(IBAN(number, validate_bban=True))
    except schwifty_errors.InvalidCountryCode as error:
        raise ValidationError(IBAN_MESSAGES["country"], code="invalid_iban", params=params) from error
    except schwifty_errors.InvalidLength as error:
        params["expected"] = IBAN(number, allow_invalid=True).spec.iban_length
        raise ValidationError(IBAN_MESSAGES["length"], code="invalid_iban", params=params) from error
    except schwifty_errors.InvalidChecksumDigits as error:
        raise ValidationError(IBAN_MESSAGES["checksum"], code="invalid_iban", params=params) from error
    except schwifty_errors.InvalidBBANChecksum as error:
        raise ValidationError(IBAN_MESSAGES["national_checksum"], code="invalid_iban", params=params) from error
    except schwifty_errors.SchwiftyException as error:
        raise ValidationError(IBAN_MESSAGES["structure"], code="invalid_iban", params=params) from error


def clean_bic(value: str) -> str:
    """Validate a BIC (ISO 9362, 8 or 11 characters) and return it upper-cased."""
    value = value.strip()
    code = compact(value)
    params = {"value": value, "length": len(code), "country": code[4:6]}
    try:
        return str(BIC(code))
    except schwifty_errors.InvalidLength as error:
        raise ValidationError(BIC_MESSAGES["length"], code="invalid_bic", params=params) from error
    except schwifty_errors.InvalidCountryCode as error:
        raise ValidationError(BIC_MESSAGES["country"], code="invalid_bic", params=params) from error
    except schwifty_errors.SchwiftyException as error:
        raise ValidationError(BIC_MESSAGES["structure"], code="invalid_bic", params=params) from error


def check_siret_matches_siren(siret: str, siren: str) -> None:
    """Raise unless the SIRET starts with the SIREN: the SIRET is SIREN + NIC."""
    if siret[:9] != siren:
        raise ValidationError(
            _(
                "Le SIRET « %(siret)s » ne commence pas par le SIREN « %(siren)s » : un SIRET est formé du "
                "SIREN suivi des 5 chiffres du NIC. Corrigez l'un des deux numéros."
            ),
            code="siret_siren_mismatch",
            params={"siret": siret, "siren": siren},
        )


def check_vat_number_matches_siren(vat_number: str, siren: str) -> None:
    """Raise if a French VAT number does not end with the SIREN; other countries pass."""
    if not vat_number.startswith("FR") or vat_number[4:] == siren:
        return
    raise ValidationError(
        _(
            "Le numéro de TVA « %(vat_number)s » ne correspond pas au SIREN « %(siren)s » : un numéro de TVA "
            "français se termine par les 9 chiffres du SIREN. Corrigez l'un des deux numéros."
        ),
        code="vat_number_siren_mismatch",
        params={"vat_number": vat_number, "siren": siren},
    )


def check_bic_matches_iban(bic: str, iban: str) -> None:
    """Raise if the BIC cannot belong to the bank of the IBAN.

    When schwifty's bank registry lists the IBAN's bank code, the BIC must
    carry one of that bank's institution codes (first 4 letters) and its
    country. Otherwise only the country is compared.
    """
    account = IBAN(iban, allow_invalid=True)
    expected = _registered_institutions(account)
    if expected:
        if bic[:6] not in expected:
            raise ValidationError(
                _(
                    "Le BIC « %(bic)s » ne correspond pas à la banque de l'IBAN « %(iban)s », dont le BIC "
                    "commence par %(expected)s. Recopiez le BIC et l'IBAN depuis le même RIB."
                ),
                code="bic_iban_mismatch",
                params={"bic": bic, "iban": iban, "expected": " ou ".join(sorted(expected))},
            )
        return

    if _countries_compatible(bic[4:6], account.country_code):
        return
    raise ValidationError(
        _(
            "Le BIC « %(bic)s » désigne une banque d'un autre pays (« %(bic_country)s ») que l'IBAN "
            "« %(iban)s » (« %(iban_country)s »). Recopiez le BIC et l'IBAN depuis le même RIB."
        ),
        code="bic_iban_mismatch",
        params={"bic": bic, "iban": iban, "bic_country": bic[4:6], "iban_country": account.country_code},
    )


def clean_french_postcode(value: str) -> str:
    """Validate a French postcode (5 digits, overseas departments included) and return it without spaces."""
    postcode = "".join(value.split())
    if not (len(postcode) == 5 and postcode.isascii() and postcode.isdigit()):
        raise ValidationError(
            _(
                "Le code postal « %(value)s » est invalide : un code postal français compte 5 chiffres, "
                "par exemple 69003. Pour une adresse à l'étranger, choisissez d'abord le pays."
            ),
            code="invalid_postcode",
            params={"value": value.strip()},
        )
    return postcode


def validate_payment_terms_days(value: int | None) -> None:
    """Raise if payment terms exceed the legal maximum of 60 days."""
    if value is not None and value > MAX_PAYMENT_TERMS_DAYS:
        raise ValidationError(
            _(
                "Un délai de paiement de %(value)s jours dépasse le maximum légal de 60 jours après la date "
                "d'émission de la facture (article L441-10 du Code de commerce). Indiquez 60 jours au plus."
            ),
            code="payment_terms_too_long",
            params={"value": value},
        )


def _identifier_error(
    messages: Mapping[str, Any], error: stdnum_errors.ValidationError, value: str, number: str, code: str
) -> ValidationError:
    # InvalidLength is a subclass of InvalidFormat, so it is tested first.
    if isinstance(error, stdnum_errors.InvalidLength):
        kind = "length"
    elif isinstance(error, stdnum_errors.InvalidFormat):
        kind = "format"
    else:
        kind = "checksum"
    return ValidationError(messages[kind], code=code, params={"value": value, "length": len(number)})


def _validate_french_vat(number: str, params: dict[str, Any]) -> str:
    try:
        return fr_tva.validate(number)
    except stdnum_errors.InvalidChecksum as error:
        raise ValidationError(VAT_MESSAGES["fr_checksum"], code="invalid_vat_number", params=params) from error
    except stdnum_errors.ValidationError as error:
        raise ValidationError(VAT_MESSAGES["fr_format"], code="invalid_vat_number", params=params) from error


def _registered_institutions(account: IBAN) -> set[str]:
    # Institution code and country (the first 6 characters) of every BIC the
    # registry lists for the bank code; branch codes vary within one bank.
    try:
        candidates = BIC.candidates_from_bank_code(account.country_code, account.bank_code)
    except schwifty_errors.SchwiftyException:
        return set()
    return {str(candidate)[:6] for candidate in candidates}


def _countries_compatible(bic_country: str, iban_country: str) -> bool:
    if bic_country == iban_country:
        return True
    return bic_country in {"FR", "MC"} and iban_country in FRENCH_BANKING_AREA
