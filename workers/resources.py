"""The registry's spreadsheet formats: Chinese column headers, import rules, masked and escaped exports.

The columns and the template are portal.spreadsheets.columns; workers/importers/ reads the same
columns and runs the registry's validators set-based.

The headers are the file format, not interface text: they stay Chinese in every language, so a file
exported or filled in by one clerk imports for any other.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from portal.spreadsheets.columns import (
    DATE_RULE,
    YES_NO_RULE,
    Column,
    PortalResource,
    _rule,
    choice_list,
)
from workers.choices import Education, Nomination, Ownership, PilotLevel, SizeBand, SkillLevel
from workers.models import CraftsmanAward, Enterprise, SkillCertificate, Worker


class EnterpriseResource(PortalResource):
    name = Column(attribute="name", column_name="企业名称", required=True, rule=_("Up to 200 characters."))
    credit_code = Column(
        attribute="credit_code",
        column_name="统一社会信用代码",
        required=True,
        text=True,
        rule=_(
            "18 characters; the key of the row. The credit code and district of a registered "
            "enterprise cannot be changed."
        ),
    )
    district = Column(
        attribute="district__name",
        column_name="所在区（县、市）",
        required=True,
        rule=_("The district's name (北仑区) or its six-digit code (330206)."),
    )
    address = Column(attribute="address", column_name="地址", rule=_("Up to 255 characters."))
    ownership = Column(
        attribute="ownership",
        column_name="所有制",
        choices=Ownership,
        rule=_("非公 or 公有; blank means 非公."),
    )
    above_scale = Column(attribute="above_scale", column_name="是否规上企业", rule=YES_NO_RULE)
    union_established_on = Column(
        attribute="union_established_on", column_name="工会成立日期", rule=DATE_RULE
    )
    size_band = Column(attribute="size_band", column_name="规模", choices=SizeBand)
    pilot_level = Column(attribute="pilot_level", column_name="产改试点", choices=PilotLevel)

    select_related = ("district",)

    class Meta:
        model = Enterprise
        fields = (
            "name",
            "credit_code",
            "district",
            "address",
            "ownership",
            "above_scale",
            "union_established_on",
            "size_band",
            "pilot_level",
        )

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.fields["size_band"].rule = choice_list(SizeBand)
        self.fields["pilot_level"].rule = choice_list(PilotLevel)


class WorkerResource(PortalResource):
    name = Column(attribute="name", column_name="姓名", required=True, rule=_("Up to 64 characters."))
    id_number = Column(
        attribute="id_number",
        column_name="身份证号",
        required=True,
        mask="id_number",
        text=True,
        rule=_("18 characters, the key of the row. Format the column as text, or Excel rounds the number."),
    )
    phone = Column(
        attribute="phone", column_name="手机号", mask="phone", text=True, rule=_("An 11-digit mobile number.")
    )
    bank_account = Column(
        attribute="bank_account",
        column_name="银行账号",
        mask="bank_account",
        text=True,
        rule=_("Optional: 12 to 30 digits, for payouts."),
    )
    credit_code = Column(
        attribute="enterprise__credit_code",
        column_name="企业统一社会信用代码",
        required=True,
        text=True,
        rule=_(
            "The credit code of a registered enterprise. A different enterprise than the registered one "
            "moves the worker there from the hire date."
        ),
    )
    occupation = Column(attribute="occupation", column_name="职业", rule=_("Up to 64 characters."))
    position = Column(attribute="position", column_name="岗位", rule=_("Up to 64 characters."))
    education = Column(attribute="education", column_name="学历", choices=Education)
    union_member = Column(attribute="union_member", column_name="是否工会会员", rule=YES_NO_RULE)
    hired_on = Column(
        attribute="hired_on",
        column_name="入职日期",
        required=True,
        rule=_rule(DATE_RULE, _("The worker must be at least 16 on that day.")),
    )
    # Exported only: where the worker counts and what they hold.
    enterprise_name = Column(attribute="enterprise__name", column_name="企业名称", readonly=True)
    district = Column(attribute="district__name", column_name="所在区（县、市）", readonly=True)
    skill_level = Column(attribute="skill_level", column_name="技能等级", choices=SkillLevel, readonly=True)
    left_on = Column(attribute="left_on", column_name="离职日期", readonly=True)

    select_related = ("enterprise", "district")

    class Meta:
        model = Worker
        fields = (
            "name",
            "id_number",
            "phone",
            "bank_account",
            "credit_code",
            "occupation",
            "position",
            "education",
            "union_member",
            "hired_on",
            "enterprise_name",
            "district",
            "skill_level",
            "left_on",
        )

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.fields["education"].rule = choice_list(Education)


LEVEL_RULE = _("学徒工, 初级工, 中级工, 高级工, 技师, 高级技师, 特级技师 or 首席技师 (or 五级 … 一级).")


class SkillCertificateResource(PortalResource):
    id_number = Column(
        attribute="worker__id_number",
        column_name="身份证号",
        required=True,
        mask="id_number",
        text=True,
        rule=_("The ID number of a registered worker."),
    )
    worker_name = Column(attribute="worker__name", column_name="姓名", readonly=True)
    number = Column(
        attribute="number",
        column_name="证书编号",
        required=True,
        text=True,
        rule=_("Up to 64 characters; the key of the row."),
    )
    occupation = Column(
        attribute="occupation", column_name="职业", required=True, rule=_("Up to 64 characters.")
    )
    level = Column(attribute="level", column_name="等级", required=True, choices=SkillLevel, rule=LEVEL_RULE)
    issuing_body = Column(attribute="issuing_body", column_name="发证机构", rule=_("Up to 128 characters."))
    issued_on = Column(
        attribute="issued_on",
        column_name="发证日期",
        required=True,
        rule=_rule(DATE_RULE, _("Not in the future.")),
    )
    revoked_on = Column(attribute="revoked_on", column_name="撤销日期", readonly=True)

    select_related = ("worker",)
    notes = (
        _("A registered certificate is not changed by an import; revocations are recorded on its page."),
    )

    class Meta:
        model = SkillCertificate
        fields = (
            "id_number",
            "worker_name",
            "number",
            "occupation",
            "level",
            "issuing_body",
            "issued_on",
            "revoked_on",
        )


class CraftsmanAwardResource(PortalResource):
    id_number = Column(
        attribute="worker__id_number",
        column_name="身份证号",
        required=True,
        mask="id_number",
        text=True,
        rule=_("The ID number of a registered worker."),
    )
    worker_name = Column(attribute="worker__name", column_name="姓名", readonly=True)
    title = Column(
        attribute="title__name",
        column_name="称号",
        required=True,
        rule=_("A title of the registry (宁波工匠 …)."),
    )
    year = Column(
        attribute="year", column_name="年度", required=True, rule=_("The award year, such as 2021.")
    )
    locally_trained = Column(attribute="locally_trained", column_name="是否本土培养", rule=YES_NO_RULE)
    nominated_by = Column(attribute="nominated_by", column_name="推荐方式", required=True, choices=Nomination)

    select_related = ("worker", "title")
    notes = (_("A registered award is not changed by an import."),)

    class Meta:
        model = CraftsmanAward
        fields = ("id_number", "worker_name", "title", "year", "locally_trained", "nominated_by")

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.fields["nominated_by"].rule = choice_list(Nomination)
