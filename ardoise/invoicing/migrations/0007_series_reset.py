"""Give each numbering series an explicit reset policy.

Until now the reset was inferred from the pattern: monthly when it had {MM}
and a year, yearly when it had a year, never otherwise. The data step stores
exactly that inference, so every existing counter period keeps its meaning.
"""

from django.db import migrations, models

from ardoise.invoicing import triggers


def store_inferred_reset(apps, schema_editor):
    NumberingSeries = apps.get_model("invoicing", "NumberingSeries")
    for series in NumberingSeries.objects.all():
        has_year = "{YYYY}" in series.pattern or "{YY}" in series.pattern
        if has_year and "{MM}" in series.pattern:
            series.reset = "monthly"
        elif has_year:
            series.reset = "yearly"
        else:
            series.reset = "never"
        series.save(update_fields=["reset"])


class Migration(migrations.Migration):
    dependencies = [
        ("invoicing", "0006_credit_notes"),
    ]

    operations = [
        triggers.drop_operation(),
        migrations.AlterModelOptions(
            name="numberingseries",
            options={
                "ordering": ["name", "id"],
                "verbose_name": "séquence de numérotation",
                "verbose_name_plural": "séquences de numérotation",
            },
        ),
        migrations.AddField(
            model_name="numberingseries",
            name="reset",
            field=models.CharField(
                choices=[("yearly", "Chaque année"), ("monthly", "Chaque mois"), ("never", "Jamais")],
                default="yearly",
                max_length=10,
                verbose_name="remise à zéro du compteur",
            ),
        ),
        migrations.AlterField(
            model_name="numberingseries",
            name="is_default",
            field=models.BooleanField(default=False, verbose_name="séquence par défaut"),
        ),
        migrations.AlterField(
            model_name="numberingseries",
            name="pattern",
            field=models.CharField(
                default="F-{YYYY}-{NNNN}",
                help_text=(
                    "Un préfixe et les balises {YYYY} (année), {YY} (année sur 2 chiffres), {MM} (mois) et un "
                    "compteur {NNNN} (autant de N que de chiffres), par exemple F-{YYYY}-{NNNN}."
                ),
                max_length=60,
                verbose_name="modèle de numéro",
            ),
        ),
        migrations.RunPython(store_inferred_reset, migrations.RunPython.noop),
        triggers.create_operation(),
    ]
