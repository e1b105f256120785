# The district foreign key follows District to the portal app (portal 0009); the column is unchanged.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("selfservice", "0002_move_labels"),
        ("portal", "0009_district_from_workers"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.AlterField(
                    model_name="bankaccountchange",
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
