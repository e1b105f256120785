"""A clerk's work queue in Chromium: it fits a phone (360 px) and a desk (1366 px), and a clerk approves a
claim from it by following the link to the claim's page and its approve button. Screenshots go to
TEST_OUTPUT_DIR/screenshots/work-queue-*.png.
"""

import datetime

import pytest
from django.utils import timezone

from portal.choices import Role
from tests.browser.helpers import PHONE, screenshot_dir
from tests.browser.test_selfservice import SMALL_TARGETS
from tests.browser.test_shell import new_page, page_width, sign_in
from tests.factories import EnterpriseFactory, UserFactory, district, register_worker
from training.choices import ClaimKind, ClaimStatus
from training.models import Claim
from training.services import claim_review, claim_submit
from workers.choices import SkillLevel
from workers.services import certificate_issue

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

DESK = {"width": 1366, "height": 768}


@pytest.fixture
def reviewed_claim(roles):
    beilun = district("330206")
    submitter = UserFactory(username="bl_counter", role=Role.DISTRICT_STAFF, district=beilun)
    reviewer = UserFactory(username="bl_reviewer", role=Role.DISTRICT_STAFF, district=beilun)
    UserFactory(username="bl_approver", role=Role.DISTRICT_STAFF, district=beilun)
    worker = register_worker(
        EnterpriseFactory(district=beilun), sequence=9, name="陈师傅", bank_account="6222021234567890123",
        hired_on=datetime.date(2015, 1, 1),
    )  # fmt: skip
    certificate = certificate_issue(
        by=None, worker_id=worker.pk, level=SkillLevel.JUNIOR, occupation="焊工", number="WQ-B-1",
        issued_on=timezone.localdate() - datetime.timedelta(days=40),
    )  # fmt: skip
    claim = claim_submit(
        by=submitter, worker_id=worker.pk, kind=ClaimKind.SKILL_SUBSIDY, certificate_id=certificate.pk
    )
    return claim_review(claim_id=claim.pk, by=reviewer)


def test_a_clerk_approves_a_claim_from_the_work_queue(live_server, reviewed_claim, browser):
    base = live_server.url
    shots = screenshot_dir()

    # On a phone: the queue fits, in Chinese, with large enough targets.
    phone = new_page(browser, PHONE)
    sign_in(phone, base, "bl_approver")
    phone.wait_for_url(f"{base}/admin/")
    phone.goto(f"{base}/office/inbox/")
    assert phone.locator("html").get_attribute("lang") == "zh-Hans"
    assert phone.locator("li.record").count() == 1
    assert page_width(phone) <= PHONE["width"], "the queue scrolls sideways on a phone"
    assert phone.evaluate(SMALL_TARGETS) == []
    phone.screenshot(path=shots / "work-queue-phone.png", full_page=True)

    # At a desk: the navigation counts it, the link leads to the claim, the claim's button approves it.
    page = new_page(browser, DESK)
    sign_in(page, base, "bl_approver")
    page.wait_for_url(f"{base}/admin/")
    assert page.locator('#user-tools a[href="/office/inbox/"]').inner_text().endswith("(1)")
    page.goto(f"{base}/office/inbox/")
    assert page_width(page) <= DESK["width"]
    page.screenshot(path=shots / "work-queue-desk.png", full_page=True)
    page.get_by_role("link", name=reviewed_claim.reference).click()
    page.wait_for_url(f"{base}/admin/training/claim/{reviewed_claim.pk}/change/")
    page.locator('a[href$="/decide/approve/"]').click()
    page.wait_for_url(f"{base}/admin/training/claim/{reviewed_claim.pk}/decide/approve/")
    page.locator("#content-main input[type=submit]").click()
    page.wait_for_url(f"{base}/admin/training/claim/{reviewed_claim.pk}/change/")
    assert Claim.objects.get(pk=reviewed_claim.pk).status == ClaimStatus.APPROVED

    page.goto(f"{base}/office/inbox/")
    assert page.locator("li.record").count() == 0
    assert page.locator(".empty-state").is_visible()
    page.screenshot(path=shots / "work-queue-empty-desk.png", full_page=True)
