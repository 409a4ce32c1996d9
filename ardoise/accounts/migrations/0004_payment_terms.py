from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0003_vat_situation'),
    ]

    operations = [
        migrations.AddField(
            model_name='organisation',
            name='late_penalty_rate',
            field=models.DecimalField(blank=True, decimal_places=2, help_text="Laissez vide pour appliquer le taux légal : taux de refinancement de la BCE majoré de 10 points. Un taux contractuel ne peut être inférieur à 3 fois le taux de l'intérêt légal.", max_digits=5, null=True, verbose_name='taux contractuel des pénalités de retard (% par an)'),
        ),
        migrations.AddField(
            model_name='organisation',
            name='payment_installments',
            field=models.CharField(blank=True, help_text='Pour la règle « Échéancier » : par exemple « 30 % à 0 j ; 70 % à 60 j ».', max_length=200, verbose_name='échéancier par défaut'),
        ),
        migrations.AddField(
            model_name='organisation',
            name='payment_terms_kind',
            field=models.CharField(choices=[('on_receipt', 'À réception'), ('net', "N jours nets (date d'émission + N jours)"), ('days_end_of_month', 'N jours fin de mois : N jours, puis fin de mois'), ('end_of_month_days', 'N jours fin de mois : fin de mois, puis N jours'), ('installments', 'Échéancier (pourcentages et délais)')], default='net', max_length=20, verbose_name='règle de paiement par défaut'),
        ),
    ]
