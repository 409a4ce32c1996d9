"""Render an ``InvoiceDocument`` as a PDF/A-3b file with Typst."""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import logging
import threading
from functools import cache
from pathlib import Path
from typing import Any, Final, cast

import typst
from django.core.cache import caches
from django.utils.translation import gettext as _

from ardoise.core.document import InvoiceDocument
from ardoise.core.sepa_qr import document_epc_qr_svg
from ardoise.pdf.apart import CompileError, compile_apart, load_fonts
from ardoise.pdf.context import invoice_context
from ardoise.pdf.fonts import FONT_FILES, printable

logger = logging.getLogger(__name__)

TEMPLATE_DIRECTORY = Path(__file__).parent / "templates"
INVOICE_TEMPLATE = TEMPLATE_DIRECTORY / "invoice.typ"
STATEMENT_TEMPLATE = TEMPLATE_DIRECTORY / "statement.typ"
LETTER_TEMPLATE = TEMPLATE_DIRECTORY / "letter.typ"

# Factur-X requires PDF/A-3, and level B (visual appearance) is enough.
PDF_STANDARD: Final = "a-3b"

# Level B needs no tagged structure. Tags multiply the PDF's objects and make
# the Factur-X step, which copies every object with pypdf, about ten times
# slower: 100 ms instead of 11 ms for a 10-line invoice (typst 0.15, pypdf 7,
# measured on a 2-core machine).
PDF_TAGS = False

# Logo formats Typst reads, by file extension or MIME type.
LOGO_FORMATS = {
    "png": "png",
    "image/png": "png",
    "jpg": "jpg",
    "jpeg": "jpg",
    "image/jpeg": "jpg",
    "gif": "gif",
    "image/gif": "gif",
    "webp": "webp",
    "image/webp": "webp",
    "svg": "svg",
    "image/svg+xml": "svg",
}

_threads = threading.local()

# How long a rendered statement stays in the "pdf" cache.
PDF_CACHE_SECONDS = 15 * 60

# A statement with more lines is laid out in a child process (``apart.compile_apart``): Typst
# would keep about 0.1 MB per line in this process until it ends. Starting the child costs
# about 0.1 s, a tenth of the layout of a year of 1,739 lines; a month of 150 lines stays here.
LINES_RENDERED_APART = 500


class InvoicePdfError(Exception):
    """Typst failed to render an invoice. ``detail`` is Typst's own message."""

    def __init__(self, number: str, detail: str) -> None:
        self.number = number
        self.detail = detail
        message = _("Le PDF de la facture %(number)s n'a pas pu être produit : %(detail)s") % {
            "number": number,
            "detail": detail,
        }
        super().__init__(message)


def render_invoice_pdf(
    doc: InvoiceDocument, logo: bytes | None = None, logo_format: str | None = None, *, payment_qr: bool = False
) -> bytes:
    """Render the invoice as PDF/A-3b bytes, with the organisation's logo when given.

    ``logo_format`` is an extension or a MIME type ("png", "image/jpeg"…).
    Without it, Typst detects the format from the bytes. ``payment_qr`` prints
    the SEPA QR code for the amount due when the document allows one; only an
    issued invoice asks for it, never a draft preview, which has no number to pay.
    """
    data = _printable_tree(invoice_context(doc))
    data["logo"] = _logo(logo, logo_format)
    # The SVG is ASCII markup that the template reads as an image, never as text to print.
    data["payment_qr"] = document_epc_qr_svg(doc) if payment_qr else None
    payload = json.dumps(data, ensure_ascii=False)

    try:
        pdf, warnings = _compiler(INVOICE_TEMPLATE).compile_with_warnings(
            format="pdf", sys_inputs={"data": payload}, pdf_standards=[PDF_STANDARD], pdf_tags=PDF_TAGS
        )
    except typst.TypstError as error:
        raise InvoicePdfError(doc.number, error.message) from error

    for warning in warnings:
        logger.warning("Typst warning while rendering invoice %s: %s", doc.number, warning.message)
    # PDF output is one document in bytes. Only PNG and SVG outputs are lists of pages.
    return cast(bytes, pdf)


