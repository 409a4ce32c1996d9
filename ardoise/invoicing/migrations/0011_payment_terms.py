from django.db import migrations, models

from ardoise.invoicing import triggers


class Migration(migrations.Migration):

    dependencies = [
        ('invoicing', '0009_engine_fields'),
    ]

    # SQLite rebuilds the table to add columns: the triggers are dropped first and recreated last.
    operations = [
        triggers.drop_operation(),
        migrations.AddField(
            model_name='invoice',
            name='payment_installments',
            field=models.CharField(blank=True, help_text='Pour la règle « Échéancier » : par exemple « 30 % à 0 j ; 70 % à 60 j ».', max_length=200, verbose_name='échéancier'),
        ),
        migrations.AddField(
            model_name='invoice',
            name='late_penalty_rate',
            field=models.DecimalField(blank=True, decimal_places=2, editable=False, max_digits=5, null=True),
        ),
        migrations.AddField(
            model_name='invoice',
            name='payment_schedule',
            field=models.JSONField(blank=True, default=list, editable=False),
        ),
        migrations.AddField(
            model_name='invoice',
            name='payment_terms_fixed_date',
            field=models.DateField(blank=True, null=True, verbose_name="date fixe d'échéance"),
        ),
        migrations.AddField(
            model_name='invoice',
            name='payment_terms_kind',
            field=models.CharField(blank=True, choices=[('', "Celle du client ou de l'entreprise"), ('on_receipt', 'À réception'), ('net', "N jours nets (date d'émission + N jours)"), ('days_end_of_month', 'N jours fin de mois : N jours, puis fin de mois'), ('end_of_month_days', 'N jours fin de mois : fin de mois, puis N jours'), ('fixed_date', 'Date fixe'), ('installments', 'Échéancier (pourcentages et délais)')], max_length=20, verbose_name='règle de paiement'),
        ),
        triggers.create_operation(),
    ]
