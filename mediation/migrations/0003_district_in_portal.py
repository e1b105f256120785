# The district foreign keys follow District to the portal app (portal 0009); the columns are unchanged.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("mediation", "0002_uploads_under_random_names"),
        ("portal", "0009_district_from_workers"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.AlterField(
                    model_name="casenumbercounter",
                    name="district",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        to="portal.district",
                        verbose_name="district",
                    ),
                ),
                migrations.AlterField(
                    model_name="disputecase",
                    name="district",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        to="portal.district",
                        verbose_name="district",
                    ),
                ),
                migrations.AlterField(
                    model_name="mediationcommittee",
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
