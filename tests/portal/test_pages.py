"""The page shell: each role lands where it works, logout, role-restricted pages, basic accessibility."""

from html.parser import HTMLParser

import pytest
from django.utils import translation

from portal.accounts.rights import requires_two_factor
from portal.choices import Role
from seed.totp import current_code
from tests.conftest import PASSWORD, test_totp_device
from tests.factories import UserFactory

# Input types that need no label of their own.
UNLABELLED_INPUT_TYPES = {"hidden", "submit", "button", "reset", "image"}

# Personas are fetched dynamically; the marker keeps these tests before the transactional ones.
pytestmark = pytest.mark.django_db


class AccessibilityAudit(HTMLParser):
    """Collects what the basic check needs: html lang, h1 count, form controls and their labels."""

    def __init__(self):
        super().__init__()
        self.html_lang = None
        self.h1_count = 0
        self.controls = []  # (tag, attrs, inside_label)
        self.label_targets = set()
        self.label_depth = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "html":
            self.html_lang = attrs.get("lang")
        elif tag == "h1":
            self.h1_count += 1
        elif tag == "label":
            self.label_depth += 1
            if attrs.get("for"):
                self.label_targets.add(attrs["for"])
        elif tag in {"input", "select", "textarea"}:
            if tag == "input" and (attrs.get("type") or "text").lower() in UNLABELLED_INPUT_TYPES:
                return
            self.controls.append((tag, attrs, self.label_depth > 0))

    def handle_endtag(self, tag):
        if tag == "label" and self.label_depth:
            self.label_depth -= 1

    def problems(self) -> list[str]:
        found = []
        if not self.html_lang:
            found.append("<html> has no lang attribute")
        if self.h1_count != 1:
            found.append(f"{self.h1_count} <h1> elements instead of one")
        for tag, attrs, inside_label in self.controls:
            labelled = (
                inside_label
                or attrs.get("id") in self.label_targets
                or attrs.get("aria-label", "").strip()
                or attrs.get("aria-labelledby", "").strip()
            )
            if not labelled:
                found.append(f"<{tag} name={attrs.get('name')!r}> has no label")
        return found


def accessibility_problems(html: str | bytes) -> list[str]:
    audit = AccessibilityAudit()
    audit.feed(html.decode() if isinstance(html, bytes) else html)
    audit.close()
    return audit.problems()


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


# --- The audit itself can fail -------------------------------------------------------------------


def test_the_accessibility_audit_flags_missing_labels_headings_and_lang():
    bad = '<html><body><h1>a</h1><h1>b</h1><input name="q"><select name="s"></select></body></html>'
    problems = accessibility_problems(bad)
    assert "<html> has no lang attribute" in problems
    assert "2 <h1> elements instead of one" in problems
    assert "<input name='q'> has no label" in problems
    assert "<select name='s'> has no label" in problems


def test_the_accessibility_audit_accepts_labelled_controls():
    good = (
        '<html lang="zh-Hans"><h1>t</h1><label for="a">A</label><input id="a" name="a">'
        '<input aria-label="B" name="b"><label>C <input name="c"></label>'
        '<input type="hidden" name="h"><button type="submit">Go</button></html>'
    )
    assert accessibility_problems(good) == []


# --- Login and where each role lands ------------------------------------------------------------


def sign_in_through_the_pages(client, user):
    """The password, then (staff who need it, portal/accounts) the authenticator's code on the next page."""
    device = test_totp_device(user) if requires_two_factor(user) else None
    response = client.post("/login/", {"username": user.username, "password": PASSWORD}, follow=True)
    if device is not None:
        assert response.redirect_chain[-1][0].startswith("/account/two-factor/verify/")
        response = client.post(response.redirect_chain[-1][0], {"code": current_code(device)}, follow=True)
    return response


@pytest.mark.parametrize(
    ("persona", "landing"),
    [
        ("city_clerk", "/admin/"),
        ("beilun_clerk", "/admin/"),
        ("haishu_clerk", "/admin/"),
        ("beilun_official", "/dashboard/"),
        ("haishu_official", "/dashboard/"),
        ("worker_user", "/me/"),
    ],
)
def test_each_role_lands_where_it_works_after_login(client, request, persona, landing):
    user = request.getfixturevalue(persona)
    response = sign_in_through_the_pages(client, user)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == landing
    assert response.wsgi_request.user == user


def test_a_superuser_lands_in_the_admin_not_in_my_records(client, db):
    # createsuperuser leaves the default role "worker".
    admin = UserFactory(username="root", is_superuser=True, is_staff=True, role=Role.WORKER)
    response = sign_in_through_the_pages(client, admin)
    assert response.redirect_chain[-1][0] == "/admin/"
    assert login(client, admin).get("/me/").status_code == 403


def test_login_honours_a_safe_next_url(client, beilun_official):
    response = client.post(
        "/login/?next=/dashboard/",
        {"username": beilun_official.username, "password": PASSWORD, "next": "/dashboard/"},
    )
    assert response.status_code == 302
    assert response.url == "/dashboard/"


