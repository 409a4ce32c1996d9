"""Add the document-level allowances and charges, then make the database refuse changes to issued quotes.

See ardoise/quotes/triggers.py. The triggers come last because SQLite
rebuilds ``quotes_quote`` to add a column with a default.
"""

from django.db import migrations, models

from ardoise.quotes import triggers


class Migration(migrations.Migration):

    dependencies = [
        ('quotes', '0002_billing'),
    ]

    operations = [
        migrations.AddField(
            model_name='quote',
            name='document_adjustments',
            field=models.JSONField(blank=True, default=list),
        ),
        triggers.create_operation(),
    ]
