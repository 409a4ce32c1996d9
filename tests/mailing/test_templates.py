"""E-mail templates: the editor, its preview, its checks, and the e-mails written from a template."""

from __future__ import annotations

import datetime
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from ardoise.audit.models import AuditEntry
from ardoise.mailing.models import EmailTemplate
from ardoise.mailing.templating import INVOICE, compose_invoice_email, invoice_attachment_name

pytestmark = pytest.mark.django_db

NBSP = "\u00a0"
NNBSP = "\u202f"
EDIT_URL = reverse("mailing:template_edit", args=["invoice"])


def form_data(**overrides):
    data = {
        "subject": "Votre facture {numero} – {organisation}",
        "body": "Bonjour {client},\n\nMontant : {montant}, reste à payer {reste_a_payer} avant le {echeance}.",
        "attachment_name": "Facture n° {numero}.pdf",
        "preview_on": "exemple",
        "action": "preview",
    }
    data.update(overrides)
    return data


def test_list_shows_every_kind_with_default(owner_client):
    response = owner_client.get(reverse("mailing:templates"))

    assert response.status_code == 200
    for label in ("Facture", "Avoir", "Relevé de compte", "Devis", "Facture pro forma"):
        assert label in response.text
    assert response.text.count("Message par défaut") == 5


def test_editor_starts_from_default_wording(owner_client):
    response = owner_client.get(EDIT_URL)

    assert response.status_code == 200
    assert "Facture {numero} – {organisation}</textarea>" not in response.text
    assert 'value="Facture {numero} – {organisation}"' in response.text
    assert "à régler au plus tard le {echeance}." in response.text
    assert "voir comment la régler en ligne : {lien}" in response.text


def test_preview_on_sample_does_not_save(owner_client, organisation):
    response = owner_client.post(EDIT_URL, form_data())

    assert response.status_code == 200
    assert re.fullmatch(r"Votre facture F-\d{4}-0042 – Atelier Dupont SARL", response.context["preview"].subject)
    assert "Bonjour Boulangerie Martin SAS," in response.context["preview"].body
    assert "Montant : 1%s234,56%s€" % (NNBSP, NBSP) in response.context["preview"].body
    assert not EmailTemplate.objects.exists()


def test_preview_on_real_invoice(owner_client, issued_invoice):
    response = owner_client.post(EDIT_URL, form_data(preview_on=str(issued_invoice.pk)))

    preview = response.context["preview"]
    assert preview.subject == "Votre facture F-2026-0001 – Atelier Dupont SARL"
    assert preview.attachment_name == "Facture n° F-2026-0001.pdf"
    assert preview.body == (
        "Bonjour Boulangerie Martin SAS,\n\nMontant : 1%(s)s065,00%(n)s€, reste à payer 1%(s)s065,00%(n)s€ "
        "avant le 03/01/2027." % {"s": NNBSP, "n": NBSP}
    )


def test_preview_refuses_other_organisation_invoice(outsider_client, issued_invoice):
    response = outsider_client.post(EDIT_URL, form_data(preview_on=str(issued_invoice.pk)))

    assert response.status_code == 400
    assert response.context["preview"] is None
    assert "F-2026-0001" not in response.text


def test_unknown_placeholder_refused_in_french(owner_client):
    response = owner_client.post(EDIT_URL, form_data(body="Bonjour {remise}", action="save"))

    assert response.status_code == 400
    assert "La variable {remise} n&#x27;existe pas pour ce modèle." in response.text
    assert not EmailTemplate.objects.exists()


def test_attachment_name_must_be_pdf_file_name(owner_client):
    response = owner_client.post(EDIT_URL, form_data(attachment_name="Factures/{numero}.pdf", action="save"))

    assert response.status_code == 400
    assert "contient un caractère interdit dans un nom de fichier" in response.text
    response = owner_client.post(EDIT_URL, form_data(attachment_name="Facture-{numero}", action="save"))
    assert "doit se terminer par .pdf" in response.text


def test_owner_saves_and_sending_uses_template(owner_client, issued_invoice):
    response = owner_client.post(EDIT_URL, form_data(action="save"))

    template = EmailTemplate.objects.get()
    composed = compose_invoice_email(issued_invoice)
    assert response.status_code == 302
    assert template.kind == "invoice"
    assert composed.subject == "Votre facture F-2026-0001 – Atelier Dupont SARL"
    assert composed.body.startswith("Bonjour Boulangerie Martin SAS,")
    assert invoice_attachment_name(issued_invoice) == "Facture n° F-2026-0001.pdf"
    assert AuditEntry.objects.filter(action="email.template_updated").count() == 1


def test_member_can_preview_but_not_save(member_client):
    assert member_client.post(EDIT_URL, form_data()).status_code == 200

    response = member_client.post(EDIT_URL, form_data(action="save"))

    assert response.status_code == 403
    assert not EmailTemplate.objects.exists()


def test_reset_returns_to_default_message(owner_client, issued_invoice, organisation):
    EmailTemplate.objects.create(
        organisation=organisation, kind=INVOICE.name, subject="X {numero}", body="Y", attachment_name="Z.pdf"
    )

    owner_client.post(reverse("mailing:template_reset", args=["invoice"]))

    assert not EmailTemplate.objects.exists()
    assert compose_invoice_email(issued_invoice).subject == "Facture F-2026-0001 – Atelier Dupont SARL"
    assert AuditEntry.objects.filter(action="email.template_reset").count() == 1


def test_other_organisation_template_not_used(issued_invoice, other_organisation):
    EmailTemplate.objects.create(
        organisation=other_organisation, kind=INVOICE.name, subject="X", body="Y", attachment_name="Z.pdf"
    )

    assert compose_invoice_email(issued_invoice).subject == "Facture F-2026-0001 – Atelier Dupont SARL"


def test_unknown_kind_is_not_found(owner_client):
    assert owner_client.get(reverse("mailing:template_edit", args=["devis"])).status_code == 404


def test_outsider_saves_only_own_template(outsider_client, organisation, other_organisation):
    EmailTemplate.objects.create(
        organisation=organisation, kind=INVOICE.name, subject="Le mien {numero}", body="B", attachment_name="A.pdf"
    )

    outsider_client.post(EDIT_URL, form_data(action="save"))
    outsider_client.post(reverse("mailing:template_reset", args=["invoice"]))

    assert EmailTemplate.objects.get(organisation=organisation).subject == "Le mien {numero}"
    assert not EmailTemplate.objects.filter(organisation=other_organisation).exists()


def test_statement_preview_covers_this_month(owner_client, customer):
    data = form_data(
        subject="Relevé du {debut} au {fin}",
        body="Solde : {solde}",
        attachment_name="Relevé {client}.pdf",
        preview_on=str(customer.pk),
    )

    with time_machine.travel(datetime.datetime(2026, 12, 10, 10, tzinfo=ZoneInfo("Europe/Paris")), tick=False):
        response = owner_client.post(reverse("mailing:template_edit", args=["statement"]), data)

    preview = response.context["preview"]
    assert preview.subject == "Relevé du 01/12/2026 au 10/12/2026"
    assert preview.body == "Solde : 0,00%s€" % NBSP
