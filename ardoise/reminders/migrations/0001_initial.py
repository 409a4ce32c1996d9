import django.core.validators
import django.db.models.deletion
from django.conf import settings
from decimal import Decimal

from django.db import migrations, models

# ECB main refinancing rate: each change with its date of effect, from 2014 on.
# Sources opened when this table was written:
# - Banque de France, "Key European Central Bank interest rates",
#   https://www.banque-france.fr/en/policy-rates (changes up to 23 October 2024);
# - Banka Slovenije, "ECB Interest Rates", http://www.bsi.si./en/ecb-interest-rates
#   (changes up to 23 April 2025);
# - Banka Slovenije, main refinancing operations, https://apl.bsi.si/orodja/avkcije-en.asp:
#   fixed rate 2.40 % for the operation settled on 4 June 2025, 2.15 % from the one settled
#   on 11 June 2025, and still 2.15 % for the operations settled from 23 December 2025 to
#   28 January 2026.
# NOTE: no change after January 2026 could be checked; users add later ones on the « Taux » page.
ECB_SOURCE = "Banque de France / Banka Slovenije"
ECB_RATES = [
    ("2014-09-10", "0.05"),
    ("2016-03-16", "0.00"),
    ("2022-07-27", "0.50"),
    ("2022-09-14", "1.25"),
    ("2022-11-02", "2.00"),
    ("2022-12-21", "2.50"),
    ("2023-02-08", "3.00"),
    ("2023-03-22", "3.50"),
    ("2023-05-10", "3.75"),
    ("2023-06-21", "4.00"),
    ("2023-08-02", "4.25"),
    ("2023-09-20", "4.50"),
    ("2024-06-12", "4.25"),
    ("2024-09-18", "3.65"),
    ("2024-10-23", "3.40"),
    ("2024-12-18", "3.15"),
    ("2025-02-05", "2.90"),
    ("2025-03-12", "2.65"),
    ("2025-04-23", "2.40"),
    ("2025-06-11", "2.15"),
]

# Taux de l'intérêt légal per half-year: (start, individuals who do not act for professional
# needs, every other case). Sources opened when this table was written:
# - La Clef, "Taux de l'intérêt légal au 1er semestre 2026",
#   https://www.laclef.eu/index.php/actualites/banque/taux-de-l-interet-legal-au-1er-semestre-2026
#   (table from 2015 to the second half of 2025);
# - arrêté du 15 décembre 2025 (JORF n° 0302 of 26 December 2025), as reproduced on
#   https://juriblio.fr/arretes/arrete-du-15-decembre-2025/187383136 (first half of 2026).
# NOTE: the rates of the second half of 2026 could not be checked; users add them on the « Taux » page.
LEGAL_SOURCE = "Arrêtés semestriels (art. L313-2 du Code monétaire et financier)"
LEGAL_RATES = [
    ("2015-01-01", "4.06", "0.93"),
    ("2015-07-01", "4.29", "0.99"),
    ("2016-01-01", "4.54", "1.01"),
    ("2016-07-01", "4.35", "0.93"),
    ("2017-01-01", "4.16", "0.90"),
    ("2017-07-01", "3.94", "0.90"),
    ("2018-01-01", "3.73", "0.89"),
    ("2018-07-01", "3.60", "0.88"),
    ("2019-01-01", "3.40", "0.86"),
    ("2019-07-01", "3.26", "0.87"),
    ("2020-01-01", "3.15", "0.87"),
    ("2020-07-01", "3.11", "0.84"),
    ("2021-01-01", "3.14", "0.79"),
    ("2021-07-01", "3.12", "0.76"),
    ("2022-01-01", "3.13", "0.76"),
    ("2022-07-01", "3.15", "0.77"),
    ("2023-01-01", "4.47", "2.06"),
    ("2023-07-01", "6.82", "4.22"),
    ("2024-01-01", "8.01", "5.07"),
    ("2024-07-01", "8.16", "4.92"),
    ("2025-01-01", "7.21", "3.71"),
    ("2025-07-01", "6.65", "2.76"),
    ("2026-01-01", "6.67", "2.62"),
]