def render_quote_pdf(data: dict[str, Any], logo: bytes | None = None, logo_format: str | None = None) -> bytes:
    """Render a quote or pro forma invoice with the invoice layout, from ``quotes.documents.quote_pdf_context``.

    A quote is no invoice, so it carries no Factur-X XML: it is a plain PDF/A-2b file.
    """
    data = _printable_tree(data)
    data["logo"] = _logo(logo, logo_format)
    data["payment_qr"] = None
    payload = json.dumps(data, ensure_ascii=False)
    try:
        pdf, warnings = _compiler(INVOICE_TEMPLATE).compile_with_warnings(
            format="pdf", sys_inputs={"data": payload}, pdf_standards=["a-2b"], pdf_tags=PDF_TAGS
        )
    except typst.TypstError as error:
        raise InvoicePdfError(data.get("number", ""), error.message) from error
    for warning in warnings:
        logger.warning("Typst warning while rendering quote %s: %s", data.get("number", ""), warning.message)
    return cast(bytes, pdf)


def _logo(logo: bytes | None, logo_format: str | None) -> dict[str, Any] | None:
    if not logo:
        return None
    image_format = None
    if logo_format:
        image_format = LOGO_FORMATS.get(logo_format.strip().lower())
        if image_format is None:
            raise ValueError(f"Unsupported logo format {logo_format!r}; use one of: {', '.join(sorted(LOGO_FORMATS))}.")
    # sys.inputs only carries strings, and Typst has no base64 decoder, so the
    # bytes travel as a JSON array of integers that the template turns back into bytes.
    # NOTE: the logo is decoded and re-encoded on every render: a few ms for a
    # 30 KB PNG but 200 ms for a 1 MB one (2-core machine), so logos are best shrunk on upload.
    return {"data": list(logo), "format": image_format}


def _printable_tree(value: Any) -> Any:
    """Apply ``printable`` to every string of the context, leaving other values alone."""
    if isinstance(value, str):
        return printable(value)
    # Strings are cleaned in place rather than through a call each: a statement's context has thousands.
    if isinstance(value, dict):
        return {key: printable(item) if type(item) is str else _printable_tree(item) for key, item in value.items()}
    if isinstance(value, list):
        return [printable(item) if type(item) is str else _printable_tree(item) for item in value]
    return value


class StatementPdfError(Exception):
    """Typst failed to render a customer statement. ``detail`` is Typst's own message."""

    def __init__(self, detail: str) -> None:
        self.detail = detail
        super().__init__(_("Le PDF du relevé de compte n'a pas pu être produit : %(detail)s") % {"detail": detail})


def render_statement_pdf(data: dict[str, Any], logo: bytes | None = None, logo_format: str | None = None) -> bytes:
    """Render a customer statement, laid out like the invoices, from its already formatted ``data``.

    A statement is no e-invoice: it is a plain PDF, with the fonts embedded.
    Typst lays out a long statement in about half a millisecond per line, so
    the PDF of the same data, asked for again (opened, then sent by e-mail),
    comes from the "pdf" cache: the key hashes the data and the templates.
    """
    # TODO: past about 100 lines, the layout alone takes more than 10 times the trivial page, the
    # benchmark's target (docs/benchmarks.md, eighth round). Meeting it needs the statement laid out
    # in the background and offered when ready, or a per-line budget for PDFs: a product decision.
    data = _printable_tree(data)
    data["logo"] = _logo(logo, logo_format)
    payload = json.dumps(data, ensure_ascii=False)
    key = "statement:" + hashlib.sha256(_templates_digest() + payload.encode()).hexdigest()
    cached = _cache_get(key)
    if cached is not None:
        return cached
    if len(data["lines"]) > LINES_RENDERED_APART:
        try:
            document, messages = compile_apart(STATEMENT_TEMPLATE, FONT_FILES, payload, tags=PDF_TAGS)
        except CompileError as error:
            if error.from_typst:
                raise StatementPdfError(str(error)) from error
            logger.error("Statement layout process failed: %s", error)
            raise StatementPdfError(_("la mise en page s'est arrêtée avant la fin")) from error
    else:
        try:
            pdf, warnings = _compiler(STATEMENT_TEMPLATE).compile_with_warnings(
                format="pdf", sys_inputs={"data": payload}, pdf_tags=PDF_TAGS
            )
        except typst.TypstError as error:
            raise StatementPdfError(error.message) from error
        document, messages = cast(bytes, pdf), [warning.message for warning in warnings]
    for message in messages:
        logger.warning("Typst warning while rendering a statement: %s", message)
    _cache_set(key, document)
    return document


