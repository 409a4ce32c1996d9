"""An uploaded file kept between the steps of an import: upload, column choice and preview, confirmation."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class ImportBatch(models.Model):
    """A file being imported; deleted once imported, or the next day when the user walks away."""

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20)
    filename = models.CharField(max_length=255)
    data = models.BinaryField()
    # Field name -> column index in the file, or null for a field the file does not fill.
    mapping = models.JSONField(default=dict)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return "import of %s from %s" % (self.kind, self.filename)
