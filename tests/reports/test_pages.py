"""Report pages: filters, totals, exports, French errors, and nothing from another organisation."""

from __future__ import annotations

import datetime
import html
import io
import re
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse

from ardoise.customers.models import Customer
from ardoise.invoicing.models import Invoice

pytestmark = pytest.mark.django_db

NBSP = "\u00a0"
NNBSP = "\u202f"

REPORT_URLS = ["outstanding", "aging", "revenue", "receipts", "dso", "vat", "statement"]


def text_of(response) -> str:
    # Only ASCII spaces collapse: amounts keep their no-break spaces.
    return re.sub(r"[ \t\r\n]+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def test_navigation_links_reports(owner_client, autumn, today):
    response = owner_client.get(reverse("dashboard:home"))

    assert '<a href="/rapports/"' in response.content.decode()


def test_index_lists_every_report(owner_client, today):
    response = owner_client.get(reverse("reports:index"))

    for name in REPORT_URLS:
        assert reverse("reports:" + name) in response.content.decode()


@pytest.mark.parametrize("name", REPORT_URLS)
def test_every_report_page_renders_without_inline_style(owner_client, autumn, today, name):
    response = owner_client.get(reverse("reports:" + name), {"client": autumn.martin.pk})

    assert response.status_code == 200
    # The CSP forbids inline styles: a style attribute would be ignored by the browser.
    assert "style=" not in response.content.decode()


def test_aging_page_shows_buckets_and_total(owner_client, autumn, today):
    response = owner_client.get(reverse("reports:aging"))

    text = text_of(response)
    assert "Balance âgée au 10/12/2026" in text
    assert "Claire Petit 0,00%s€ 0,00%s€ 0,00%s€ 0,00%s€ 480,00%s€" % ((NBSP,) * 5) in text
    assert "Total 0,00%s€ 0,00%s€ 670,00%s€ 0,00%s€ 480,00%s€ 1%s150,00%s€" % (*(NBSP,) * 5, NNBSP, NBSP) in text


def test_aging_page_as_of_past_date(owner_client, autumn, today):
    response = owner_client.get(reverse("reports:aging"), {"date": "2026-10-10"})

    assert "Balance âgée au 10/10/2026" in text_of(response)
    assert "2%s610,00%s€" % (NNBSP, NBSP) in text_of(response)


def test_outstanding_for_one_customer_lists_open_invoices(owner_client, autumn, today):
    response = owner_client.get(reverse("reports:outstanding"), {"client": autumn.martin.pk})

    text = text_of(response)
    assert "Factures ouvertes" in text
    assert autumn.f2.number in text
    assert "Claire Petit" not in text.split("Tous les clients")[1].split("Afficher")[1]


def test_vat_page_defaults_to_last_month(owner_client, autumn, today):
    response = owner_client.get(reverse("reports:vat"))

    assert "TVA collectée du 01/11/2026 au 30/11/2026" in text_of(response)


def test_revenue_page_by_product(owner_client, autumn, today):
    response = owner_client.get(reverse("reports:revenue"), {"periode": "annee", "regroupement": "produit"})

    text = text_of(response)
    assert "Sans article (lignes libres)" in text
    assert "Développement web" in text


def test_aging_csv_export(owner_client, autumn, today):
    response = owner_client.get(reverse("reports:aging"), {"format": "csv"})

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="balance-agee-2026-12-10.csv"' in response["Content-Disposition"]
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("Client;Non échu;1 à 30 jours")
    assert "Claire Petit;0,00;0,00;0,00;0,00;480,00;480,00;0,00;0,00;480,00" in lines
    assert lines[-1] == "Total;0,00;0,00;670,00;0,00;480,00;1150,00;0,00;230,00;920,00"


def test_csv_export_neutralises_customer_name(owner_client, autumn, today):
    Customer.objects.filter(pk=autumn.petit.pk).update(name='=HYPERLINK("http://exemple.test","x")')

    response = owner_client.get(reverse("reports:aging"), {"format": "csv"})

    assert '\r\n"\'=HYPERLINK(""http://exemple.test"",""x"")";' in response.content.decode("utf-8-sig")


def test_table_cells_print_markup_as_text(owner_client, autumn, today):
    Customer.objects.filter(pk=autumn.petit.pk).update(name="<b>Petit & fils</b>")

    page = owner_client.get(reverse("reports:aging")).content.decode()

    link = reverse("customers:detail", args=[autumn.petit.pk])
    assert '<th scope="row"><a href="%s">&lt;b&gt;Petit &amp; fils&lt;/b&gt;</a></th>' % link in page
    assert "<b>Petit" not in page


def test_revenue_xlsx_export_has_numbers(owner_client, autumn, today):
    response = owner_client.get(reverse("reports:revenue"), {"du": "2026-10-01", "au": "2026-12-31", "format": "xlsx"})

    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("Période", "Documents", "Facturé HT")
    assert rows[1][0] == "octobre 2026"
    assert rows[1][2] == pytest.approx(1300.00)
    assert rows[-1][0] == "Total"
    assert Decimal(str(rows[-1][4])) == Decimal("3266.56")


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"du": "2026-13-01", "au": "2026-12-31"}, "La date « 2026-13-01 » n'existe pas dans le calendrier"),
        ({"du": "13-2026-01", "au": "2026-12-31"}, "La date « 13-2026-01 » n'est pas valide"),
        ({"du": "2026-12-31", "au": "2026-01-01"}, "La fin de la période (01/01/2026) précède son début (31/12/2026)"),
        ({"du": "2026-01-01"}, "Indiquez les deux dates de la période"),
        ({"du": "2026-01-01", "au": "2062-01-01"}, "La période dépasse 10 ans"),
    ],
)
def test_bad_period_is_explained_in_french(owner_client, autumn, today, query, message):
    response = owner_client.get(reverse("reports:revenue"), query)

    assert response.status_code == 400
    assert message in text_of(response).replace("&#x27;", "'")


