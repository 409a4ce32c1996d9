"""Exceptions of the e-invoicing package."""

from __future__ import annotations


class InvoiceFileError(ValueError):
    """An invoice file that cannot be read, with a French message for the user.

    ``message`` names the file, the problem and the fix. It is already
    translated, so views can show it as is.
    """

    def __init__(self, message: str, filename: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.filename = filename


class InconsistentDocumentError(ValueError):
    """An ``InvoiceDocument`` whose stored amounts disagree with its computed totals.

    This is a programming error in the code that built the document, never a
    user error, so the message is in English.
    """
