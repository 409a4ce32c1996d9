import pytest
from django.core.exceptions import ValidationError

from ardoise.mailing.placeholders import AMOUNT, CUSTOMER, DAYS_LATE, NUMBER, parse, render, validate

ALLOWED = [CUSTOMER, NUMBER, AMOUNT]


def test_render_replaces_placeholders():
    text = "Bonjour {client}, facture {numero} de {montant}."
    values = {"client": "Épicerie Martin", "numero": "F-2026-0001", "montant": "120,00\u00a0€"}

    assert render(text, values) == "Bonjour Épicerie Martin, facture F-2026-0001 de 120,00\u00a0€."


def test_render_ignores_spaces_in_braces():
    assert render("Facture { numero }", {"numero": "F-1"}) == "Facture F-1"


def test_render_keeps_doubled_braces():
    validate("Code {{promo}} pour {client}", ALLOWED)

    assert render("Code {{promo}} pour {client}", {"client": "Claire"}) == "Code {promo} pour Claire"


def test_render_inserts_values_as_text():
    values = {"client": "<script>alert(1)</script> {numero}", "numero": "F-1"}

    assert render("{client}", values) == "<script>alert(1)</script> {numero}"


def test_validate_names_unknown_placeholder():
    with pytest.raises(ValidationError) as error:
        validate("Retard de {jours_de_retard} jours", ALLOWED)

    message = error.value.messages[0]
    assert "{jours_de_retard}" in message
    assert "{client}, {numero}, {montant}" in message


def test_validate_accepts_names_the_kind_allows():
    validate("Retard de {jours_de_retard} jours", [*ALLOWED, DAYS_LATE])


@pytest.mark.parametrize("text", ["Facture {numero", "Facture numero}", "Prix { en euros"])
def test_validate_rejects_lone_brace(text):
    with pytest.raises(ValidationError) as error:
        validate(text, ALLOWED)

    assert "position" in error.value.messages[0]
    assert error.value.code == "brace"


@pytest.mark.parametrize("token", ["{Numéro}", "{le numero}", "{}"])
def test_validate_rejects_malformed_name(token):
    with pytest.raises(ValidationError) as error:
        validate("Facture " + token, ALLOWED)

    assert token in error.value.messages[0]
    assert "{numero}" in error.value.messages[0]


def test_parse_returns_positions_in_order():
    assert parse("{client} et {numero}") == [(0, "client"), (12, "numero")]
