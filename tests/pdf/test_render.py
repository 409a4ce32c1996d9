import dataclasses
import io
import itertools
import threading
from decimal import Decimal

import pytest
from fontTools.ttLib import TTFont
from PIL import Image
from pypdf import PdfReader

from ardoise.core.document import Address, DocumentLine, Note, VatExemption
from ardoise.pdf.fonts import FONT_FILES
from ardoise.pdf.render import InvoicePdfError, render_invoice_pdf, typst_fonts
from ardoise.pdf.samples import BUYER, LEGAL_MENTIONS, document_discount, sample_invoice
from tests.pdf.pages import lowest_text, text_heights

FRANCHISE = "TVA non applicable, art. 293 B du CGI"


def exempt_line(name: str, amount: str, category: str = "E") -> DocumentLine:
    return DocumentLine(
        name=name,
        quantity=Decimal("1"),
        unit_code="LS",
        unit_label="forfait",
        net_price=Decimal(amount),
        vat_category=category,
        vat_rate=Decimal("0"),
        net_amount=Decimal(amount),
    )


def png_logo() -> bytes:
    image = Image.new("RGBA", (300, 100), (35, 80, 122, 255))
    output = io.BytesIO()
    image.save(output, "PNG")
    return output.getvalue()


def test_one_line_invoice_renders_one_page(pdf_pages):
    pdf = render_invoice_pdf(sample_invoice(1))

    pages = pdf_pages(pdf)
    assert pdf.startswith(b"%PDF-")
    assert len(pages) == 1
    assert "Facture" in pages[0]
    assert "N° F-2026-0042" in pages[0]
    assert "Développement web" in pages[0]
    assert "1/1" in pages[0]


def test_one_line_invoice_amounts_and_dates(pdf_pages):
    text = pdf_pages(render_invoice_pdf(sample_invoice(1)))[0]

    # 12.5 h at 65 € = 812.50 € + 20 % VAT = 975.00 €.
    assert "12,5 heure 65,00\u00a0€ 20\u202f% 812,50\u00a0€" in text
    assert "Total HT 812,50\u00a0€" in text
    assert "Total TVA 162,50\u00a0€" in text
    assert "Total TTC 975,00\u00a0€" in text
    assert "Net à payer 975,00\u00a0€" in text
    assert "Date d'émission 04/12/2026" in text
    assert "Échéance 03/01/2027" in text


def test_thousands_use_narrow_no_break_space(pdf_pages):
    text = pdf_pages(render_invoice_pdf(sample_invoice(10)))[0]

    assert "Total TTC 7\u202f710,38\u00a0€" in text
    assert "1\u202f440,00\u00a0€" in text


def test_sixty_lines_repeat_header_on_pages(pdf_pages):
    lines = tuple(
        dataclasses.replace(line, name=f"Article {number:02d}")
        for number, line in enumerate(sample_invoice(60).lines, start=1)
    )

    pages = pdf_pages(render_invoice_pdf(sample_invoice(60, lines=lines)))

    assert len(pages) >= 3
    for number, page in enumerate(pages, start=1):
        assert "Désignation Qté Unité Prix unitaire HT TVA Total HT" in page
        assert f"{number}/{len(pages)}" in page
        # The header names the invoice on page 1; the footer does on the pages after it.
        assert ("Facture F-2026-0042 · %d/%d" % (number, len(pages)) in page) == (number > 1)
        assert "Indemnité forfaitaire pour frais de recouvrement : 40 €" in page
    text = "".join(pages)
    for number in range(1, 61):
        assert text.count(f"Article {number:02d}") == 1
    assert "Net à payer" in pages[-1]
    assert "Net à payer" not in pages[0]


