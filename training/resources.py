"""The training spreadsheets: programs, enrolments (培训名单) and claims, with Chinese column headers.

As in workers/resources.py, the headers are the file format, not interface text: they stay Chinese in
every language. Exports mask ID numbers and bank accounts and escape formulas; the bank disbursement
file (training.services.payments) is the only file with full account numbers.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from portal.spreadsheets.columns import (
    DATE_RULE,
    YES_NO_RULE,
    AmountColumn,
    Column,
    PortalResource,
    _rule,
    choice_list,
)
from training.choices import ClaimKind, ClaimStatus, Degree, EnrollmentStatus, ProgramType
from training.models import Claim, Enrollment, TrainingProgram
from workers.choices import SkillLevel
from workers.resources import LEVEL_RULE

PROGRAM_REFERENCE_RULE = _("The program number shown in the program list (PX000123).")


class TrainingProgramResource(PortalResource):
    reference = Column(attribute="reference", column_name="项目编号", readonly=True)
    name = Column(
        attribute="name",
        column_name="项目名称",
        required=True,
        rule=_("Up to 200 characters. Name, district and start date together are the key of the row."),
    )
    program_type = Column(
        attribute="program_type", column_name="培训类型", required=True, choices=ProgramType
    )
    district = Column(
        attribute="district__name",
        column_name="所在区（县、市）",
        required=True,
        rule=_("The district's name (北仑区) or its six-digit code (330206)."),
    )
    provider_credit_code = Column(
        attribute="provider_enterprise__credit_code",
        column_name="承办企业统一社会信用代码",
        text=True,
        rule=_("The credit code of a registered enterprise, when an enterprise runs the program."),
    )
    provider_enterprise = Column(attribute="provider_enterprise__name", column_name="承办企业", readonly=True)
    provider_school = Column(
        attribute="provider_school",
        column_name="承办院校",
        rule=_("When a school runs the program; fill in this or the enterprise's credit code."),
    )
    occupation = Column(attribute="occupation", column_name="职业（工种）", rule=_("Up to 64 characters."))
    target_level = Column(
        attribute="target_level", column_name="目标等级", choices=SkillLevel, rule=LEVEL_RULE
    )
    starts_on = Column(attribute="starts_on", column_name="开始日期", required=True, rule=DATE_RULE)
    ends_on = Column(
        attribute="ends_on",
        column_name="结束日期",
        required=True,
        rule=_rule(DATE_RULE, _("Not before the start date.")),
    )
    capacity = Column(
        attribute="capacity", column_name="计划人数", rule=_("A whole number; blank for no limit.")
    )

    select_related = ("district", "provider_enterprise")
    notes = (
        _(
            "A program is matched on its name, district and start date: a registered one is updated, a new one "
            "is added."
        ),
    )

    class Meta:
        model = TrainingProgram
        fields = (
            "reference", "name", "program_type", "district", "provider_credit_code", "provider_enterprise",
            "provider_school", "occupation", "target_level", "starts_on", "ends_on", "capacity",
        )  # fmt: skip

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.fields["program_type"].rule = choice_list(ProgramType)


class EnrollmentResource(PortalResource):
    program_reference = Column(
        attribute="program__reference",
        column_name="项目编号",
        required=True,
        text=True,
        rule=PROGRAM_REFERENCE_RULE,
    )
    program_name = Column(attribute="program__name", column_name="项目名称", readonly=True)
    id_number = Column(
        attribute="worker__id_number",
        column_name="身份证号",
        required=True,
        mask="id_number",
        text=True,
        rule=_("The ID number of a registered worker; with the program number, the key of the row."),
    )
    worker_name = Column(attribute="worker__name", column_name="姓名", readonly=True)
    enrolled_on = Column(
        attribute="enrolled_on",
        column_name="报名日期",
        required=True,
        rule=_rule(DATE_RULE, _("Within the program's dates; the worker must be employed that day.")),
    )
    status = Column(attribute="status", column_name="状态", choices=EnrollmentStatus)
    completed_on = Column(
        attribute="completed_on",
        column_name="结业日期",
        rule=_rule(DATE_RULE, _("Required when the status is completed.")),
    )
    certificate_number = Column(
        attribute="certificate__number",
        column_name="取得证书编号",
        text=True,
        rule=_("Optional: the number of a registered certificate of this worker, earned by the training."),
    )
    district = Column(attribute="district__name", column_name="所在区（县、市）", readonly=True)

    select_related = ("program", "worker", "certificate", "district")
    notes = (
        _(
            "An enrolment is matched on the program number and the ID number. A registered enrolment's status "
            "moves from enrolled to completed or dropped; nothing else of it is changed by an import."
        ),
    )

    class Meta:
        model = Enrollment
        fields = (
            "program_reference", "program_name", "id_number", "worker_name", "enrolled_on", "status",
            "completed_on", "certificate_number", "district",
        )  # fmt: skip

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.fields["status"].rule = _rule(choice_list(EnrollmentStatus), _("Blank means enrolled."))


class ClaimResource(PortalResource):
    reference = Column(attribute="reference", column_name="申请编号", readonly=True)
    kind = Column(attribute="kind", column_name="补贴类型", required=True, choices=ClaimKind)
    id_number = Column(
        attribute="worker__id_number",
        column_name="身份证号",
        required=True,
        mask="id_number",
        text=True,
        rule=_("The ID number of the registered worker who claims (for a stipend: the master)."),
    )
    worker_name = Column(attribute="worker__name", column_name="姓名", readonly=True)
    district = Column(attribute="district__name", column_name="所在区（县、市）", readonly=True)
    # Skill-upgrade subsidy
    certificate_number = Column(
        attribute="certificate__number",
        column_name="证书编号",
        text=True,
        rule=_("Skill subsidy: the number of the worker's registered certificate."),
    )
    program_type = Column(
        attribute=None,
        column_name="培训类型",
        choices=ProgramType,
        rule=_("Skill subsidy, optional: the type of training, where the rules pay by type."),
    )
    # Apprenticeship stipend
    apprentice_id_number = Column(
        attribute="apprenticeship__apprentice__id_number",
        column_name="徒弟身份证号",
        mask="id_number",
        text=True,
        rule=_("Apprenticeship stipend: the apprentice's ID number."),
    )
    apprenticeship_starts_on = Column(
        attribute="apprenticeship__starts_on",
        column_name="带徒协议开始日期",
        rule=_("Apprenticeship stipend: the start date of the agreement, when the pair has several."),
    )
    # Craftsman award
    award_title = Column(
        attribute="award__title__name",
        column_name="称号",
        rule=_("Craftsman award: the title of the worker's registered award (宁波工匠 …)."),
    )
    award_year = Column(
        attribute="award__year",
        column_name="年度",
        rule=_("Craftsman award: the award year. A title is paid once per person, whatever the year."),
    )
    # Tuition reimbursement
    degree = Column(attribute="tuition__degree", column_name="学历", choices=Degree)
    institution = Column(
        attribute="tuition__institution", column_name="院校", rule=_("Tuition: up to 128 characters.")
    )
    major = Column(attribute="tuition__major", column_name="专业", rule=_("Tuition: up to 128 characters."))
    tuition_paid = AmountColumn(
        attribute="tuition__tuition_paid",
        column_name="学费（元）",
        rule=_("Tuition: the yuan paid, such as 8800."),
    )
    tuition_paid_on = Column(attribute="tuition__paid_on", column_name="缴费日期", rule=DATE_RULE)
    relevant_to_job = Column(
        attribute="tuition__relevant_to_job",
        column_name="专业与岗位相关",
        rule=_rule(YES_NO_RULE, _("Tuition is reimbursed only for a major relevant to the job.")),
    )
    note = Column(attribute="note", column_name="备注", rule=_("Up to 255 characters."))
    # Exported only: what the rules and the workflow made of the claim.
    amount = AmountColumn(attribute="amount", column_name="金额（元）", readonly=True)
    rule_name = Column(attribute="rule__name", column_name="适用规则", readonly=True)
    rule_version = Column(attribute="rule__version", column_name="规则版本", readonly=True)
    status = Column(attribute="status", column_name="状态", choices=ClaimStatus, readonly=True)
    submitted_at = Column(attribute="submitted_at", column_name="申请时间", readonly=True)
    paid_at = Column(attribute="paid_at", column_name="支付时间", readonly=True)
    closed_reason = Column(attribute="closed_reason", column_name="退回/驳回原因", readonly=True)

    select_related = (
        "worker", "district", "certificate", "apprenticeship__apprentice", "award__title", "tuition", "rule",
    )  # fmt: skip
    notes = (
        _(
            "Each row is a new claim, judged by the rules in force like a claim entered on its page; the amount "
            "comes from the rules, the payee account from the worker's record."
        ),
        _(
            "A claim already registered for the same certificate, award, apprenticeship or tuition is left as it is."
        ),
        _("Fill in the columns of the row's kind only."),
    )

    class Meta:
        model = Claim
        fields = (
            "reference", "kind", "id_number", "worker_name", "district", "certificate_number", "program_type",
            "apprentice_id_number", "apprenticeship_starts_on", "award_title", "award_year", "degree",
            "institution", "major", "tuition_paid", "tuition_paid_on", "relevant_to_job", "note", "amount",
            "rule_name", "rule_version", "status", "submitted_at", "paid_at", "closed_reason",
        )  # fmt: skip

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.fields["kind"].rule = _rule(
            choice_list(ClaimKind),
            _("A new tuition claim needs the receipt's scan: enter it on the claim page, not in a file."),
        )
        self.fields["degree"].rule = _rule(_("Tuition:"), choice_list(Degree))

    @classmethod
    def export_queryset(cls, queryset: QuerySet) -> QuerySet:
        # Whatever a list deferred, the export reads whole rows.
        return super().export_queryset(queryset).defer(None)
