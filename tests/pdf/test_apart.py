"""Long documents compiled in a child process: Typst's errors and a child that cannot start are reported."""

from __future__ import annotations

import pytest

from ardoise.pdf import render
from ardoise.pdf.apart import CompileError, compile_apart
from ardoise.pdf.fonts import FONT_FILES


def test_child_typst_error_message():
    with pytest.raises(CompileError, match='does not contain key "labels"'):
        compile_apart(render.STATEMENT_TEMPLATE, FONT_FILES, "{}", tags=False)


def test_child_start_failure(monkeypatch):
    monkeypatch.setattr("sys.executable", "/nonexistent/python")

    with pytest.raises(CompileError, match="Typst child process could not start"):
        compile_apart(render.STATEMENT_TEMPLATE, FONT_FILES, "{}", tags=False)


def test_statement_child_failure_french_message(monkeypatch, caplog):
    monkeypatch.setattr("sys.executable", "/nonexistent/python")
    monkeypatch.setattr(render, "LINES_RENDERED_APART", -1)

    with pytest.raises(render.StatementPdfError) as raised:
        render.render_statement_pdf({"lines": []})

    assert str(raised.value) == (
        "Le PDF du relevé de compte n'a pas pu être produit : la mise en page s'est arrêtée avant la fin"
    )
    assert "could not start" in caplog.text