def fill_rates(apps, schema_editor):
    EcbRate = apps.get_model("reminders", "EcbRate")
    LegalInterestRate = apps.get_model("reminders", "LegalInterestRate")
    EcbRate.objects.bulk_create(
        [EcbRate(effective_from=day, rate=Decimal(rate), source=ECB_SOURCE) for day, rate in ECB_RATES]
    )
    LegalInterestRate.objects.bulk_create(
        [
            LegalInterestRate(
                semester_start=day,
                individual_rate=Decimal(individual),
                professional_rate=Decimal(professional),
                source=LEGAL_SOURCE,
            )
            for day, individual, professional in LEGAL_RATES
        ]
    )


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('accounts', '0004_payment_terms'),
        ('customers', '0004_payment_terms'),
        ('invoicing', '0011_payment_terms'),
        ('mailing', '0002_record_cc_recipients'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='EcbRate',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('effective_from', models.DateField(unique=True, verbose_name='en vigueur à partir du')),
                ('rate', models.DecimalField(decimal_places=3, max_digits=6, validators=[django.core.validators.MinValueValidator(-10), django.core.validators.MaxValueValidator(50)], verbose_name='taux de refinancement (%)')),
                ('source', models.CharField(blank=True, max_length=300, verbose_name='source')),
            ],
            options={
                'verbose_name': 'taux de refinancement de la BCE',
                'ordering': ['-effective_from'],
            },
        ),
        migrations.CreateModel(
            name='LegalInterestRate',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('semester_start', models.DateField(unique=True, verbose_name='semestre commençant le')),
                ('individual_rate', models.DecimalField(decimal_places=2, max_digits=5, validators=[django.core.validators.MinValueValidator(0), django.core.validators.MaxValueValidator(50)], verbose_name='créanciers particuliers (%)')),
                ('professional_rate', models.DecimalField(decimal_places=2, max_digits=5, validators=[django.core.validators.MinValueValidator(0), django.core.validators.MaxValueValidator(50)], verbose_name='autres cas, dont les professionnels (%)')),
                ('source', models.CharField(blank=True, max_length=300, verbose_name='source')),
            ],
            options={
                'verbose_name': "taux de l'intérêt légal",
                'ordering': ['-semester_start'],
            },
        ),
        migrations.CreateModel(
            name='InvoiceDispute',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('reason', models.CharField(blank=True, max_length=300, verbose_name='motif du litige')),
                ('opened_at', models.DateTimeField(auto_now_add=True)),
                ('invoice', models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, related_name='dispute', to='invoicing.invoice')),
                ('opened_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('organisation', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='accounts.organisation')),
            ],
            options={
                'verbose_name': 'litige',
            },
        ),
        migrations.CreateModel(
            name='ReminderPlan',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('enabled', models.BooleanField(default=True, help_text='Décochez pour ne plus rien envoyer automatiquement ; « Relancer maintenant » reste possible.', verbose_name='relances automatiques')),
                ('skip_non_working_days', models.BooleanField(default=True, help_text='Une relance prévue un samedi, un dimanche ou un jour férié en France part le jour ouvré suivant.', verbose_name='reporter au jour ouvré suivant')),
                ('customer', models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='reminder_plan', to='customers.customer')),
                ('organisation', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='reminder_plans', to='accounts.organisation')),
            ],
            options={
                'verbose_name': 'plan de relance',
            },
        ),
        migrations.CreateModel(
            name='ReminderLevel',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('offset_days', models.SmallIntegerField(help_text="Négatif avant l'échéance : -3 pour 3 jours avant, 7 pour 7 jours après.", validators=[django.core.validators.MinValueValidator(-60), django.core.validators.MaxValueValidator(365)], verbose_name="jours après l'échéance")),
                ('channel', models.CharField(choices=[('email', 'E-mail'), ('letter', 'Lettre PDF à imprimer et poster')], default='email', max_length=10, verbose_name='canal')),
                ('subject', models.CharField(max_length=300, verbose_name='objet')),
                ('body', models.TextField(verbose_name='message')),
                ('plan', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='levels', to='reminders.reminderplan')),
            ],
            options={
                'verbose_name': 'niveau de relance',
                'ordering': ['offset_days', 'id'],
            },
        ),
        migrations.CreateModel(
            name='Reminder',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('level_label', models.CharField(blank=True, max_length=20)),
                ('is_formal_notice', models.BooleanField(default=False)),
                ('manual', models.BooleanField(default=False)),
                ('channel', models.CharField(choices=[('email', 'E-mail'), ('letter', 'Lettre PDF à imprimer et poster')], max_length=10)),
                ('status', models.CharField(choices=[('sending', "En cours d'envoi"), ('sent', 'Envoyée'), ('failed', "Échec de l'envoi"), ('letter', 'Lettre prête à imprimer')], default='sending', max_length=10)),
                ('planned_on', models.DateField()),
                ('recipients', models.CharField(blank=True, max_length=500)),
                ('subject', models.CharField(max_length=300)),
                ('body', models.TextField()),
                ('principal', models.DecimalField(decimal_places=2, max_digits=14)),
                ('penalties', models.DecimalField(decimal_places=2, max_digits=14)),
                ('indemnity', models.DecimalField(decimal_places=2, max_digits=14)),
                ('letter_pdf', models.BinaryField(blank=True, null=True)),
                ('error', models.TextField(blank=True)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('updated_at', models.DateTimeField(auto_now=True)),
                ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('email', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='mailing.outboundemail')),
                ('invoice', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='reminders', to='invoicing.invoice')),
                ('organisation', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='accounts.organisation')),
                ('level', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='reminders.reminderlevel')),
            ],
            options={
                'verbose_name': 'relance',
                'ordering': ['-created_at', '-id'],
                'constraints': [models.UniqueConstraint(condition=models.Q(('manual', False)), fields=('invoice', 'level'), name='one_automatic_reminder_per_level')],
            },
        ),
        migrations.AddConstraint(
            model_name='reminderplan',
            constraint=models.UniqueConstraint(condition=models.Q(('customer__isnull', True)), fields=('organisation',), name='one_default_reminder_plan'),
        ),
        migrations.AddConstraint(
            model_name='reminderlevel',
            constraint=models.UniqueConstraint(fields=('plan', 'offset_days'), name='unique_reminder_level_offset'),
        ),
        migrations.RunPython(fill_rates, migrations.RunPython.noop),
    ]
