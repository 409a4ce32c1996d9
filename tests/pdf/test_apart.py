"""Long documents compiled in a child process: same PDF, Typst's errors reported, no memory left behind."""

from __future__ import annotations

import pytest

from ardoise.pdf import render
from ardoise.pdf.apart import CompileError, compile_apart
from ardoise.pdf.fonts import FONT_FILES


def test_typst_error_in_the_child_comes_back_as_its_message():
    with pytest.raises(CompileError, match='does not contain key "labels"'):
        compile_apart(render.STATEMENT_TEMPLATE, FONT_FILES, "{}", tags=False)


def test_child_that_cannot_start_is_reported(monkeypatch):
    monkeypatch.setattr("sys.executable", "/nonexistent/python")

    with pytest.raises(CompileError, match="could not start"):
        compile_apart(render.STATEMENT_TEMPLATE, FONT_FILES, "{}", tags=False)


def test_statement_whose_child_fails_gets_a_french_message(monkeypatch, caplog):
    monkeypatch.setattr("sys.executable", "/nonexistent/python")
    monkeypatch.setattr(render, "LINES_RENDERED_APART", -1)

    with pytest.raises(render.StatementPdfError) as raised:
        render.render_statement_pdf({"lines": []})

    assert str(raised.value) == (
        "Le PDF du relevé de compte n'a pas pu être produit : la mise en page s'est arrêtée avant la fin"
    )
    assert "could not start" in caplog.text