@cache
def _templates_digest() -> bytes:
    """Hash the Typst templates and Typst's version: a change of either renders the statements again."""
    digest = hashlib.sha256(importlib.metadata.version("typst").encode())
    for path in sorted(TEMPLATE_DIRECTORY.glob("*.typ")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.digest()


def _cache_get(key: str) -> bytes | None:
    # The cache saves time only: when it fails (Redis stopped), the PDF is rendered as if it were empty.
    try:
        return cast(bytes | None, caches["pdf"].get(key))
    except Exception:
        logger.warning("The PDF cache could not be read; rendering the statement again", exc_info=True)
        return None


def _cache_set(key: str, pdf: bytes) -> None:
    try:
        caches["pdf"].set(key, pdf, PDF_CACHE_SECONDS)
    except Exception:
        logger.warning("The PDF cache could not be written", exc_info=True)


class LetterPdfError(Exception):
    """Typst failed to render a letter. ``detail`` is Typst's own message."""

    def __init__(self, detail: str) -> None:
        self.detail = detail
        super().__init__(_("Le PDF de la lettre n'a pas pu être produit : %(detail)s") % {"detail": detail})


def render_letter_pdf(data: dict[str, Any], logo: bytes | None = None, logo_format: str | None = None) -> bytes:
    """Render a letter (reminder, formal notice) from its already formatted ``data``, as a plain PDF."""
    data = _printable_tree(data)
    data["logo"] = _logo(logo, logo_format)
    payload = json.dumps(data, ensure_ascii=False)
    try:
        pdf, warnings = _compiler(LETTER_TEMPLATE).compile_with_warnings(
            format="pdf", sys_inputs={"data": payload}, pdf_tags=PDF_TAGS
        )
    except typst.TypstError as error:
        raise LetterPdfError(error.message) from error
    for warning in warnings:
        logger.warning("Typst warning while rendering a letter: %s", warning.message)
    return cast(bytes, pdf)


def _compiler(template: Path) -> typst.Compiler:
    """Return this thread's Typst compiler for ``template``, creating it on first use.

    A compiler keeps the parsed template and the loaded fonts between calls,
    which makes a warm render several times faster than a cold one. One
    compiler cannot run two compilations at once (typst 0.15 raises "Already
    borrowed" from a second thread), hence one compiler per thread and template.
    """
    compilers = getattr(_threads, "compilers", None)
    if compilers is None:
        compilers = _threads.compilers = {}
    compiler = compilers.get(template)
    if compiler is None:
        compiler = typst.Compiler(
            str(template),
            root=str(TEMPLATE_DIRECTORY),
            font_paths=typst_fonts(),
            ignore_system_fonts=True,
        )
        compilers[template] = compiler
    return compiler


@cache
def typst_fonts() -> typst.Fonts:
    """Load the invoice font, one file per weight, and no system font nor Typst's built-in ones."""
    return load_fonts(FONT_FILES)
