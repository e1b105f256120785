"""The two loaded craftsman titles described in Chinese, as the union's staff read them (0004 wrote English).

Only a description still as 0004 wrote it changes; one the union has edited since is kept.
"""

from django.db import migrations

DESCRIPTIONS = {
    # name: (0004's English, Chinese)
    "浙江工匠": (
        "Zhejiang Craftsman: provincial title, listed as top talent (拔尖人才).",
        "浙江工匠：省级称号，列为拔尖人才。",
    ),
    "宁波工匠": (
        "Ningbo Craftsman: city title, listed as senior talent (高级人才).",
        "宁波工匠：市级称号，列为高级人才。",
    ),
}


def to_chinese(apps, schema_editor):
    CraftsmanTitle = apps.get_model("workers", "CraftsmanTitle")
    for name, (english, chinese) in DESCRIPTIONS.items():
        CraftsmanTitle.objects.filter(name=name, description=english).update(description=chinese)


def to_english(apps, schema_editor):
    CraftsmanTitle = apps.get_model("workers", "CraftsmanTitle")
    for name, (english, chinese) in DESCRIPTIONS.items():
        CraftsmanTitle.objects.filter(name=name, description=chinese).update(description=english)


class Migration(migrations.Migration):
    dependencies = [("workers", "0006_district_to_portal")]
    operations = [migrations.RunPython(to_chinese, to_english)]