def test_franchise_en_base_prints_exemption(pdf_pages):
    doc = sample_invoice(
        0,
        lines=(exempt_line("Séance de coaching", "450"),),
        vat_exemptions=(VatExemption("E", Decimal("0"), FRANCHISE, "VATEX-FR-FRANCHISE"),),
        legal_mentions=(FRANCHISE, *LEGAL_MENTIONS),
    )

    text = pdf_pages(render_invoice_pdf(doc))[0]

    assert "1 forfait 450,00\u00a0€ Exonéré 450,00\u00a0€" in text
    assert "Exonéré 450,00\u00a0€ 0,00\u00a0€" in text
    assert text.count(FRANCHISE) == 1  # in the legal footer only, not repeated in the VAT summary
    assert "Total TVA 0,00\u00a0€" in text
    assert "Net à payer 450,00\u00a0€" in text


def test_reverse_charge_prints_both_vat_numbers(pdf_pages):
    reason = "Autoliquidation"
    doc = sample_invoice(
        0,
        lines=(exempt_line("Audit de sécurité", "2000", category="AE"),),
        vat_exemptions=(VatExemption("AE", Decimal("0"), reason, "VATEX-EU-AE"),),
    )

    text = pdf_pages(render_invoice_pdf(doc))[0]

    assert "Autoliquidation 2\u202f000,00\u00a0€ 0,00\u00a0€" in text
    assert "N° TVA : FR44732829320" in text
    assert "N° TVA : FR03552081317" in text


def test_document_discount_row_and_totals(pdf_pages):
    lines = sample_invoice(5).lines  # 3 142.50 € at 20 % and 79.80 € at 5.5 %
    doc = sample_invoice(0, lines=lines, allowances=document_discount(Decimal("10"), (Decimal("20"), Decimal("5.5"))))

    text = pdf_pages(render_invoice_pdf(doc))[0]

    assert "Total HT des lignes 3\u202f222,30\u00a0€" in text
    assert text.count("Remise globale (10\u202f%)") == 1
    assert "Remise globale (10\u202f%) -322,23\u00a0€" in text  # 314.25 + 7.98
    assert "Total HT 2\u202f900,07\u00a0€" in text
    assert "20\u202f% 2\u202f828,25\u00a0€ 565,65\u00a0€" in text
    assert "5,5\u202f% 71,82\u00a0€ 3,95\u00a0€" in text
    assert "Total TVA 569,60\u00a0€" in text
    assert "Net à payer 3\u202f469,67\u00a0€" in text


def test_line_discount_gets_its_own_column(pdf_pages):
    line = sample_invoice(1).lines[0]
    discounted = dataclasses.replace(
        line,
        allowances=(dataclasses.replace(document_discount(Decimal("10"))[0], vat=None),),
        net_amount=Decimal("731.25"),
    )

    text = pdf_pages(render_invoice_pdf(sample_invoice(0, lines=(discounted,))))[0]

    assert "Désignation Qté Unité Prix unitaire HT Remise TVA Total HT" in text
    assert "12,5 heure 65,00\u00a0€ 10\u202f% 20\u202f% 731,25\u00a0€" in text


USER_TEXTS = [
    "#set page(width: 1cm) #panic()",
    "*gras* _italique_ `code` $x^2$",
    "<script>alert('x')</script> & <b>",
    "C:\\temp\\new \\n \\\\ fin",
    "= Titre - puce + liste / terme: def",
    "@label <label> [lien] {bloc} // commentaire /* bloc */",
    "~ --- ... 'simple' \"double\"",
]


@pytest.mark.parametrize("user_text", USER_TEXTS)
def test_user_text_prints_literally(user_text, pdf_text, compact):
    line = dataclasses.replace(sample_invoice(1).lines[0], name=f"Ligne {user_text}", description=user_text)
    doc = sample_invoice(
        0,
        lines=(line,),
        buyer=dataclasses.replace(BUYER, name=f"Client {user_text}"),
        notes=(Note(f"Note {user_text}", "AAI"),),
        purchase_order=user_text[:20],
    )

    text = pdf_text(render_invoice_pdf(doc))

    assert compact(f"Ligne {user_text}") in text
    assert compact(f"Client {user_text}") in text
    assert compact(f"Note {user_text}") in text
    assert text.count(compact(user_text)) == 4  # name, description, customer, note
    assert compact(user_text[:20]) in text