def test_a_wrong_password_shows_a_chinese_error_and_keeps_the_user_out(client, worker_user):
    response = client.post("/login/", {"username": worker_user.username, "password": "wrong-password"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "用户名或密码不正确" in html
    assert "Please enter a correct" not in html
    assert 'role="alert"' in html
    assert not response.wsgi_request.user.is_authenticated


def test_empty_fields_get_chinese_errors_next_to_the_fields(client, db):
    # Django's own catalogue translates it; a variable keeps makemessages from copying it into ours.
    english = "This field is required."
    with translation.override("zh-hans"):
        required = translation.gettext(english)
    assert required != english
    html = client.post("/login/", {"username": "", "password": ""}).content.decode()
    assert html.count(required) == 2
    assert 'aria-invalid="true"' in html
    assert 'aria-describedby="id_username_error"' in html


def test_the_login_page_sends_a_signed_in_user_home(client, worker_user):
    response = login(client, worker_user).get("/login/")
    assert response.status_code == 302
    assert response.url == "/"


def test_home_sends_visitors_to_the_login_page(client, db):
    response = client.get("/")
    assert response.status_code == 302
    assert response.url == "/login/"


# --- Logout ------------------------------------------------------------------------------------------


def test_logout_by_post_signs_out_and_says_so(client, worker_user):
    login(client, worker_user)
    response = client.post("/logout/", follow=True)
    assert response.redirect_chain[-1][0] == "/login/"
    assert "您已退出登录" in response.content.decode()
    assert not response.wsgi_request.user.is_authenticated
    assert client.get("/me/").status_code == 302


def test_logout_by_get_only_asks_for_confirmation(client, worker_user):
    login(client, worker_user)
    response = client.get("/logout/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'method="post" action="/logout/"' in html
    assert client.get("/me/").status_code == 200, "a GET must not sign the user out"


def test_every_page_offers_a_csrf_protected_logout_button(client, worker_user):
    html = login(client, worker_user).get("/me/").content.decode()
    form = html[html.index('action="/logout/"') :]
    form = form[: form.index("</form>")]
    assert "csrfmiddlewaretoken" in form
    assert "退出登录" in form


def test_logout_without_the_csrf_token_is_refused(worker_user):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    login(client, worker_user)
    assert client.post("/logout/").status_code == 403
    assert client.get("/me/").status_code == 200


# --- Role-restricted pages ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/me/", "/dashboard/"])
def test_anonymous_visitors_are_sent_to_the_login_page(client, db, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.url == f"/login/?next={path}"


def test_a_worker_sees_an_honest_empty_state_on_my_records(client, worker_user):
    response = login(client, worker_user).get("/me/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>我的记录</h1>" in html
    assert "您的培训、证书、补贴和调解记录将在工会登记后显示在这里" in html
    assert "worker_zhang" in html


@pytest.mark.parametrize("persona", ["city_clerk", "beilun_clerk", "beilun_official", "haishu_official"])
def test_my_records_is_for_workers_only(client, request, persona):
    response = login(client, request.getfixturevalue(persona)).get("/me/")
    assert response.status_code == 403
    assert "您的账号无权访问此页面" in response.content.decode()


def test_workers_cannot_open_the_dashboards(client, worker_user):
    response = login(client, worker_user).get("/dashboard/")
    assert response.status_code == 403


@pytest.mark.parametrize(
    ("persona", "scope_text"),
    [
        ("beilun_official", "范围：北仑区"),
        ("haishu_official", "范围：海曙区"),
        ("beilun_clerk", "范围：北仑区"),
        ("city_clerk", "范围：全市及各区（县、市）"),
    ],
)
def test_officials_and_staff_see_the_empty_dashboards_of_their_scope(client, request, persona, scope_text):
    response = login(client, request.getfixturevalue(persona)).get("/dashboard/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "指标看板尚无数据" in html
    assert scope_text in html


# --- Navigation by role ----------------------------------------------------------------------------------


def nav_of(html: str) -> str:
    start = html.index('<nav class="site-nav"')
    return html[start : html.index("</nav>", start)]


def test_a_worker_is_offered_my_records_only(client, worker_user):
    nav = nav_of(login(client, worker_user).get("/me/").content.decode())
    assert 'href="/me/"' in nav
    assert 'aria-current="page"' in nav
    assert "/admin/" not in nav
    assert "/dashboard/" not in nav


def test_an_official_is_offered_the_dashboards_but_not_the_admin(client, beilun_official):
    nav = nav_of(login(client, beilun_official).get("/dashboard/").content.decode())
    assert 'href="/dashboard/"' in nav
    assert "/admin/" not in nav
    assert "/me/" not in nav


def test_staff_are_offered_the_admin_and_the_dashboards(client, beilun_clerk):
    nav = nav_of(login(client, beilun_clerk).get("/dashboard/").content.decode())
    assert 'href="/admin/"' in nav
    assert "管理后台" in nav
    assert 'href="/dashboard/"' in nav
    assert "/me/" not in nav


def test_the_header_names_the_user_and_their_role(client, beilun_official):
    html = login(client, beilun_official).get("/dashboard/").content.decode()
    assert "beilun_official" in html
    assert "区（县、市）领导 · 北仑区" in html


def test_the_admin_links_back_to_the_dashboards_for_staff(client, city_clerk):
    html = login(client, city_clerk).get("/admin/").content.decode()
    assert 'href="/dashboard/"' in html


# --- Accessibility basics on the main pages --------------------------------------------------------------


def test_the_login_page_passes_the_basic_accessibility_check(client, db):
    html = client.get("/login/").content
    assert accessibility_problems(html) == []
    assert b'<label class="field__label" for="id_username">' in html


def test_the_login_page_with_errors_passes_the_basic_accessibility_check(client, db):
    html = client.post("/login/", {"username": "x", "password": ""}).content
    assert accessibility_problems(html) == []


@pytest.mark.parametrize(
    ("persona", "path"),
    [
        ("worker_user", "/me/"),
        ("worker_user", "/dashboard/"),  # the 403 page
        ("worker_user", "/logout/"),
        ("beilun_official", "/dashboard/"),
        ("city_clerk", "/dashboard/"),
    ],
)
def test_signed_in_pages_pass_the_basic_accessibility_check(client, request, persona, path):
    html = login(client, request.getfixturevalue(persona)).get(path).content
    assert accessibility_problems(html) == []