def test_bad_as_of_date_is_explained(owner_client, autumn, today):
    response = owner_client.get(reverse("reports:aging"), {"date": "le 31 février"})

    assert response.status_code == 400
    assert "La date « le 31 février » n&#x27;est pas valide" in response.content.decode()


@pytest.mark.parametrize("raw", ["31/02/2026", "2026-02-31", "29/02/2027"])
def test_day_not_in_calendar_is_explained(owner_client, autumn, today, raw):
    response = owner_client.get(reverse("reports:aging"), {"date": raw})

    assert response.status_code == 400
    assert "La date « %s » n&#x27;existe pas dans le calendrier : vérifiez le jour et le mois." % raw in (
        response.content.decode()
    )


def test_unknown_currency_is_explained(owner_client, autumn, today):
    response = owner_client.get(reverse("reports:aging"), {"devise": "GBP"})

    assert response.status_code == 400
    assert "Aucun document en GBP" in text_of(response)


def test_other_organisation_customer_is_refused(owner_client, autumn, today):
    for name in ("aging", "revenue", "statement"):
        response = owner_client.get(reverse("reports:" + name), {"client": autumn.outsider_customer.pk})

        assert response.status_code == 400, name
        assert "est introuvable" in text_of(response)
        assert "Client du concurrent" not in response.content.decode()


def test_outsider_sees_only_own_figures(outsider_client, autumn, today):
    response = outsider_client.get(reverse("reports:revenue"), {"periode": "annee", "regroupement": "client"})

    text = text_of(response)
    assert "Boulangerie Martin" not in text
    assert "Client du concurrent" in text


def test_long_lists_are_paginated(owner_client, organisation, today):
    for index in range(55):
        customer = Customer.objects.create(organisation=organisation, name="Client %02d" % index)
        Invoice.objects.create(
            organisation=organisation,
            customer=customer,
            status="issued",
            number="F-2026-%04d" % index,
            issue_date=datetime.date(2026, 11, 1),
            due_date=datetime.date(2026, 12, 1),
            total_with_vat=Decimal("120.00"),
            amount_due=Decimal("120.00"),
        )

    first = owner_client.get(reverse("reports:outstanding"))
    second = owner_client.get(reverse("reports:outstanding"), {"page": "2"})

    assert ">Client 49</a>" in first.content.decode()
    assert ">Client 50</a>" not in first.content.decode()
    assert ">Client 54</a>" in second.content.decode()
    # The total row covers every customer, on each page.
    assert "6%s600,00%s€" % (NNBSP, NBSP) in text_of(second)
    assert "Page 2 sur 2" in text_of(second)


@pytest.fixture
def many_customers(monkeypatch):
    """Make the customer filter a text field, as in an organisation with more customers than the list shows."""
    from ardoise.reports import forms

    monkeypatch.setattr(forms, "CUSTOMERS_LISTED", 2)