def test_characters_missing_from_font_are_replaced(pdf_pages):
    line = dataclasses.replace(sample_invoice(1).lines[0], name="Thé 北京 😀\x00fin\tici", description="Ωμέγα Привет")

    text = pdf_pages(render_invoice_pdf(sample_invoice(0, lines=(line,))))[0]

    assert "Thé ?? ?fin ici" in text
    assert "Ωμέγα Привет" in text


def test_multiline_description_keeps_line_breaks(pdf_pages):
    line = dataclasses.replace(sample_invoice(1).lines[0], description="Première étape\nDeuxième étape")

    text = pdf_pages(render_invoice_pdf(sample_invoice(0, lines=(line,))))[0]

    assert "Première étape\nDeuxième étape" in text


def test_notes_in_legal_mentions_print_once(pdf_pages):
    doc = sample_invoice(1, notes=(Note(LEGAL_MENTIONS[2], "PMT"), Note("Merci de votre confiance.", "AAI")))

    text = pdf_pages(render_invoice_pdf(doc))[0]

    assert text.count(LEGAL_MENTIONS[2]) == 1
    assert "Observations\nMerci de votre confiance." in text.replace("OBSERVATIONS", "Observations")


def test_payment_block_lists_bank_details(pdf_pages):
    text = pdf_pages(render_invoice_pdf(sample_invoice(1)))[0]

    assert "Paiement à 30 jours, au plus tard le 03/01/2027, par virement bancaire." in text
    assert "Date d'échéance 03/01/2027" in text
    assert "Mode de règlement Virement bancaire" in text
    assert "IBAN FR76 3000 6000 0112 3456 7890 189" in text
    assert "BIC AGRIFRPP" in text
    assert "Référence à rappeler F-2026-0042" in text


@pytest.mark.parametrize(
    ("type_code", "title", "due_label"),
    [
        ("380", "Facture", "Net à payer"),
        ("386", "Facture d'acompte", "Net à payer"),
        ("381", "Avoir", "Montant de l'avoir"),
    ],
)
def test_title_follows_document_type(type_code, title, due_label, pdf_pages):
    text = pdf_pages(render_invoice_pdf(sample_invoice(1, type_code=type_code)))[0]

    assert f" {title}\nN° F-2026-0042" in text
    assert due_label in text


def test_credit_note_cites_invoice_without_payment(pdf_pages):
    import datetime

    doc = sample_invoice(
        1, type_code="381", preceding_invoice="F-2026-0041", preceding_invoice_date=datetime.date(2026, 11, 30)
    )

    text = pdf_pages(render_invoice_pdf(doc))[0]

    assert "Facture d'origine F-2026-0041 du 30/11/2026" in text
    assert "IBAN" not in text


def test_prepaid_deposits_are_deducted(pdf_pages):
    text = pdf_pages(render_invoice_pdf(sample_invoice(1, prepaid=Decimal("300"))))[0]

    assert "Total TTC 975,00\u00a0€" in text
    assert "Acomptes déjà versés -300,00\u00a0€" in text
    assert "Net à payer 675,00\u00a0€" in text


def test_delivery_address_printed_only_when_different(pdf_pages):
    elsewhere = Address(line1="Entrepôt Nord", postcode="69100", city="Villeurbanne")

    different = pdf_pages(render_invoice_pdf(sample_invoice(1, delivery_address=elsewhere)))[0]
    same = pdf_pages(render_invoice_pdf(sample_invoice(1, delivery_address=BUYER.address)))[0]

    assert "ADRESSE DE LIVRAISON\nEntrepôt Nord\n69100 Villeurbanne" in different
    assert "ADRESSE DE LIVRAISON" not in same


def test_logo_is_embedded_as_image():
    pdf = render_invoice_pdf(sample_invoice(1), logo=png_logo(), logo_format="image/png")

    images = PdfReader(io.BytesIO(pdf)).pages[0].images
    assert len(images) == 1
    assert images[0].image.size == (300, 100)


