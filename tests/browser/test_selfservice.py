"""A worker's self-service on a phone (360×740, browser asking for English): activate, sign in with the ID
number, read a claim's timeline, apply for a subsidy, get a Chinese error on a mediation form, switch to
English. Screenshots of each page go to TEST_OUTPUT_DIR/screenshots/selfservice-*.png.
"""

import datetime

import pytest
from django.utils import timezone, translation

from portal.choices import Role
from tests.browser.helpers import PHONE, screenshot_dir
from tests.browser.test_shell import new_page, page_width
from tests.factories import EnterpriseFactory, UserFactory, district, register_worker
from training.choices import ClaimKind
from training.services import claim_review, claim_submit
from workers.choices import SkillLevel
from workers.services import certificate_issue

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


NEW_PASSWORD = "Lanterns-on-the-river-9"
PHONE_NUMBER = "13900000007"

# A radio button or checkbox is tapped through its label, so the label is what must be large enough.
SMALL_TARGETS = """() => [...document.querySelectorAll('#main a[href], #main button, #main input:not([type=hidden]), #main select, #main summary')]
    .map((el) => ['radio', 'checkbox'].includes(el.type)
        ? (el.closest('label') || document.querySelector(`label[for="${el.id}"]`) || el) : el)
    .map((el) => ({text: (el.innerText || el.name || el.id).slice(0, 40), box: el.getBoundingClientRect()}))
    .filter(({box}) => box.height > 0 && box.height < 44)
    .map(({text, box}) => `${text}: ${Math.round(box.height)}px`)"""


@pytest.fixture
def records(roles):
    firm = EnterpriseFactory(district=district("330206"))
    worker = register_worker(
        firm, sequence=7, name="王小明", phone=PHONE_NUMBER, bank_account="6222021234567890123",
        hired_on=datetime.date(2015, 1, 1),
    )  # fmt: skip
    clerk = UserFactory(username="beilun_clerk", role=Role.DISTRICT_STAFF, district=district("330206"))
    reviewer = UserFactory(username="beilun_reviewer", role=Role.DISTRICT_STAFF, district=district("330206"))
    today = timezone.localdate()
    counter_certificate = certificate_issue(
        by=None, worker_id=worker.pk, level=SkillLevel.JUNIOR, occupation="焊工", number="CERT-B-1",
        issued_on=today - datetime.timedelta(days=60),
    )  # fmt: skip
    certificate_issue(
        by=None, worker_id=worker.pk, level=SkillLevel.INTERMEDIATE, occupation="数控车工", number="CERT-B-2",
        issued_on=today - datetime.timedelta(days=20),
    )  # fmt: skip
    claim = claim_submit(
        by=clerk, worker_id=worker.pk, kind=ClaimKind.SKILL_SUBSIDY, certificate_id=counter_certificate.pk
    )
    claim = claim_review(claim_id=claim.pk, by=reviewer)
    return worker, claim


def submit(page):
    page.locator("#main form button[type=submit]").last.click()


def check_phone_layout(page, name):
    assert page_width(page) <= PHONE["width"], f"{name} scrolls sideways"
    assert page.locator("h1").count() == 1
    assert page.evaluate(SMALL_TARGETS) == [], f"{name}: touch targets under 44 px"
    page.screenshot(path=screenshot_dir() / f"selfservice-{name}.png", full_page=True)


