"""Stored labels follow the models from portal to selfservice: content types (their permissions and
admin log entries point at them by id, so they follow too) and audit events' object types."""

from django.db import migrations

MODELS = ("activationcode", "bankaccountchange", "noticemarker")


def relabel(apps, old: str, new: str) -> None:
    ContentType = apps.get_model("contenttypes", "ContentType")
    AuditEvent = apps.get_model("portal", "AuditEvent")
    for model in MODELS:
        # A content type already made under the new label (post_migrate of a half-run migrate) would
        # clash with the old one on (app_label, model); the old one keeps the permissions, so it wins.
        if ContentType.objects.filter(app_label=old, model=model).exists():
            ContentType.objects.filter(app_label=new, model=model).delete()
            ContentType.objects.filter(app_label=old, model=model).update(app_label=new)
        AuditEvent.objects.filter(object_type=f"{old}.{model}").update(object_type=f"{new}.{model}")


def forwards(apps, schema_editor):
    relabel(apps, "portal", "selfservice")


def backwards(apps, schema_editor):
    relabel(apps, "selfservice", "portal")


class Migration(migrations.Migration):
    dependencies = [
        ("selfservice", "0001_initial"),
        ("portal", "0008_selfservice_models_move"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
