# District leaves the workers app for the portal app (portal 0009), table and rows unchanged; its stored
# labels follow: the content type (its permissions and admin log entries point at it by id, so they
# follow too) and audit events' object types.

import django.db.models.deletion
from django.db import migrations, models


def relabel(apps, old: str, new: str) -> None:
    ContentType = apps.get_model("contenttypes", "ContentType")
    AuditEvent = apps.get_model("portal", "AuditEvent")
    # A content type already made under the new label (post_migrate of a half-run migrate) would
    # clash with the old one on (app_label, model); the old one keeps the permissions, so it wins.
    if ContentType.objects.filter(app_label=old, model="district").exists():
        ContentType.objects.filter(app_label=new, model="district").delete()
        ContentType.objects.filter(app_label=old, model="district").update(app_label=new)
    AuditEvent.objects.filter(object_type=f"{old}.district").update(object_type=f"{new}.district")


def forwards(apps, schema_editor):
    relabel(apps, "workers", "portal")


def backwards(apps, schema_editor):
    relabel(apps, "portal", "workers")


class Migration(migrations.Migration):
    # After every app's foreign keys point at portal.District in Django's state (each app's
    # 00NN_district_in_portal), so that removing the model here leaves no reference to it.
    dependencies = [
        ("workers", "0005_bank_details"),
        ("portal", "0009_district_from_workers"),
        ("training", "0006_district_in_portal"),
        ("mediation", "0003_district_in_portal"),
        ("indicators", "0005_district_in_portal"),
        ("selfservice", "0003_district_in_portal"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.AlterField(
                    model_name="employment",
                    name="district",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        to="portal.district",
                        verbose_name="district",
                    ),
                ),
                migrations.AlterField(
                    model_name="worker",
                    name="district",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="workers",
                        to="portal.district",
                        verbose_name="district",
                    ),
                ),
                migrations.AlterField(
                    model_name="enterprise",
                    name="district",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        to="portal.district",
                        verbose_name="district",
                    ),
                ),
                migrations.DeleteModel(
                    name="District",
                ),
            ],
        ),
        migrations.RunPython(forwards, backwards, elidable=False),
    ]
