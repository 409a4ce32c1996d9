"""The organisation profile page: owners edit it, members read it, the logo is checked by content."""

from __future__ import annotations

import html
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from ardoise.accounts.models import Organisation
from ardoise.audit.models import AuditEntry

PROFILE_URL = "/compte/entreprise/"
LOGO_URL = "/compte/entreprise/logo/"


def profile_data(organisation: Organisation, **changes) -> dict:
    """Return the profile form as the browser posts it, with ``changes`` applied."""
    data = {
        "name": organisation.name,
        "trading_name": organisation.trading_name,
        "legal_form": organisation.legal_form,
        "share_capital": str(organisation.share_capital or ""),
        "rcs_city": organisation.rcs_city,
        "address_line1": organisation.address_line1,
        "address_line2": organisation.address_line2,
        "postcode": organisation.postcode,
        "city": organisation.city,
        "country_code": organisation.country_code,
        "siren": organisation.siren,
        "siret": organisation.siret,
        "vat_number": organisation.vat_number,
        "email": organisation.email,
        "phone": organisation.phone,
        "website": organisation.website,
        "iban": organisation.iban,
        "bic": organisation.bic,
        "vat_regime": organisation.vat_regime,
        "payment_terms_days": str(organisation.payment_terms_days),
        "payment_terms_kind": organisation.payment_terms_kind,
        # The model defaults are lazy translations, which the test client would post as lists of characters.
        "late_penalty_text": str(organisation.late_penalty_text),
        "early_payment_text": str(organisation.early_payment_text),
    }
    if organisation.vat_on_debits:
        data["vat_on_debits"] = "on"
    data.update(changes)
    return data


def image_file(name: str, image_format: str, size: tuple[int, int] = (120, 40)) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, (44, 92, 197)).save(buffer, format=image_format)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type=f"image/{image_format.lower()}")


def page_text(response) -> str:
    """Return the page with HTML entities decoded, as the user reads it."""
    return html.unescape(response.text)


def form_errors(response, field: str) -> list[str]:
    return response.context["form"].errors.get(field, [])


def test_profile_url_name():
    assert reverse("accounts:organisation") == PROFILE_URL
    assert reverse("accounts:organisation_logo") == LOGO_URL


# Editing as an owner


@pytest.mark.django_db
def test_owner_sees_editable_form(owner_client):
    response = owner_client.get(PROFILE_URL)

    assert response.status_code == 200
    assert 'name="siren"' in page_text(response)
    assert 'value="FR76 3000 6000 0112 3456 7890 189"' in page_text(response)
    assert 'value="10000,00"' in page_text(response)


@pytest.mark.django_db
def test_owner_updates_profile(owner_client, organisation):
    data = profile_data(organisation, name="Atelier Dupont et Fils SARL", share_capital="15 000,50")

    response = owner_client.post(PROFILE_URL, data, follow=True)

    organisation.refresh_from_db()
    assert response.redirect_chain == [(PROFILE_URL, 302)]
    assert organisation.name == "Atelier Dupont et Fils SARL"
    assert organisation.share_capital == Decimal("15000.50")
    assert "Les informations de l'entreprise ont été enregistrées." in page_text(response)


@pytest.mark.django_db
def test_profile_update_is_audited(owner_client, owner, organisation):
    owner_client.post(PROFILE_URL, profile_data(organisation, phone="04 78 11 22 33"))

    entry = AuditEntry.objects.get(action="organisation.updated")
    assert entry.organisation == organisation
    assert entry.user == owner
    assert entry.object_id == str(organisation.pk)
    assert entry.data == {"changes": {"phone": ["04 78 00 00 00", "04 78 11 22 33"]}}


@pytest.mark.django_db
def test_unchanged_profile_records_nothing(owner_client, organisation):
    response = owner_client.post(PROFILE_URL, profile_data(organisation), follow=True)

    assert "Aucune modification à enregistrer." in page_text(response)
    assert not AuditEntry.objects.filter(action="organisation.updated").exists()


