from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('customers', '0003_contacts'),
    ]

    operations = [
        migrations.AddField(
            model_name='customer',
            name='payment_installments',
            field=models.CharField(blank=True, help_text='Pour la règle « Échéancier » : par exemple « 30 % à 0 j ; 70 % à 60 j ».', max_length=200, verbose_name='échéancier'),
        ),
        migrations.AddField(
            model_name='customer',
            name='payment_terms_kind',
            field=models.CharField(blank=True, choices=[('', "Celle de l'entreprise"), ('on_receipt', 'À réception'), ('net', "N jours nets (date d'émission + N jours)"), ('days_end_of_month', 'N jours fin de mois : N jours, puis fin de mois'), ('end_of_month_days', 'N jours fin de mois : fin de mois, puis N jours'), ('installments', 'Échéancier (pourcentages et délais)')], max_length=20, verbose_name='règle de paiement'),
        ),
    ]
