"""The Content-Security-Policy in Debian's Chromium: the pages work under it and break none of its rules."""

import pytest

from portal.choices import Role
from tests.browser.helpers import DESKTOP, screenshot_dir
from tests.browser.test_dashboard import drawn_charts, sign_in, snapshot  # noqa: F401 (snapshot is a fixture)
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

# Every violation the page reports, whether or not the page goes on to log it.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(`${e.effectiveDirective} blocked ${e.blockedURI || "inline"} in ${e.sourceFile}:${e.lineNumber}`);
});
"""


def watched_page(browser):
    context = browser.new_context(locale="en-US", viewport=DESKTOP, device_scale_factor=1)
    context.add_init_script(RECORD_VIOLATIONS)
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.problems = []

    def console(message):
        # Errors (a missing favicon too), and CSP reports at any level.
        if message.type == "error" or "Content Security Policy" in message.text:
            page.problems.append(f"console: {message.text}")

    page.on("console", console)
    page.on("pageerror", lambda e: page.problems.append(f"page error: {e}"))
    return page


def violations(page) -> list[str]:
    return page.evaluate("window.__cspViolations") + page.problems


def policy_of(response) -> str:
    policy = response.headers.get("content-security-policy", "")
    assert "script-src 'self'" in policy and "unsafe-eval" not in policy, policy
    return policy


def test_the_city_dashboard_draws_its_charts_under_the_policy(live_server, snapshot, browser):  # noqa: F811
    page = watched_page(browser)
    sign_in(page, live_server.url, "beilun_official")
    page.wait_for_url(f"{live_server.url}/dashboard/")
    policy = policy_of(page.goto(f"{live_server.url}/dashboard/"))
    assert "style-src 'self';" in policy + ";"  # no inline style allowed here
    charts = drawn_charts(page)
    assert {c["chart"] for c in charts} == {"chart-comparison-data", "chart-trend-data"}
    assert all(c["width"] > 300 and c["height"] > 200 for c in charts), charts
    # A tooltip is drawn too (ECharts' rich-text tooltips, no HTML with style attributes).
    box = page.locator("[data-chart='chart-comparison-data']").bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_timeout(300)
    page.screenshot(path=screenshot_dir() / "csp-dashboard.png", full_page=True)
    assert violations(page) == []


def test_swagger_ui_renders_the_api_under_the_policy(live_server, browser, roles):
    UserFactory(username="csp_clerk", role=Role.CITY_STAFF)
    page = watched_page(browser)
    sign_in(page, live_server.url, "csp_clerk")
    policy_of(page.goto(f"{live_server.url}/api/docs/"))
    # The operations appear only once the start-up script ran and fetched the schema.
    page.wait_for_selector(".swagger-ui .opblock-tag", state="visible")
    assert page.locator(".swagger-ui .opblock").count() > 20
    page.locator(".swagger-ui .opblock-summary-path", has_text="/api/workers/lookup/").first.wait_for()
    # Opening an operation renders its schema and parameters (more of Swagger UI's code).
    page.locator(".swagger-ui .opblock-summary-path", has_text="/api/workers/lookup/").first.click()
    page.locator(".swagger-ui .opblock-body").first.wait_for()
    page.screenshot(path=screenshot_dir() / "csp-swagger.png")
    assert violations(page) == []


def test_the_admin_and_the_sign_in_page_run_no_blocked_script(live_server, browser, roles):
    UserFactory(username="csp_admin", role=Role.CITY_STAFF)
    page = watched_page(browser)
    policy_of(page.goto(f"{live_server.url}/login/"))
    sign_in(page, live_server.url, "csp_admin")  # password, then the two-factor page's code
    for path in ("/admin/", "/admin/workers/worker/", "/admin/workers/worker/add/"):
        policy_of(page.goto(f"{live_server.url}{path}"))
    # The admin's own scripts ran: the date widget's calendar link exists only when they did.
    assert page.locator(".datetimeshortcuts").count() > 0
    assert violations(page) == []