@pytest.mark.django_db
def test_identifiers_stored_compact(owner_client, organisation):
    data = profile_data(
        organisation,
        siren="732 829 320",
        siret="732 829 320 00074",
        vat_number="fr 44 732829320",
        iban="fr76 3000 6000 0112 3456 7890 189",
        bic="agrifrpp",
    )

    owner_client.post(PROFILE_URL, data)

    organisation.refresh_from_db()
    assert organisation.siren == "732829320"
    assert organisation.siret == "73282932000074"
    assert organisation.vat_number == "FR44732829320"
    assert organisation.iban == "FR7630006000011234567890189"
    assert organisation.bic == "AGRIFRPP"


@pytest.mark.django_db
def test_siren_filled_from_siret(owner_client, organisation):
    owner_client.post(PROFILE_URL, profile_data(organisation, siren=""))

    organisation.refresh_from_db()
    assert organisation.siren == "732829320"


@pytest.mark.django_db
def test_invalid_siren_rerenders_form(owner_client, organisation):
    response = owner_client.post(PROFILE_URL, profile_data(organisation, siren="123456789"))

    organisation.refresh_from_db()
    assert response.status_code == 200
    assert form_errors(response, "siren") == [
        "Le SIREN « 123456789 » est invalide : sa clé de contrôle ne correspond pas, un chiffre est "
        "probablement erroné. Vérifiez-le sur l'extrait Kbis ou sur annuaire-entreprises.data.gouv.fr."
    ]
    assert "Les informations n'ont pas été enregistrées" in page_text(response)
    assert organisation.siren == "732829320"


@pytest.mark.django_db
def test_siret_of_other_company_rejected(owner_client, organisation):
    response = owner_client.post(PROFILE_URL, profile_data(organisation, siret="55210055400013"))

    assert form_errors(response, "siret") == [
        "Le SIRET « 55210055400013 » ne commence pas par le SIREN « 732829320 » : un SIRET est formé du "
        "SIREN suivi des 5 chiffres du NIC. Corrigez l'un des deux numéros."
    ]


@pytest.mark.django_db
def test_vat_number_of_other_company_rejected(owner_client, organisation):
    response = owner_client.post(PROFILE_URL, profile_data(organisation, vat_number="FR96552100554"))

    assert form_errors(response, "vat_number") == [
        "Le numéro de TVA « FR96552100554 » ne correspond pas au SIREN « 732829320 » : un numéro de TVA "
        "français se termine par les 9 chiffres du SIREN. Corrigez l'un des deux numéros."
    ]


@pytest.mark.django_db
def test_bic_of_other_bank_rejected(owner_client, organisation):
    response = owner_client.post(PROFILE_URL, profile_data(organisation, bic="BNPAFRPP"))

    assert form_errors(response, "bic") == [
        "Le BIC « BNPAFRPP » ne correspond pas à la banque de l'IBAN « FR7630006000011234567890189 », dont le "
        "BIC commence par AGRIFR. Recopiez le BIC et l'IBAN depuis le même RIB."
    ]


@pytest.mark.django_db
def test_payment_terms_over_60_days_rejected(owner_client, organisation):
    response = owner_client.post(PROFILE_URL, profile_data(organisation, payment_terms_days="90"))

    organisation.refresh_from_db()
    assert form_errors(response, "payment_terms_days") == [
        "Un délai de paiement de 90 jours dépasse le maximum légal de 60 jours après la date "
        "d'émission de la facture (article L441-10 du Code de commerce). Indiquez 60 jours au plus."
    ]
    assert organisation.payment_terms_days == 30


@pytest.mark.django_db
def test_share_capital_not_a_number_rejected(owner_client, organisation):
    response = owner_client.post(PROFILE_URL, profile_data(organisation, share_capital="dix mille"))

    assert form_errors(response, "share_capital") == [
        "« dix mille » n'est pas un nombre valide. Saisissez par exemple 1250 ou 12,50."
    ]


@pytest.mark.django_db
def test_incomplete_profile_lists_missing_fields(owner_client, organisation):
    Organisation.objects.filter(pk=organisation.pk).update(siren="", city="")

    response = owner_client.get(PROFILE_URL)

    assert "Pour émettre une facture, complétez d'abord : ville, SIREN." in page_text(response)


