# The district foreign keys follow District to the portal app (portal 0009); the columns are unchanged.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("indicators", "0004_run_queued"),
        ("portal", "0009_district_from_workers"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.AlterField(
                    model_name="enterprisefigure",
                    name="district",
                    field=models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="portal.district",
                    ),
                ),
                migrations.AlterField(
                    model_name="indicatorvalue",
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
                    model_name="target",
                    name="district",
                    field=models.ForeignKey(
                        blank=True,
                        help_text="Empty: the target of the whole city.",
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        to="portal.district",
                        verbose_name="district",
                    ),
                ),
            ],
        ),
    ]
