"""The rules reported for Ningbo, as editable data (DOMAIN.md); amounts marked example are placeholders."""

import datetime
from decimal import Decimal

from django.db import migrations


def load(apps, schema_editor):
    Rule = apps.get_model("training", "SubsidyRule")
    District = apps.get_model("workers", "District")
    Title = apps.get_model("workers", "CraftsmanTitle")
    if Rule.objects.exists():
        return
    start = datetime.date(2021, 1, 1)
    for level, amount, label in ((2, "1000", "初级工"), (3, "1500", "中级工"), (4, "2000", "高级工")):
        Rule.objects.create(
            kind="skill_subsidy", name=f"职业技能提升补贴（{label}）", valid_from=start, level=level,
            amount=Decimal(amount), window_months=12, yearly_limit=3,
        )
    Rule.objects.create(
        kind="tuition", name="学历提升学费报销（专业对口，70%）", valid_from=start,
        rate=Decimal("0.7"), cap=Decimal("10000"),
    )
    Rule.objects.create(
        kind="apprenticeship_stipend", name="师带徒带教津贴（示例金额，请按本地政策修改）", valid_from=start,
        amount=Decimal("2000"),
    )
    beilun = District.objects.filter(code="330206").first()
    zhejiang = Title.objects.filter(name="浙江工匠").first()
    if beilun and zhejiang:
        Rule.objects.create(
            kind="craftsman_award", name="北仑区本土培养“浙江工匠”一次性奖励", valid_from=start,
            district=beilun, title=zhejiang, locally_trained=True, amount=Decimal("200000"),
        )


class Migration(migrations.Migration):
    dependencies = [("training", "0001_initial"), ("workers", "0004_load_craftsman_titles")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
