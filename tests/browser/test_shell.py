"""The page shell in Debian's Chromium (Playwright): Chinese first, fits a phone, switches to English."""

import pytest

from tests.browser import helpers
from tests.browser.helpers import DESKTOP, PHONE, screenshot_dir
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def new_page(browser, viewport):
    # A browser that asks for English: the portal must still answer in Chinese.
    context = browser.new_context(locale="en-US", viewport=viewport, device_scale_factor=1)
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


def page_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def sign_in(page, base_url, username):
    if username == "city_clerk":  # a password, then a real TOTP code (tests/browser/helpers.py)
        helpers.sign_in(page, base_url, username)
        return
    page.goto(f"{base_url}/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()


def test_a_worker_on_a_phone_signs_in_in_chinese_and_switches_to_english(live_server, worker_user, browser):
    shots = screenshot_dir()
    page = new_page(browser, PHONE)

    page.goto(f"{live_server.url}/login/")
    assert page.locator("html").get_attribute("lang") == "zh-Hans"
    assert page.get_by_role("heading", level=1).inner_text() == "登录"
    assert page.get_by_text("Sign in").count() == 0
    assert page_width(page) <= PHONE["width"]
    page.screenshot(path=shots / "login-phone-zh.png", full_page=True)

    sign_in(page, live_server.url, worker_user.username)
    page.wait_for_url(f"{live_server.url}/me/")
    assert page.get_by_role("heading", level=1).inner_text() == "我的记录"
    assert page.get_by_text("您的培训、证书、补贴和调解记录将在工会登记后显示在这里").is_visible()
    assert page_width(page) <= PHONE["width"]
    page.screenshot(path=shots / "me-phone-zh.png", full_page=True)

    page.get_by_role("button", name="English").click()
    page.wait_for_url(f"{live_server.url}/me/")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("heading", level=1).inner_text() == "My records"
    assert page.get_by_role("button", name="Sign out").is_visible()
    assert page_width(page) <= PHONE["width"]
    page.screenshot(path=shots / "me-phone-en.png", full_page=True)

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{live_server.url}/login/")
    assert page.get_by_text("You have signed out.").is_visible()
    page.screenshot(path=shots / "login-phone-en-signed-out.png", full_page=True)


def test_a_wrong_password_is_explained_in_chinese_on_a_phone(live_server, worker_user, browser):
    page = new_page(browser, PHONE)
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("用户名").fill(worker_user.username)
    page.get_by_label("密码").fill("not-the-password")
    page.get_by_role("button", name="登录").click()
    assert page.get_by_role("alert").inner_text() == "用户名或密码不正确。密码区分大小写。"
    assert page_width(page) <= PHONE["width"]
    page.screenshot(path=screenshot_dir() / "login-phone-zh-error.png", full_page=True)


def test_touch_targets_on_the_phone_are_large_enough(live_server, worker_user, browser):
    page = new_page(browser, PHONE)
    sign_in(page, live_server.url, worker_user.username)
    page.wait_for_url(f"{live_server.url}/me/")
    small = page.evaluate(
        """() => [...document.querySelectorAll('a[href], button, input:not([type=hidden])')]
            .filter((el) => !el.closest('.site-footer') && !el.classList.contains('skip-link'))
            .map((el) => ({text: el.innerText || el.name, box: el.getBoundingClientRect()}))
            .filter(({box}) => box.height < 44)
            .map(({text, box}) => `${text}: ${Math.round(box.height)}px`)"""
    )
    assert small == []


def test_the_shell_on_a_desktop_screen(live_server, beilun_official, browser):
    shots = screenshot_dir()
    page = new_page(browser, DESKTOP)
    page.goto(f"{live_server.url}/login/")
    assert page_width(page) <= DESKTOP["width"]
    page.screenshot(path=shots / "login-desktop-zh.png", full_page=True)

    sign_in(page, live_server.url, beilun_official.username)
    page.wait_for_url(f"{live_server.url}/dashboard/")
    assert page.get_by_role("heading", level=1).inner_text() == "指标看板"
    assert page.get_by_role("navigation", name="主导航").get_by_role("link", name="管理后台").count() == 0
    page.screenshot(path=shots / "dashboard-desktop-zh.png", full_page=True)


def test_a_clerk_lands_in_the_chinese_admin_with_the_switcher(live_server, city_clerk, browser):
    shots = screenshot_dir()
    page = new_page(browser, DESKTOP)
    sign_in(page, live_server.url, city_clerk.username)
    page.wait_for_url(f"{live_server.url}/admin/")
    assert "产改服务平台管理后台" in page.title()
    assert page.get_by_role("link", name="指标看板").is_visible()
    page.screenshot(path=shots / "admin-desktop-zh.png", full_page=True)

    page.set_viewport_size(PHONE)
    page.reload()
    page.screenshot(path=shots / "admin-phone-zh.png", full_page=True)
    page.get_by_role("button", name="English").click()
    page.wait_for_url(f"{live_server.url}/admin/")
    assert "Reform portal administration" in page.title()
