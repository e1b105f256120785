"""Load Ningbo's ten county-level divisions (GB/T 2260)."""

from django.db import migrations

DISTRICTS = [
    ("330203", "海曙区", "Haishu", "district"),
    ("330205", "江北区", "Jiangbei", "district"),
    ("330206", "北仑区", "Beilun", "district"),
    ("330211", "镇海区", "Zhenhai", "district"),
    ("330212", "鄞州区", "Yinzhou", "district"),
    ("330213", "奉化区", "Fenghua", "district"),
    ("330225", "象山县", "Xiangshan", "county"),
    ("330226", "宁海县", "Ninghai", "county"),
    ("330281", "余姚市", "Yuyao", "county_city"),
    ("330282", "慈溪市", "Cixi", "county_city"),
]


def load(apps, schema_editor):
    District = apps.get_model("workers", "District")
    for code, name, name_en, kind in DISTRICTS:
        District.objects.update_or_create(code=code, defaults={"name": name, "name_en": name_en, "kind": kind})


def unload(apps, schema_editor):
    apps.get_model("workers", "District").objects.filter(code__in=[d[0] for d in DISTRICTS]).delete()


class Migration(migrations.Migration):
    dependencies = [("workers", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
