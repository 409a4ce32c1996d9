"""``ardoise quote``: create from JSON, issue, accept, list and send."""

from __future__ import annotations

import json
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from ardoise.quotes.models import Quote, QuoteStatus

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue().strip()


def write(tmp_path: Path, description: object) -> str:
    path = tmp_path / "devis.json"
    path.write_text(json.dumps(description, ensure_ascii=False), encoding="utf-8")
    return str(path)


def failure(*args: str) -> CommandError:
    with pytest.raises(CommandError) as raised:
        run(*args)
    return raised.value


def valid_description(customer) -> dict:
    return {
        "customer": {"siren": customer.siren},
        "validity_date": "2027-01-15",
        "conditions": "Acompte de 30 % à la commande.",
        "discount": {"percent": 10, "reason": "Remise fidélité"},
        "lines": [
            {"product": "Développement web", "quantity": "12.5"},
            {
                "name": "Livre « Lumière »",
                "quantity": 3,
                "unit": "H87",
                "unit_price": "28.436",
                "vat_rate": 5.5,
                "nature": "goods",
            },
        ],
    }


@pytest.mark.usefixtures("december_2026")
def test_create_issue_accept(tmp_path, customer, product, settings):
    quote_id = run("quote", "create", write(tmp_path, valid_description(customer)))
    quote = Quote.objects.get(pk=int(quote_id))

    assert quote.is_draft
    assert quote.discount_reason == "Remise fidélité"
    assert [line.name for line in quote.lines.all()] == ["Développement web", "Livre « Lumière »"]
    assert quote.lines.get(position=1).product == product

    number = run("quote", "issue", quote_id)
    assert number.startswith("D-")

    accepted = run("quote", "accept", number, "--name", "Jeanne Martin", "--date", "2026-12-10")
    quote.refresh_from_db()
    assert accepted == "Devis %s accepté le 10/12/2026." % number
    assert quote.status == QuoteStatus.ACCEPTED
    assert quote.accepted_by_name == "Jeanne Martin"


def test_create_customer_by_id_and_name(tmp_path, customer):
    for reference in ({"id": customer.pk}, {"name": customer.name.upper()}, customer.name):
        description = {"customer": reference, "lines": [{"name": "Audit", "unit_price": 500}]}
        quote_id = run("quote", "create", write(tmp_path, description))
        assert Quote.objects.get(pk=int(quote_id)).customer == customer


def test_create_proforma(tmp_path, customer):
    description = {"kind": "proforma", "customer": customer.pk, "lines": [{"name": "Matériel", "unit_price": 900}]}
    quote_id = run("quote", "create", write(tmp_path, description))

    assert run("quote", "issue", quote_id).startswith("PF-")


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"customer": None}, "customer : le client est manquant"),
        ({"customer": {"siren": "999999999"}}, "aucun client avec siren « 999999999 »"),
        ({"lines": [{"name": "Audit", "unit_price": 500, "vat_rate": 19.6}]}, "19.6 n'est pas un taux de TVA français"),
        ({"lines": [{"name": "Audit", "unit_price": 500, "quantity": -2}]}, "la quantité -2 doit être positive"),
        ({"lines": [{"name": "Audit", "unit_price": "douze"}]}, "« douze » n'est pas un nombre"),
        ({"lines": [{"name": "Audit"}]}, "le prix unitaire HT (unit_price) est manquant"),
        ({"lines": [{"unit_price": 5}]}, "la désignation (name) est manquante"),
        ({"lines": [{"product": "Inconnu"}]}, "aucun article actif « Inconnu »"),
        ({"lines": [{"name": "Audit", "unit_price": 5, "unit": "XXX"}]}, "« XXX » n'est pas un code d'unité"),
        ({"lines": []}, "lines : indiquez au moins une ligne"),
        ({"discount": {"percent": 120}}, "discount.percent : 120 est trop grand"),
        ({"validity_date": "15/01/2027"}, "« 15/01/2027 » n'est pas une date au format AAAA-MM-JJ"),
        ({"kind": "invoice"}, "« invoice » n'est pas un type de document"),
        ({"colour": "bleu"}, "Champ inconnu « colour »"),
    ],
)
def test_create_rejects_bad_description(tmp_path, customer, product, change, expected):
    description = valid_description(customer) | change

    error = failure("quote", "create", write(tmp_path, description))

    assert expected in str(error)
    assert error.returncode == 2
    assert not Quote.objects.exists()


def test_create_lists_every_problem(tmp_path, customer):
    description = {
        "lines": [{"name": "A", "unit_price": 5, "vat_rate": 7}, {"name": "B", "unit_price": 5, "quantity": 0}]
    }

    message = str(failure("quote", "create", write(tmp_path, description)))

    assert "customer : le client est manquant" in message
    assert "lines n° 1, vat_rate : 7 n'est pas un taux" in message
    assert "lines n° 2, quantity : la quantité 0 doit être positive" in message


def test_create_rejects_invalid_json(tmp_path, customer):
    path = tmp_path / "devis.json"
    path.write_text('{"customer": 1,', encoding="utf-8")

    error = failure("quote", "create", str(path))

    assert "n'est pas un JSON valide (ligne 1" in str(error)
    assert error.returncode == 2


def test_create_missing_file(tmp_path, organisation):
    error = failure("quote", "create", str(tmp_path / "absent.json"))

    assert "absent.json » est introuvable" in str(error)
    assert error.returncode == 2


def test_issue_reports_what_to_fix(tmp_path, customer, organisation):
    organisation.siren = ""
    organisation.save()
    quote_id = run(
        "quote", "create", write(tmp_path, {"customer": customer.pk, "lines": [{"name": "A", "unit_price": 5}]})
    )

    error = failure("quote", "issue", quote_id)

    assert "Le devis ne peut pas encore être émis." in str(error)
    assert "SIREN" in str(error)


def test_accept_unknown_number(organisation):
    error = failure("quote", "accept", "D-2099-0001")

    assert "Aucun devis émis n° « D-2099-0001 »" in str(error)
    assert error.returncode == 2


def test_accept_bad_date(issued_quote):
    error = failure("quote", "accept", issued_quote.number, "--date", "le 10 décembre")

    assert "--date : date « le 10 décembre » invalide, écrivez-la AAAA-MM-JJ ou JJ/MM/AAAA" in str(error)


def test_list_by_status(issued_quote, draft_quote):
    listing = run("quote", "list", "--status", "issued")

    assert issued_quote.number in listing
    assert "Émis" in listing
    assert "brouillon" not in listing


def test_send_through_smtp(issued_quote, smtp_settings):
    output = run("quote", "send", issued_quote.number)

    issued_quote.refresh_from_db()
    assert output == "Devis D-2026-0001 envoyé à compta@boulangerie-martin.fr."
    assert issued_quote.status == QuoteStatus.SENT
    assert len(smtp_settings.messages) == 1
    assert smtp_settings.messages[0].rcpt_tos == ["compta@boulangerie-martin.fr"]
    assert b"Devis-D-2026-0001.pdf" in smtp_settings.messages[0].content


def test_ardoise_quote_exit_code():
    ardoise = Path(sys.executable).parent / "ardoise"
    result = subprocess.run([str(ardoise), "quote", "issue", "D-1"], capture_output=True, text=True, timeout=60)

    assert result.returncode == 2
    assert "ID doit être un nombre entier" in result.stderr
