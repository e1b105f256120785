"""The clerk's lists at a desk (1366 x 768) in Chromium: the claim, case and audit lists name each column once,
keep every reference on one line, fit the screen (nothing cut off at the right), and clamp long reasons with
the whole text in the title. Screenshots go to TEST_OUTPUT_DIR/screenshots/admin-list-*.png.
"""

import datetime

import pytest
from django.utils import timezone

from mediation.choices import CaseSource, DisputeType
from mediation.services import case_apply
from portal.audit import audit_record
from portal.choices import Role
from tests.browser.helpers import screenshot_dir
from tests.browser.test_shell import new_page, sign_in
from tests.factories import EnterpriseFactory, UserFactory, district, register_worker
from training.choices import ClaimKind
from training.services import claim_reject, claim_submit
from workers.choices import SkillLevel
from workers.services import certificate_issue

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

DESK = {"width": 1366, "height": 768}
LONG_REASON = (
    "证书编号与职业技能等级认定机构出具的证书信息不一致，且申请人所在企业在申请期间未按规定为其缴纳社会保险，"
    "请补充提供证书原件扫描件、企业出具的在职证明以及近六个月的社保缴费记录后重新提交申请。"
)

# The visible texts of the list's column headings.
HEADINGS = """() => [...document.querySelectorAll('#result_list thead th')]
    .map((th) => th.innerText.trim()).filter((text) => text)"""
# References that break over more than one line: an inline box has one client rect per line.
WRAPPED = """(selector) => [...document.querySelectorAll(`#result_list tbody ${selector}`)]
    .map((cell) => cell.querySelector('a') || cell)
    .filter((box) => {
        const range = document.createRange();
        range.selectNodeContents(box);
        const lines = new Set([...range.getClientRects()].map((r) => Math.round(r.top)));
        const style = getComputedStyle(box);
        const line = parseFloat(style.lineHeight) || parseFloat(style.fontSize) * 1.4;
        return lines.size !== 1 || range.getBoundingClientRect().height > line * 1.5;
    })
    .map((box) => box.innerText)"""
# Whether the list scrolls sideways inside its box, that is, hides columns at the right.
CUT_OFF = """() => { const box = document.querySelector('#changelist .results');
    return box ? box.scrollWidth - box.clientWidth : 0; }"""


@pytest.fixture
def busy_district(roles):
    beilun = district("330206")
    clerk = UserFactory(username="bl_lists", role=Role.DISTRICT_STAFF, district=beilun, first_name="林")
    colleague = UserFactory(username="bl_colleague", role=Role.DISTRICT_STAFF, district=beilun)
    firm = EnterpriseFactory(district=beilun, name="宁波北仑港集装箱码头机械设备制造有限公司")
    workers = [
        register_worker(
            firm,
            sequence=n,
            name=name,
            hired_on=datetime.date(2015, 1, 1),
            bank_account=f"62220212345678901{n:02d}",
        )
        for n, name in enumerate(["欧阳建国", "陈师傅", "司马小芳", "王芳"], start=1)
    ]
    for n, worker in enumerate(workers):
        certificate = certificate_issue(
            by=None, worker_id=worker.pk, level=SkillLevel.SENIOR, occupation="焊工", number=f"LIST-{n}",
            issued_on=timezone.localdate() - datetime.timedelta(days=30),
        )  # fmt: skip
        claim = claim_submit(
            by=clerk, worker_id=worker.pk, kind=ClaimKind.SKILL_SUBSIDY, certificate_id=certificate.pk
        )
        if n == 0:
            claim_reject(claim_id=claim.pk, by=colleague, reason=LONG_REASON)
    for n in range(3):
        case_apply(
            by=clerk,
            applicant_ids=[w.pk for w in workers[: n + 2]],
            enterprise_id=firm.pk,
            dispute_type=DisputeType.PAY,
            claim="要求支付拖欠的三个月工资及经济补偿金",
            claimed_amount="186000",
            source=CaseSource.WALK_IN,
            received_on=timezone.localdate() - datetime.timedelta(days=20 * n),
        )
    audit_record(actor=clerk, action="worker.update", obj=workers[0], summary=LONG_REASON)
    return clerk


@pytest.mark.parametrize(
    ("name", "path", "reference"),
    [
        ("claims", "/admin/training/claim/", ".field-reference"),
        ("cases", "/admin/mediation/disputecase/", ".field-number"),
        ("audit", "/admin/portal/auditevent/", ".field-object_link"),
    ],
)
def test_a_clerks_lists_fit_a_desk_screen(live_server, busy_district, browser, name, path, reference):
    page = new_page(browser, DESK)
    sign_in(page, live_server.url, busy_district.username)
    page.wait_for_url(f"{live_server.url}/admin/")
    page.goto(f"{live_server.url}{path}")
    assert page.locator("#result_list tbody tr").count() >= 3
    page.screenshot(path=screenshot_dir() / f"admin-list-{name}-1366.png", full_page=True)

    headings = page.evaluate(HEADINGS)
    assert len(headings) == len(set(headings)), f"a heading appears twice: {headings}"
    assert page.locator(f"#result_list tbody {reference}").count() >= 3
    assert page.evaluate(WRAPPED, reference) == [], "a reference breaks over two lines"
    assert page.evaluate(CUT_OFF) <= 0, "the list scrolls sideways: columns at the right are cut off"
    if name == "audit":
        clamped = page.locator("#result_list .clamp", has_text=LONG_REASON[:12]).first
        assert clamped.get_attribute("title") == LONG_REASON
        # A worker's account is named by the worker's name, never by its hashed user name.
        assert "bl_lists (林)" in page.locator("#result_list").inner_text()
