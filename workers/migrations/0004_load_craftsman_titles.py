"""The two craftsman titles named in the city's talent catalogue; the union adds more in the admin."""

from django.db import migrations

TITLES = [
    ("浙江工匠", "province", "top", "Zhejiang Craftsman: provincial title, listed as top talent (拔尖人才)."),
    ("宁波工匠", "city", "senior", "Ningbo Craftsman: city title, listed as senior talent (高级人才)."),
]


def load(apps, schema_editor):
    CraftsmanTitle = apps.get_model("workers", "CraftsmanTitle")
    for name, level, tier, description in TITLES:
        CraftsmanTitle.objects.get_or_create(
            name=name, defaults={"level": level, "tier": tier, "description": description}
        )


class Migration(migrations.Migration):
    dependencies = [("workers", "0003_registry")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
