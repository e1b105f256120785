# District moves from the workers app to the portal app (the shared base), table unchanged.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0008_selfservice_models_move"),
    ]

    # The model was the workers app's (workers/migrations/0001): its table keeps the name
    # workers_district and its rows; only Django's record of which app owns it changes. The other
    # apps' foreign keys follow in their own state-only migrations, then workers 0006 removes it there
    # and relabels the content type and audit events.
    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name="District",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("code", models.CharField(max_length=6, unique=True, verbose_name="code")),
                        ("name", models.CharField(max_length=32, unique=True, verbose_name="name")),
                        ("name_en", models.CharField(max_length=32, verbose_name="English name")),
                        (
                            "kind",
                            models.CharField(
                                choices=[
                                    ("district", "District"),
                                    ("county", "County"),
                                    ("county_city", "County-level city"),
                                ],
                                max_length=16,
                                verbose_name="kind",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "district",
                        "verbose_name_plural": "districts",
                        "db_table": "workers_district",
                        "ordering": ["code"],
                    },
                ),
                migrations.AlterField(
                    model_name="auditevent",
                    name="district",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        to="portal.district",
                        verbose_name="district",
                    ),
                ),
                migrations.AlterField(
                    model_name="job",
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
                    model_name="user",
                    name="district",
                    field=models.ForeignKey(
                        blank=True,
                        help_text="Required for district staff and district officials; empty for everyone else.",
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="users",
                        to="portal.district",
                        verbose_name="district",
                    ),
                ),
            ],
        ),
    ]
