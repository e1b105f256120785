"""The registry's cells: its choices read from labels and aliases, yes/no and dates by its validators.

The shared readers (text, digits, years, yuan, ChoiceReader) are portal.spreadsheets.cells; they are
offered here too, so an importer reads every kind of cell through one module.
"""

from __future__ import annotations

from portal.spreadsheets.cells import (  # noqa: F401
    ChoiceReader,
    digits_text,
    max_length,
    message_of,
    text,
    year,
    yuan,
)
from workers import validators
from workers.choices import Education, Nomination, Ownership, PilotLevel, SizeBand, SkillLevel

ownership = ChoiceReader(
    Ownership, {"非公": Ownership.NON_PUBLIC, "公有": Ownership.PUBLIC, "民营": Ownership.NON_PUBLIC}
)
size_band = ChoiceReader(
    SizeBand,
    {"微型": SizeBand.MICRO, "小型": SizeBand.SMALL, "中型": SizeBand.MEDIUM, "大型": SizeBand.LARGE},
)
pilot_level = ChoiceReader(
    PilotLevel,
    {
        "否": PilotLevel.NONE,
        "无": PilotLevel.NONE,
        "市级": PilotLevel.CITY,
        "省级": PilotLevel.PROVINCE,
        "市试点": PilotLevel.CITY,
        "省试点": PilotLevel.PROVINCE,
    },
)
skill_level = ChoiceReader(
    SkillLevel,
    {
        "学徒工": SkillLevel.APPRENTICE,
        "学徒": SkillLevel.APPRENTICE,
        "初级工": SkillLevel.JUNIOR,
        "五级": SkillLevel.JUNIOR,
        "初级": SkillLevel.JUNIOR,
        "中级工": SkillLevel.INTERMEDIATE,
        "四级": SkillLevel.INTERMEDIATE,
        "中级": SkillLevel.INTERMEDIATE,
        "高级工": SkillLevel.SENIOR,
        "三级": SkillLevel.SENIOR,
        "高级": SkillLevel.SENIOR,
        "技师": SkillLevel.TECHNICIAN,
        "二级": SkillLevel.TECHNICIAN,
        "高级技师": SkillLevel.SENIOR_TECHNICIAN,
        "一级": SkillLevel.SENIOR_TECHNICIAN,
        "特级技师": SkillLevel.PRINCIPAL_TECHNICIAN,
        "首席技师": SkillLevel.CHIEF_TECHNICIAN,
    },
)
nomination = ChoiceReader(
    Nomination,
    {
        "单位推荐": Nomination.EMPLOYER,
        "个人自荐": Nomination.SELF,
        "社会推荐": Nomination.PUBLIC,
        "单位": Nomination.EMPLOYER,
        "自荐": Nomination.SELF,
        "社会": Nomination.PUBLIC,
    },
)


education = ChoiceReader(
    Education,
    {
        "小学": Education.PRIMARY, "中专": Education.VOCATIONAL, "中职": Education.VOCATIONAL,
        "技校": Education.VOCATIONAL, "职高": Education.VOCATIONAL, "专科": Education.COLLEGE,
        "大学本科": Education.BACHELOR, "硕士": Education.MASTER, "研究生": Education.MASTER,
        "博士": Education.MASTER,
    },
)  # fmt: skip


def yes_no(raw: object) -> bool:
    return validators.parse_yes_no(raw.strip() if isinstance(raw, str) else raw)


def date(raw: object):
    return validators.parse_date(raw)
