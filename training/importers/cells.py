"""Training's cells: its choices read from labels and aliases, and the checks its formats share.

The registry's readers (dates, yes/no, skill levels, years, yuan) are workers.importers.cells; they are
offered here too, so a training importer reads every kind of cell through one module.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from portal.spreadsheets.seen import FirstSeen
from training.choices import ClaimKind, Degree, EnrollmentStatus, ProgramType
from training.models.program import program_id_from_reference
from workers.importers.cells import ChoiceReader, date, skill_level, text, year, yes_no, yuan  # noqa: F401

program_type = ChoiceReader(
    ProgramType,
    {
        "现代学徒制": ProgramType.MODERN_APPRENTICESHIP, "企业新型学徒制": ProgramType.ENTERPRISE_APPRENTICESHIP,
        "新型学徒制": ProgramType.ENTERPRISE_APPRENTICESHIP, "以工代训": ProgramType.WORK_BASED,
        "岗位技能提升": ProgramType.SKILL_UPGRADE, "技能提升": ProgramType.SKILL_UPGRADE,
        "产教融合": ProgramType.INDUSTRY_EDUCATION, "竞赛培训": ProgramType.COMPETITION,
        "技能竞赛": ProgramType.COMPETITION,
    },
)  # fmt: skip
enrollment_status = ChoiceReader(
    EnrollmentStatus,
    {
        "在训": EnrollmentStatus.ENROLLED, "报名": EnrollmentStatus.ENROLLED, "已报名": EnrollmentStatus.ENROLLED,
        "结业": EnrollmentStatus.COMPLETED, "已结业": EnrollmentStatus.COMPLETED, "完成": EnrollmentStatus.COMPLETED,
        "退出": EnrollmentStatus.DROPPED, "中途退出": EnrollmentStatus.DROPPED, "退学": EnrollmentStatus.DROPPED,
    },
)  # fmt: skip
claim_kind = ChoiceReader(
    ClaimKind,
    {
        "技能提升补贴": ClaimKind.SKILL_SUBSIDY, "技能补贴": ClaimKind.SKILL_SUBSIDY,
        "带徒津贴": ClaimKind.APPRENTICESHIP_STIPEND, "师带徒津贴": ClaimKind.APPRENTICESHIP_STIPEND,
        "学费补助": ClaimKind.TUITION, "学历提升": ClaimKind.TUITION, "学费": ClaimKind.TUITION,
        "工匠奖励": ClaimKind.CRAFTSMAN_AWARD, "工匠奖": ClaimKind.CRAFTSMAN_AWARD,
    },
)  # fmt: skip
degree = ChoiceReader(
    Degree, {"大专": Degree.COLLEGE, "专科": Degree.COLLEGE, "本科": Degree.BACHELOR, "硕士": Degree.MASTER}
)


def not_future(today: datetime.date):
    def parse(raw: object) -> datetime.date:
        value = date(raw)
        if value > today:
            raise ValidationError(_("The date cannot be in the future."))
        return value

    return parse


def whole_number(raw: object) -> int:
    value = text(raw)
    if not value.isdigit() or len(value) > 9:
        raise ValidationError(_("“%(value)s” is not a whole number.") % {"value": value})
    return int(value)


def positive_yuan(raw: object) -> Decimal:
    value = yuan(raw)
    if value <= 0 or value >= Decimal("10000000000"):
        raise ValidationError(_("The amount must be more than 0 yuan."))
    return value


def program_reference(raw: object) -> int:
    value = program_id_from_reference(text(raw))
    if value is None:
        raise ValidationError(_("“%(value)s” is not a program number such as PX000123.") % {"value": raw})
    return value


def first_seen(seen: FirstSeen, key, row: int, errors: list, column: str, message: str) -> None:
    first = seen.setdefault(key, row)
    if first != row:
        errors.append((column, message % {"row": first}))
