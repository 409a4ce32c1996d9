"""Fixtures for the PDF tests, which need no database.

When pytest-django does not provide the project's settings (``-p no:django``),
minimal settings are configured so that translations work.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable

import django
import pytest
from django.conf import settings
from pypdf import PdfReader

if not settings.configured and "DJANGO_SETTINGS_MODULE" not in os.environ:
    settings.configure(USE_I18N=True, LANGUAGE_CODE="fr")
    django.setup()

# Enough of a CII invoice for the embedding step, which does not validate the XML.
MINIMAL_CII = b"""<?xml version="1.0" encoding="UTF-8"?>
<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
    xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100">
  <rsm:ExchangedDocumentContext>
    <ram:GuidelineSpecifiedDocumentContextParameter>
      <ram:ID>urn:cen.eu:en16931:2017</ram:ID>
    </ram:GuidelineSpecifiedDocumentContextParameter>
  </rsm:ExchangedDocumentContext>
  <rsm:ExchangedDocument>
    <ram:ID>F-2026-0042</ram:ID>
    <ram:TypeCode>380</ram:TypeCode>
  </rsm:ExchangedDocument>
</rsm:CrossIndustryInvoice>
"""


@pytest.fixture
def cii_xml() -> bytes:
    return MINIMAL_CII


@pytest.fixture
def pdf_pages() -> Callable[[bytes], list[str]]:
    """Return a function that extracts the text of each page of a PDF."""

    def extract(pdf: bytes) -> list[str]:
        return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]

    return extract


@pytest.fixture
def pdf_text(pdf_pages) -> Callable[[bytes], str]:
    """Return a function that extracts a PDF's text with every whitespace removed.

    Line wrapping and the spaces a PDF extractor guesses vary, so the
    assertions compare the printed characters without whitespace.
    """

    def extract(pdf: bytes) -> str:
        return "".join("".join(pdf_pages(pdf)).split())

    return extract


def squeeze(text: str) -> str:
    return "".join(text.split())


@pytest.fixture
def compact() -> Callable[[str], str]:
    """Return a function that removes every whitespace from an expected text."""
    return squeeze
