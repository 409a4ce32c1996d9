"""Make the database refuse any change to an issued invoice (see ardoise/invoicing/triggers.py)."""

from django.db import migrations

from ardoise.invoicing import triggers


class Migration(migrations.Migration):
    dependencies = [("invoicing", "0001_initial")]

    operations = [triggers.create_operation()]