def test_long_customer_list_becomes_a_text_field(owner_client, autumn, today, many_customers):
    response = owner_client.get(reverse("reports:outstanding"))

    page = response.content.decode()
    assert '<input type="search" id="filter-customer" name="client"' in page
    assert '<option value="%s"' % autumn.durand.pk not in page


def test_customer_found_by_part_of_the_name(owner_client, autumn, today, many_customers):
    response = owner_client.get(reverse("reports:outstanding"), {"client": "BOULANG"})

    text = text_of(response)
    assert response.status_code == 200
    assert 'value="%s (n° %s)"' % (autumn.martin.name, autumn.martin.pk) in response.content.decode()
    assert autumn.martin.name in text
    assert autumn.petit.name not in text


def test_typed_name_ignores_accents_and_apostrophes(owner_client, autumn, today, many_customers):
    autumn.petit.name = "L\u2019Épicerie d'Œuvres"
    autumn.petit.save()

    response = owner_client.get(reverse("reports:aging"), {"client": "l'epicerie d'oeuvres"})

    assert response.status_code == 200
    assert "(n° %s)" % autumn.petit.pk in response.content.decode()


def test_chosen_customer_survives_a_second_submit(owner_client, autumn, today, many_customers):
    """The field shows « name (n° id) », which finds the same customer again, even with a number as name."""
    autumn.petit.name = str(autumn.martin.pk)
    autumn.petit.save()
    first = owner_client.get(reverse("reports:aging"), {"client": str(autumn.petit.pk)})
    field_value = re.search(r'id="filter-customer" name="client" value="([^"]*)"', first.content.decode()).group(1)

    again = owner_client.get(reverse("reports:aging"), {"client": html.unescape(field_value), "date": "2026-12-09"})

    assert again.status_code == 200
    assert 'value="%s"' % field_value in again.content.decode()
    assert field_value == "%s (n° %s)" % (autumn.martin.pk, autumn.petit.pk)


def test_customer_by_number_shows_the_name(owner_client, autumn, today, many_customers):
    response = owner_client.get(reverse("reports:aging"), {"client": str(autumn.petit.pk)})

    assert response.status_code == 200
    assert 'value="Claire Petit (n° %s)"' % autumn.petit.pk in response.content.decode()


def test_several_customers_match_the_typed_name(owner_client, autumn, today, many_customers):
    response = owner_client.get(reverse("reports:revenue"), {"client": "a"})

    text = html.unescape(text_of(response))
    assert response.status_code == 400
    assert "3 clients correspondent à « a »" in text
    assert "Claire Petit (n° %s)" % autumn.petit.pk in text
    assert 'value="a"' in response.content.decode()


def test_no_customer_matches_the_typed_name(owner_client, autumn, today, many_customers):
    response = owner_client.get(reverse("reports:outstanding"), {"client": "Zorglub"})

    assert response.status_code == 400
    assert "Aucun client ne correspond à « Zorglub »" in html.unescape(text_of(response))


def test_typed_name_never_finds_another_organisations_customer(owner_client, autumn, today, many_customers):
    response = owner_client.get(reverse("reports:outstanding"), {"client": autumn.outsider_customer.name})

    assert response.status_code == 400
    assert "Aucun client ne correspond" in html.unescape(text_of(response))


@pytest.mark.parametrize(
    "query",
    [
        {"date": "0001-01-01"},
        {"date": "9999-12-31"},
        {"date": "99999-01-01"},
        {"page": "99999999999999999999999"},
        {"page": "9223372036854775808"},
    ],
)
def test_extreme_values_are_explained(owner_client, autumn, today, query):
    for name in ("outstanding", "aging"):
        response = owner_client.get(reverse("reports:" + name), query)

        assert response.status_code in (200, 400), (name, query)


def test_far_dates_get_a_french_message(owner_client, autumn, today):
    response = owner_client.get(reverse("reports:aging"), {"date": "0001-01-31"})

    assert response.status_code == 400
    assert "La date « 0001-01-31 » est hors limites" in text_of(response)


def test_typed_dates_win_over_the_preset(owner_client, autumn, today):
    response = owner_client.get(
        reverse("reports:revenue"), {"periode": "annee", "du": "2026-09-01", "au": "2026-09-30"}
    )

    assert response.status_code == 200
    assert 'value="2026-09-01"' in response.content.decode()
    assert '<option value="personnalisee" selected>' in response.content.decode()


def test_unknown_preset_is_explained(owner_client, autumn, today):
    response = owner_client.get(reverse("reports:revenue"), {"periode": "xxx"})

    assert response.status_code == 400
    assert "xxx" in text_of(response)
