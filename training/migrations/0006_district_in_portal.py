# The district foreign keys follow District to the portal app (portal 0009); the columns are unchanged.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("training", "0005_payment_attempts"),
        ("portal", "0009_district_from_workers"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.AlterField(
                    model_name="apprenticeship",
                    name="district",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        to="portal.district",
                        verbose_name="district",
                    ),
                ),
                migrations.AlterField(
                    model_name="claim",
                    name="district",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        to="portal.district",
                        verbose_name="district",
                    ),
                ),
                migrations.AlterField(
                    model_name="enrollment",
                    name="district",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        to="portal.district",
                        verbose_name="district",
                    ),
                ),
                migrations.AlterField(
                    model_name="paymentbatch",
                    name="district",
                    field=models.ForeignKey(
                        blank=True,
                        help_text="Empty: a city-wide batch.",
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        to="portal.district",
                        verbose_name="district",
                    ),
                ),
                migrations.AlterField(
                    model_name="subsidyrule",
                    name="district",
                    field=models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        to="portal.district",
                        verbose_name="district",
                    ),
                ),
                migrations.AlterField(
                    model_name="trainingprogram",
                    name="district",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        to="portal.district",
                        verbose_name="district",
                    ),
                ),
            ],
        ),
    ]
