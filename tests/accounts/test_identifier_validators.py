"""SIREN, SIRET, VAT number, IBAN and BIC validation, with the exact French messages users read."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from ardoise.core import validators

KBIS_HINT = "Vérifiez-le sur l'extrait Kbis ou sur annuaire-entreprises.data.gouv.fr."


def message_of(function, *args) -> str:
    with pytest.raises(ValidationError) as caught:
        function(*args)
    assert len(caught.value.messages) == 1
    return caught.value.messages[0]


# SIREN


def test_siren_valid_is_compacted():
    assert validators.clean_siren(" 732 829 320 ") == "732829320"


def test_siren_wrong_key_names_value():
    assert message_of(validators.clean_siren, "123456789") == (
        "Le SIREN « 123456789 » est invalide : sa clé de contrôle ne correspond pas, un chiffre est "
        "probablement erroné. " + KBIS_HINT
    )


def test_siren_wrong_length_gives_count():
    assert message_of(validators.clean_siren, "73282932") == (
        "Le SIREN « 73282932 » est invalide : il doit compter 9 chiffres et en compte 8. " + KBIS_HINT
    )


def test_siren_with_letters_rejected():
    assert message_of(validators.clean_siren, "73282932A") == (
        "Le SIREN « 73282932A » est invalide : il ne doit contenir que des chiffres. " + KBIS_HINT
    )


# SIRET


def test_siret_valid_is_compacted():
    assert validators.clean_siret("732 829 320 00074") == "73282932000074"


def test_siret_wrong_key_names_value():
    assert message_of(validators.clean_siret, "73282932000075") == (
        "Le SIRET « 73282932000075 » est invalide : sa clé de contrôle ne correspond pas, un chiffre est "
        "probablement erroné. " + KBIS_HINT
    )


def test_siret_wrong_length_explains_nic():
    assert message_of(validators.clean_siret, "7328293200007") == (
        "Le SIRET « 7328293200007 » est invalide : il doit compter 14 chiffres (le SIREN suivi des 5 chiffres "
        "du NIC) et en compte 13. " + KBIS_HINT
    )


def test_siret_of_la_poste_accepted():
    # La Poste's establishments do not follow the Luhn key: stdnum checks that their digits add up to a multiple of 5.
    assert validators.clean_siret("35600000049837") == "35600000049837"


# VAT numbers


def test_french_vat_number_normalised():
    assert validators.clean_vat_number("fr 44 732 829 320") == "FR44732829320"


def test_german_vat_number_accepted():
    assert validators.clean_vat_number("DE 136 695 976") == "DE136695976"


def test_greek_vat_number_uses_el_prefix():
    assert validators.clean_vat_number("EL094259216") == "EL094259216"


def test_french_vat_wrong_key_rejected():
    assert message_of(validators.clean_vat_number, "FR45732829320") == (
        "Le numéro de TVA « FR45732829320 » est invalide : sa clé de contrôle ne correspond pas, un caractère "
        "est probablement erroné. Vérifiez-le sur annuaire-entreprises.data.gouv.fr."
    )


def test_french_vat_too_short_rejected():
    assert message_of(validators.clean_vat_number, "FR4473282932") == (
        "Le numéro de TVA « FR4473282932 » est invalide : un numéro de TVA français est formé de « FR », "
        "d'une clé de 2 caractères et des 9 chiffres du SIREN. Vérifiez-le sur annuaire-entreprises.data.gouv.fr."
    )


def test_vat_without_country_prefix_rejected():
    assert message_of(validators.clean_vat_number, "732829320") == (
        "Le numéro de TVA « 732829320 » doit commencer par le code du pays, par exemple « FR » suivi "
        "de 11 caractères pour une entreprise française."
    )


def test_vat_outside_eu_rejected():
    assert message_of(validators.clean_vat_number, "GB980780684") == (
        "Le numéro de TVA « GB980780684 » commence par « GB », qui n'est pas le code d'un pays de "
        "l'Union européenne (la Grèce utilise « EL »). Saisissez un numéro de TVA intracommunautaire, ou "
        "laissez le champ vide si l'entreprise n'en a pas."
    )


def test_greek_vat_with_iso_prefix_rejected():
    assert message_of(validators.clean_vat_number, "GR094259216") == (
        "Le numéro de TVA « GR094259216 » commence par « GR », qui n'est pas le code d'un pays de "
        "l'Union européenne (la Grèce utilise « EL »). Saisissez un numéro de TVA intracommunautaire, ou "
        "laissez le champ vide si l'entreprise n'en a pas."
    )


def test_german_vat_wrong_key_rejected():
    assert message_of(validators.clean_vat_number, "DE136695977") == (
        "Le numéro de TVA « DE136695977 » est invalide : il ne respecte pas le format ou la clé de contrôle "
        "des numéros de TVA commençant par « DE ». Vérifiez-le auprès de l'entreprise ou sur le "
        "service VIES de la Commission européenne."
    )


# IBAN


def test_iban_grouped_lowercase_is_compacted():
    assert validators.clean_iban("fr76 3000 6000 0112 3456 7890 189") == "FR7630006000011234567890189"


def test_iban_wrong_check_digits_rejected():
    assert message_of(validators.clean_iban, "FR7630006000011234567890188") == (
        "L'IBAN « FR7630006000011234567890188 » est invalide : sa clé de contrôle ne correspond pas, un "
        "caractère est probablement mal recopié. Recopiez-le depuis le RIB."
    )


def test_iban_wrong_length_gives_expected():
    assert message_of(validators.clean_iban, "FR763000600001123456789018") == (
        "L'IBAN « FR763000600001123456789018 » est invalide : un IBAN commençant par « FR » compte 27 "
        "caractères et celui-ci en compte 26. Recopiez-le depuis le RIB."
    )


def test_iban_unknown_country_rejected():
    assert message_of(validators.clean_iban, "XX7630006000011234567890189") == (
        "L'IBAN « XX7630006000011234567890189 » est invalide : « XX » n'est pas un code de pays IBAN. Un IBAN "
        "commence par le code du pays suivi de 2 chiffres, par exemple « FR76 ». Recopiez-le depuis le RIB."
    )


def test_iban_wrong_rib_key_rejected():
    # The IBAN check digits are right, but the French RIB key (last 2 digits) is not.
    assert message_of(validators.clean_iban, "FR7030006000000001123456700") == (
        "L'IBAN « FR7030006000000001123456700 » est invalide : la clé du compte (la clé RIB pour un compte "
        "français) ne correspond pas au numéro de compte. Recopiez-le depuis le RIB."
    )


def test_iban_without_national_key_algorithm_accepted():
    # Luxembourg has no national key that schwifty checks: only the IBAN check digits are verified.
    assert validators.clean_iban("LU28 0019 4006 4475 0000") == "LU280019400644750000"


# BIC


def test_bic_lowercase_is_uppercased():
    assert validators.clean_bic(" agrifrpp ") == "AGRIFRPP"


def test_bic_wrong_length_rejected():
    assert message_of(validators.clean_bic, "AGRIFRP") == (
        "Le BIC « AGRIFRP » est invalide : il doit compter 8 ou 11 caractères et en compte 7. "
        "Recopiez-le depuis le RIB."
    )


def test_bic_unknown_country_rejected():
    assert message_of(validators.clean_bic, "AGRIXXPP") == (
        "Le BIC « AGRIXXPP » est invalide : « XX » (5e et 6e caractères) n'est pas un code de "
        "pays. Recopiez-le depuis le RIB."
    )


def test_bic_bad_characters_rejected():
    assert message_of(validators.clean_bic, "AGRI-FRP") == (
        "Le BIC « AGRI-FRP » est invalide : il se compose de 4 lettres pour la banque, 2 lettres pour le "
        "pays, 2 caractères pour la ville et parfois 3 caractères pour l'agence. Recopiez-le depuis le RIB."
    )


# Cross-checks


def test_siret_of_other_siren_rejected():
    assert message_of(validators.check_siret_matches_siren, "55210055400013", "732829320") == (
        "Le SIRET « 55210055400013 » ne commence pas par le SIREN « 732829320 » : un SIRET est formé du "
        "SIREN suivi des 5 chiffres du NIC. Corrigez l'un des deux numéros."
    )


def test_siret_of_same_siren_accepted():
    validators.check_siret_matches_siren("73282932000074", "732829320")


def test_french_vat_of_other_siren_rejected():
    assert message_of(validators.check_vat_number_matches_siren, "FR96552100554", "732829320") == (
        "Le numéro de TVA « FR96552100554 » ne correspond pas au SIREN « 732829320 » : un numéro de TVA "
        "français se termine par les 9 chiffres du SIREN. Corrigez l'un des deux numéros."
    )


def test_foreign_vat_not_compared_with_siren():
    validators.check_vat_number_matches_siren("DE136695976", "732829320")


def test_bic_of_iban_bank_accepted_with_branch():
    # Bank code 30006 is Crédit Agricole, AGRIFRPP in schwifty's registry.
    validators.check_bic_matches_iban("AGRIFRPPXXX", "FR7630006000011234567890189")


def test_bic_of_other_bank_rejected():
    assert message_of(validators.check_bic_matches_iban, "BNPAFRPP", "FR7630006000011234567890189") == (
        "Le BIC « BNPAFRPP » ne correspond pas à la banque de l'IBAN « FR7630006000011234567890189 », dont le "
        "BIC commence par AGRIFR. Recopiez le BIC et l'IBAN depuis le même RIB."
    )


def test_bic_of_other_country_rejected_when_bank_unknown():
    # schwifty's registry has no Monegasque bank codes, so only the countries are compared.
    assert message_of(validators.check_bic_matches_iban, "DEUTDEFF", "MC5811222000010123456789030") == (
        "Le BIC « DEUTDEFF » désigne une banque d'un autre pays (« DE ») que l'IBAN "
        "« MC5811222000010123456789030 » (« MC »). Recopiez le BIC et l'IBAN depuis le même RIB."
    )


def test_french_bic_accepted_for_monaco_iban():
    validators.check_bic_matches_iban("BNPAFRPP", "MC5811222000010123456789030")


# Payment terms


def test_payment_terms_of_60_days_accepted():
    validators.validate_payment_terms_days(60)


def test_payment_terms_over_60_days_cite_the_law():
    assert message_of(validators.validate_payment_terms_days, 61) == (
        "Un délai de paiement de 61 jours dépasse le maximum légal de 60 jours après la date "
        "d'émission de la facture (article L441-10 du Code de commerce). Indiquez 60 jours au plus."
    )