def test_a_worker_activates_signs_in_applies_and_switches_language_on_a_phone(live_server, records, browser):
    worker, claim = records
    base = live_server.url
    page = new_page(browser, PHONE)
    with translation.override("zh-hans"):
        required = translation.gettext("This field is required.")

    # Activation: details, then a password; the worker lands on /me/ signed in.
    page.goto(f"{base}/login/")
    assert page.locator("html").get_attribute("lang") == "zh-Hans"
    check_phone_layout(page, "login-zh")
    page.locator('a[href="/activate/"]').click()
    page.wait_for_url(f"{base}/activate/")
    page.locator("#id_id_number").fill(worker.id_number.lower())
    page.locator("#id_name").fill("王 小明")
    page.locator("#id_phone").fill("139 0000 0007")
    check_phone_layout(page, "activate-zh")
    submit(page)
    page.wait_for_url(f"{base}/activate/password/")
    page.locator("#id_new_password1").fill(NEW_PASSWORD)
    page.locator("#id_new_password2").fill(NEW_PASSWORD)
    check_phone_layout(page, "activate-password-zh")
    submit(page)
    page.wait_for_url(f"{base}/me/")
    assert page.get_by_role("heading", level=1).inner_text() == "我的记录"
    check_phone_layout(page, "me-zh")

    # Sign out, then in again with the ID number as typed on a phone.
    page.get_by_role("button", name="退出登录").click()
    page.wait_for_url(f"{base}/login/")
    page.get_by_label("用户名").fill(worker.id_number.lower())
    page.get_by_label("密码").fill(NEW_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{base}/me/")

    # The claim's timeline: submitted and reviewed, with dates; approval not yet.
    listed = page.locator(".record--claim", has_text=claim.reference)
    assert listed.locator(".step--done").count() == 2
    reviewed_on = timezone.localtime(claim.reviewed_at).strftime("%Y-%m-%d")
    assert reviewed_on in listed.inner_text()
    listed.get_by_role("link", name=claim.reference).click()
    page.wait_for_url(f"{base}/me/claims/{claim.pk}/")
    check_phone_layout(page, "claim-detail-zh")

    # A skill subsidy: only the qualifying certificate is offered, the amount shows before submitting.
    page.goto(f"{base}/me/apply/subsidy/")
    assert page.locator("input[type=radio]").count() == 1
    check_phone_layout(page, "apply-subsidy-zh")
    page.locator("input[type=radio]").check()
    submit(page)
    assert "1,500.00" in page.locator(".amount").inner_text()  # grouped (portal.numbers)
    check_phone_layout(page, "apply-subsidy-confirm-zh")
    submit(page)
    page.wait_for_url(f"{base}/me/claims/*/submitted/")
    reference = page.locator(".reference strong").inner_text()
    assert reference.startswith("BT")
    check_phone_layout(page, "apply-subsidy-received-zh")
    page.goto(f"{base}/me/")
    new_claim = page.locator(".record--claim", has_text=reference)
    assert new_claim.locator(".status--submitted").count() == 1

    # Mediation with the claim left empty: the error is in Chinese, next to the field.
    page.goto(f"{base}/me/apply/mediation/")
    page.locator("#id_dispute_type").select_option("pay")
    submit(page)
    error = page.locator("#id_claim_error")
    assert error.inner_text().strip() == required
    assert required != "This field is required."
    check_phone_layout(page, "apply-mediation-error-zh")

    # English on request; the same page, the same error, now in English.
    page.get_by_role("button", name="English").click()
    page.wait_for_url(f"{base}/me/apply/mediation/")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("heading", level=1).inner_text() == "Apply for mediation"
    check_phone_layout(page, "apply-mediation-en")
    page.goto(f"{base}/me/")
    assert page.get_by_role("heading", level=1).inner_text() == "My records"
    check_phone_layout(page, "me-en")


def test_a_clerk_confirms_a_new_bank_account_from_the_inbox_on_a_phone(live_server, records, browser):
    from selfservice import services
    from selfservice.models import BankAccountChange
    from tests.conftest import PASSWORD

    worker, _claim = records
    account = services.account_activate(worker_id=worker.pk, password=NEW_PASSWORD)
    change = services.bank_account_change_request(by=account, account="6217000011112222333")
    base = live_server.url
    page = new_page(browser, PHONE)
    page.goto(f"{base}/login/")
    page.get_by_label("用户名").fill("beilun_clerk")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{base}/admin/")

    page.goto(f"{base}/office/inbox/")
    assert page.get_by_text(change.reference).count() == 1
    check_phone_layout(page, "office-inbox-zh")
    page.get_by_role("link", name=change.reference).click()
    page.wait_for_url(f"{base}/office/bank-accounts/{change.pk}/")
    assert "6217000011112222333" not in page.content()
    check_phone_layout(page, "office-bank-change-zh")
    page.locator("button[name=decision][value=confirm]").click()
    page.wait_for_url(f"{base}/office/inbox/")
    assert BankAccountChange.objects.get(pk=change.pk).status == "confirmed"
    check_phone_layout(page, "office-inbox-after-zh")