def test_logo_format_is_detected_when_missing():
    pdf = render_invoice_pdf(sample_invoice(1), logo=png_logo())

    assert len(PdfReader(io.BytesIO(pdf)).pages[0].images) == 1


def test_unknown_logo_format_is_rejected():
    with pytest.raises(ValueError, match="Unsupported logo format 'image/tiff'"):
        render_invoice_pdf(sample_invoice(1), logo=b"II*\x00", logo_format="image/tiff")


def test_unreadable_logo_raises_render_error():
    with pytest.raises(InvoicePdfError) as raised:
        render_invoice_pdf(sample_invoice(1), logo=b"not an image", logo_format="png")

    assert raised.value.number == "F-2026-0042"
    assert "F-2026-0042" in str(raised.value)


def test_renders_from_several_threads_at_once(pdf_pages):
    results: dict[int, bytes] = {}

    def render(index: int) -> None:
        results[index] = render_invoice_pdf(sample_invoice(3, number=f"F-2026-{index:04d}"))

    threads = [threading.Thread(target=render, args=(index,)) for index in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(results) == [0, 1, 2, 3]
    for index, pdf in results.items():
        assert f"N° F-2026-{index:04d}" in pdf_pages(pdf)[0]


def test_english_document_without_catalogue(pdf_pages):
    # Labels are French source strings, which an English catalogue will translate.
    text = pdf_pages(render_invoice_pdf(sample_invoice(1, language="en")))[0]

    assert "Net à payer" in text


def test_fonts_one_truetype_file_per_weight():
    fonts = typst_fonts().fonts()

    assert sorted((font.family, font.weight) for font in fonts) == [
        ("Source Sans Pro", 400),
        ("Source Sans Pro", 600),
        ("Source Sans Pro", 700),
    ]
    assert {font.path for font in fonts} == {str(path) for path in FONT_FILES}


def text_runs(pdf: bytes) -> list[tuple[str, float, float, float]]:
    """Return each text run of the first page with its left x, baseline y and font size, in points."""
    runs = []

    def visit(text, cm, tm, font, size):
        if text.strip():
            runs.append((text.strip(), cm[4] + tm[4], cm[5] + tm[5], size))

    PdfReader(io.BytesIO(pdf)).pages[0].extract_text(visitor_text=visit)
    return runs


def text_width(text: str, size: float) -> float:
    """Measure ``text`` set in the regular invoice font, in points."""
    with TTFont(FONT_FILES[0], lazy=True) as font:
        cmap, metrics = font.getBestCmap(), font["hmtx"]
        units = sum(metrics[cmap.get(ord(character), ".notdef")][0] for character in text)
        return units * size / font["head"].unitsPerEm


def test_line_vat_wording_does_not_overlap_unit_price():
    line = dataclasses.replace(
        exempt_line("Journée de conseil", "650.00", category="AE"),
        quantity=Decimal("3"),
        net_amount=Decimal("1950.00"),
    )

    runs = text_runs(render_invoice_pdf(sample_invoice(1, lines=(line,))))

    price = next(run for run in runs if run[0] == "650,00\u00a0€")
    row = sorted((run for run in runs if abs(run[2] - price[2]) < 0.5), key=lambda run: run[1])
    texts = [run[0] for run in row]
    assert texts == ["Journée de conseil", "3", "forfait", "650,00\u00a0€", "Autoliquidation", "1\u202f950,00\u00a0€"]
    for (text, x, _y, size), following in itertools.pairwise(row):
        assert x + text_width(text, size) <= following[1], "%r runs into %r" % (text, following[0])


# Text of any length flows over the pages instead of running off the bottom of one.

GENERAL_TERMS = "\n".join(
    "Article %d. Les présentes conditions s'appliquent à toute commande passée auprès du vendeur." % number
    for number in range(1, 90)
)


def test_long_note_flows_over_pages():
    pdf = render_invoice_pdf(sample_invoice(3, notes=(Note(GENERAL_TERMS, "AAB"),)))

    assert lowest_text(pdf) > 0
    printed = " ".join(text for _page, _height, text in text_heights(pdf))
    assert "Article 89." in printed


def test_word_longer_than_its_column_wraps():
    # A name or a note with no space in it once ran past its column and off the page edge.
    line = dataclasses.replace(sample_invoice(1).lines[0], name="Kx" * 43)
    url = "https://www.exemple.fr/paiement?facture=F-2026-0014&montant=1234.56&utm_source=ardoise_facture_pdf"
    notes = (Note("Jy" * 1500, "AAB"), Note("Payer en ligne sur le portail de l'atelier : %s" % url, "AAB"))

    pdf = render_invoice_pdf(sample_invoice(0, lines=(line,), notes=notes), payment_qr=True)

    rows: dict[tuple[int, int], str] = {}
    for page, height, text in text_heights(pdf):
        rows[page, round(height)] = rows.get((page, round(height)), "") + text
    # The text a reader copies or searches stays as written, with no invisible break character.
    text = "\n".join(rows.values())
    assert "\u200b" not in text
    assert "AGRIFRPP" in text
    # The URL is too long for the rest of its line: it breaks after a separator, never inside a word.
    [start] = [row for row in rows.values() if "https://" in row]
    assert start.endswith(url) or start[-1] in "/.&?=_"

    # Each word is a letter pair repeated: the name over at least 2 lines, the note over at least 15.
    for pair, repeats, least in (("Kx", 43, 2), ("Jy", 1500, 15)):
        found = [text for text in rows.values() if pair in text]
        assert len(found) >= least
        assert sum(text.count(pair[0]) for text in found) == repeats


@pytest.mark.parametrize(
    ("description", "last"),
    [
        (" ".join("Étape %d : analyse, recette et mise en production." % n for n in range(1, 130)), "Étape 129"),
        ("\n".join("- point %d" % number for number in range(1, 90)), "- point 89"),
    ],
    ids=["long text", "many short lines"],
)
def test_line_taller_than_page_continues(description, last):
    line = dataclasses.replace(sample_invoice(1).lines[0], description=description)

    pdf = render_invoice_pdf(sample_invoice(0, lines=(line, *sample_invoice(2).lines)))

    assert lowest_text(pdf) > 0
    assert last in " ".join(text for _page, _height, text in text_heights(pdf))


@pytest.mark.parametrize("lines_before", range(18, 32, 2))
def test_line_name_stays_with_its_description(lines_before):
    # Wherever the long line starts, its name prints on the page of its description's first lines.
    description = "\n".join("Intervention n° %d sur le parc" % number for number in range(1, 31))
    long_line = dataclasses.replace(sample_invoice(1).lines[0], name="Maintenance du parc", description=description)

    pdf = render_invoice_pdf(sample_invoice(0, lines=(*sample_invoice(lines_before).lines, long_line)))

    pages = {text: page for page, _height, text in text_heights(pdf)}
    assert pages["Maintenance du parc"] == pages["Intervention n° 1 sur le parc"]
    assert lowest_text(pdf) > 0


def test_part_starting_page_clears_header():
    # The part carried over to page 2 starts under the repeated header, as clear of it as a line.
    description = "\n".join("Intervention n° %d sur le parc" % number for number in range(1, 31))
    long_line = dataclasses.replace(sample_invoice(1).lines[0], name="Maintenance du parc", description=description)

    short_lines = [dataclasses.replace(line, description="") for line in sample_invoice(20).lines]

    pdf = render_invoice_pdf(sample_invoice(0, lines=(*short_lines, long_line)))

    second_page = {text: height for page, height, text in text_heights(pdf) if page == 2}
    # 16 points below the header's baseline for a line's name; 10 when the part touched the header.
    assert second_page["Désignation"] - second_page["Intervention n° 16 sur le parc"] > 12
