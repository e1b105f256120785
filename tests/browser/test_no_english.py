"""No English on the main Chinese pages, read in Debian's Chromium as each role sees them.

The text is the page's own `document.body.innerText` (screen-reader text included: a visually hidden
table heading is read aloud, so it must be Chinese too). Codes, numbers, the names of the seeded
records and a few words Chinese users write in Latin letters are removed first (ALLOWED and
CODE_PATTERNS); any other word of three or more ASCII letters fails the test, listed page by page.
"""

import re

import pytest
from django.utils import timezone

from mediation.models import DisputeCase
from portal.models import User
from seed.demo import DEMO_ACCOUNTS, demo_seed
from tests.browser import helpers
from tests.browser.helpers import DESKTOP
from training.choices import ClaimStatus
from training.models import Claim
from workers.models import CraftsmanTitle

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PASSWORDS = {username: password for username, password, *_rest in DEMO_ACCOUNTS}

#: Words Chinese pages write in Latin letters, each for a reason; keep this list short.
ALLOWED = {
    "English",  # the language switcher offers English in English (lang="en"), as every site does
    "API",  # the API and its keys: 接口 would be less clear to the staff who use it
    "Excel",  # the spreadsheet program people know by this name
    "XLSX",  # file formats: the download buttons name the file type
    "CSV",
    "PDF",  # the receipt may be a PDF, JPEG or PNG file
    "JPEG",
    "PNG",
}

#: Tokens that are not words: codes, references, user names and masked numbers. Chinese characters count
#: as word characters for `\b`, so the edges are ASCII look-arounds.
A = r"(?<![A-Za-z0-9_])"
Z = r"(?![A-Za-z0-9_])"
CODE_PATTERNS = [
    re.compile(A + r"[A-Z]{1,4}-?\d[A-Za-z0-9-]*"),  # references and numbers: ST2026-00000047, PX000123
    re.compile(A + r"DEMO-[A-Za-z0-9-]+"),  # the demo's certificate numbers: DEMO-0301-1
    re.compile(A + r"[a-z]+_[a-z_]+" + Z),  # user names of the seeded accounts: city_clerk, pay_sender
    re.compile(A + r"[a-z_]+\.[a-z_]+(:\d+)?" + Z),  # audit codes a clerk may search by: claim.approve
    re.compile(r"[A-Za-z0-9*]*\*{2,}[A-Za-z0-9*]*"),  # masked numbers: 6222 **** 0123
]

WORD = re.compile(r"[A-Za-z]{3,}")


def english_words(text: str) -> list[str]:
    for pattern in CODE_PATTERNS:
        text = pattern.sub(" ", text)
    # Case as written: a style may show 导出（EXCEL） in capitals.
    allowed = {word.lower() for word in ALLOWED}
    return sorted({word for word in WORD.findall(text) if word.lower() not in allowed})


def test_the_filter_keeps_english_words_and_drops_codes():
    assert (
        english_words(
            "申请ST2026-00000047 city_clerk claim.approve 6222 **** 0123 导出（EXCEL）证书DEMO-0301-1"
        )
        == []
    )
    assert english_words("MODEL NAME 任务 Task results 3 days") == [
        "MODEL",
        "NAME",
        "Task",
        "days",
        "results",
    ]
    assert english_words("BT2026-00000001已提交Claim") == ["Claim"]


@pytest.fixture
def city(roles):
    """The demo city: accounts, registry, indicators, and worker_zhang's year (claims in every state, a batch
    for each payment-staff account, a case with days left), all written by the services (seed/demo_workers.py)."""
    demo_seed(timezone.localdate())
    worker = User.objects.get(username="worker_zhang").worker
    claim = Claim.objects.filter(worker=worker, status=ClaimStatus.SUBMITTED).order_by("pk").first()
    case = DisputeCase.objects.filter(applicants=worker).order_by("pk").first()
    assert claim is not None and case is not None, (
        "the demo city gives worker_zhang a submitted claim and a case"
    )
    return {"claim": claim, "case": case}


# Pages of the demo city saved as screenshots (issue 17: the dashboard and a worker's /me/).
DEMO_SHOTS = {"/dashboard/": "demo-city-dashboard.png", "/me/": "demo-city-worker-me.png"}


def read_pages(browser, base, username, paths) -> dict[str, list[str]]:
    context = browser.new_context(locale="en-US", viewport=DESKTOP, device_scale_factor=1)
    page = context.new_page()
    page.set_default_timeout(15_000)
    helpers.sign_in(page, base, username, PASSWORDS.get(username))
    found = {}
    for path in paths:
        response = page.goto(base + path)
        assert response.status == 200, f"{username} {path}: {response.status}"
        assert page.locator("html").get_attribute("lang").lower() == "zh-hans"
        if path in DEMO_SHOTS:  # the demo city as its users see it, kept with the test output
            page.screenshot(path=helpers.screenshot_dir() / DEMO_SHOTS[path], full_page=True)
        words = english_words(page.evaluate("document.body.innerText"))
        if words:
            found[f"{username} {path}"] = words
    context.close()
    return found


def test_the_main_pages_of_every_role_show_no_english(live_server, city, browser):
    base = live_server.url
    claim, case = city["claim"], city["case"]
    worker = User.objects.get(username="worker_zhang").worker
    pages = {
        "city_clerk": [
            "/admin/",
            "/admin/workers/worker/",
            f"/admin/workers/worker/{worker.pk}/change/",
            "/admin/training/claim/",
            f"/admin/training/claim/{claim.pk}/change/",
            "/admin/mediation/disputecase/",
            f"/admin/mediation/disputecase/{case.pk}/change/",
            "/admin/portal/auditevent/",
            "/admin/workers/craftsmantitle/",
            f"/admin/workers/craftsmantitle/{CraftsmanTitle.objects.get(name='宁波工匠').pk}/change/",
        ],
        "beilun_clerk": ["/admin/", "/office/inbox/", "/admin/training/claim/", "/admin/portal/auditevent/"],
        "beilun_official": ["/dashboard/", "/dashboard/330206/", "/dashboard/330206/records/high-skill/"],
        "worker_zhang": [
            "/me/",
            f"/me/claims/{claim.pk}/",
            f"/me/cases/{case.pk}/",
            "/me/apply/subsidy/",
            "/me/apply/tuition/",
            "/me/apply/mediation/",
            "/me/bank-account/",
            "/me/notices/",
        ],
        "account_admin": [
            "/admin/portal/user/add/",
            "/admin/portal/user/",
            f"/admin/portal/user/{User.objects.get(username='beilun_clerk').pk}/change/",
        ],
        "pay_sender": ["/admin/training/paymentbatch/", "/admin/training/payment/"],
    }
    found = {}
    for username, paths in pages.items():
        found.update(read_pages(browser, base, username, paths))
    assert found == {}, "English on Chinese pages:\n" + "\n".join(
        f"{p}: {' '.join(w)}" for p, w in found.items()
    )