# Members and other organisations


@pytest.mark.django_db
def test_member_sees_read_only_profile(client, member):
    client.force_login(member)

    response = client.get(PROFILE_URL)

    assert response.status_code == 200
    assert "Seuls les propriétaires de l'entreprise peuvent modifier ces informations." in page_text(response)
    assert 'name="siren"' not in page_text(response)
    assert "FR76 3000 6000 0112 3456 7890 189" in page_text(response)
    assert "10\u202f000,00\u00a0€" in page_text(response)


@pytest.mark.django_db
def test_member_cannot_post_profile(client, member, organisation):
    client.force_login(member)

    response = client.post(PROFILE_URL, profile_data(organisation, name="Piraté SARL"))

    organisation.refresh_from_db()
    assert response.status_code == 403
    assert organisation.name == "Atelier Dupont SARL"
    assert not AuditEntry.objects.exists()


@pytest.mark.django_db
def test_outsider_sees_own_organisation(outsider_client):
    response = outsider_client.get(PROFILE_URL)

    assert "Concurrent SAS" in page_text(response)
    assert "Atelier Dupont SARL" not in page_text(response)


@pytest.mark.django_db
def test_user_without_organisation_gets_404(client, django_user_model):
    user = django_user_model.objects.create_user(username="solo@example.fr", email="solo@example.fr", password="x")
    client.force_login(user)

    assert client.get(PROFILE_URL).status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("url", [PROFILE_URL, LOGO_URL])
def test_anonymous_redirected_to_login(client, url):
    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"] == f"/compte/connexion/?next={url}"


# Logo


@pytest.mark.django_db
def test_png_logo_uploaded_and_served(owner_client, organisation):
    upload = image_file("logo.png", "PNG")

    owner_client.post(PROFILE_URL, profile_data(organisation, logo_file=upload))
    response = owner_client.get(LOGO_URL)

    organisation.refresh_from_db()
    assert organisation.logo_content_type == "image/png"
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response.content == bytes(organisation.logo)
    assert response.content.startswith(b"\x89PNG")


@pytest.mark.django_db
def test_jpeg_logo_accepted_by_content(owner_client, organisation):
    # The name says PNG, the content is JPEG: the content wins.
    upload = image_file("logo.png", "JPEG")

    owner_client.post(PROFILE_URL, profile_data(organisation, logo_file=upload))

    organisation.refresh_from_db()
    assert organisation.logo_content_type == "image/jpeg"


@pytest.mark.django_db
def test_logo_shown_on_profile(owner_client, organisation):
    owner_client.post(PROFILE_URL, profile_data(organisation, logo_file=image_file("logo.png", "PNG")))

    response = owner_client.get(PROFILE_URL)

    assert 'src="/compte/entreprise/logo/?v=' in page_text(response)
    assert 'alt="Logo de Atelier Dupont SARL"' in page_text(response)


@pytest.mark.django_db
def test_logo_too_large_rejected(owner_client, organisation):
    upload = SimpleUploadedFile("grand-logo.png", b"\x89PNG" + b"\0" * 1_300_000, content_type="image/png")

    response = owner_client.post(PROFILE_URL, profile_data(organisation, logo_file=upload))

    organisation.refresh_from_db()
    assert form_errors(response, "logo_file") == [
        "Le fichier « grand-logo.png » pèse 1,2\u00a0Mio : un logo ne doit pas dépasser 1,0\u00a0Mio. "
        "Réduisez l'image (une largeur de 1000 pixels suffit pour une facture) et réessayez."
    ]
    assert organisation.logo is None


@pytest.mark.django_db
def test_logo_limit_follows_setting(owner_client, organisation, settings):
    settings.ARDOISE_LOGO_MAX_BYTES = 100
    upload = image_file("logo.png", "PNG", size=(300, 300))

    response = owner_client.post(PROFILE_URL, profile_data(organisation, logo_file=upload))

    assert form_errors(response, "logo_file")[0].startswith("Le fichier « logo.png » pèse ")
    assert "un logo ne doit pas dépasser 100\u00a0octets." in form_errors(response, "logo_file")[0]


