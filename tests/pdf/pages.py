"""Where text lands on the pages of a PDF: what the tests of long documents check."""

from __future__ import annotations

import io

from pypdf import PdfReader


def text_heights(content: bytes) -> list[tuple[int, float, str]]:
    """Return (page number, height above the page's bottom edge in points, text) of every piece of text.

    Text that a layout pushed off a page is still in the file, at a negative height.
    """
    found = []
    for number, page in enumerate(PdfReader(io.BytesIO(content)).pages, start=1):

        def visit(text, matrix, text_matrix, font, size, number=number):
            if text.strip():
                found.append((number, text_matrix[5] * matrix[3] + matrix[5], text.strip()))

        page.extract_text(visitor_text=visit)
    return found


def lowest_text(content: bytes) -> float:
    """Return the height of the lowest piece of text of the PDF: negative when some ran off a page."""
    return min(height for _page, height, _text in text_heights(content))