@pytest.mark.django_db
def test_text_file_rejected_as_logo(owner_client, organisation):
    upload = SimpleUploadedFile("logo.png", b"Ceci n'est pas une image.", content_type="image/png")

    response = owner_client.post(PROFILE_URL, profile_data(organisation, logo_file=upload))

    assert form_errors(response, "logo_file") == [
        "Le fichier « logo.png » n'est pas une image PNG ou JPEG lisible. "
        "Enregistrez votre logo en PNG (recommandé) ou en JPEG et réessayez."
    ]


@pytest.mark.django_db
def test_svg_rejected_as_logo(owner_client, organisation):
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>'
    upload = SimpleUploadedFile("logo.svg", svg, content_type="image/svg+xml")

    response = owner_client.post(PROFILE_URL, profile_data(organisation, logo_file=upload))

    organisation.refresh_from_db()
    assert form_errors(response, "logo_file") == [
        "Le fichier « logo.svg » n'est pas une image PNG ou JPEG lisible. "
        "Enregistrez votre logo en PNG (recommandé) ou en JPEG et réessayez."
    ]
    assert organisation.logo is None


@pytest.mark.django_db
def test_gif_rejected_with_its_format(owner_client, organisation):
    response = owner_client.post(PROFILE_URL, profile_data(organisation, logo_file=image_file("logo.gif", "GIF")))

    assert form_errors(response, "logo_file") == [
        "Le fichier « logo.gif » est une image GIF : seuls les formats PNG et JPEG sont acceptés. "
        "Enregistrez votre logo en PNG (recommandé) ou en JPEG et réessayez."
    ]


@pytest.mark.django_db
def test_huge_image_rejected(owner_client, organisation):
    upload = image_file("logo.png", "PNG", size=(6000, 10))

    response = owner_client.post(PROFILE_URL, profile_data(organisation, logo_file=upload))

    assert form_errors(response, "logo_file") == [
        "L'image « logo.png » mesure 6000 × 10 pixels : un logo ne doit pas dépasser "
        "5000 pixels de côté. Réduisez-la et réessayez."
    ]


@pytest.mark.django_db
def test_logo_removed(owner_client, organisation):
    owner_client.post(PROFILE_URL, profile_data(organisation, logo_file=image_file("logo.png", "PNG")))

    owner_client.post(PROFILE_URL, profile_data(organisation, remove_logo="on"))

    organisation.refresh_from_db()
    assert organisation.logo is None
    assert organisation.logo_content_type == ""
    assert owner_client.get(LOGO_URL).status_code == 404


@pytest.mark.django_db
def test_missing_logo_answers_404(owner_client):
    assert owner_client.get(LOGO_URL).status_code == 404


@pytest.mark.django_db
def test_outsider_never_gets_other_logo(outsider_client, organisation):
    Organisation.objects.filter(pk=organisation.pk).update(logo=b"\x89PNG-secret", logo_content_type="image/png")

    response = outsider_client.get(LOGO_URL)

    assert response.status_code == 404


@pytest.mark.django_db
def test_member_sees_logo(client, member, organisation):
    Organisation.objects.filter(pk=organisation.pk).update(logo=b"\xff\xd8\xff-logo", logo_content_type="image/jpeg")
    client.force_login(member)

    response = client.get(LOGO_URL)

    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response.content == b"\xff\xd8\xff-logo"


@pytest.mark.django_db
def test_organisation_postcode_needs_five_digits(owner_client, organisation):
    response = owner_client.post(PROFILE_URL, profile_data(organisation, postcode="690033"))

    assert response.context["form"].errors["postcode"] == [
        "Le code postal « 690033 » est invalide : un code postal français compte 5 chiffres, par exemple 69003. "
        "Pour une adresse à l'étranger, choisissez d'abord le pays."
    ]
    organisation.refresh_from_db()
    assert organisation.postcode == "69003"
