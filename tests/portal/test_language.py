"""Chinese whatever the browser asks for; English only when the user picks it; a complete catalogue."""

import gettext
import re
from pathlib import Path

import pytest
from django.conf import settings

from tests.conftest import PASSWORD

LOCALE_DIR = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES"
ENGLISH_BROWSER = {"HTTP_ACCEPT_LANGUAGE": "en-US,en;q=0.9"}


def choose_language(client, language, next_url="/login/"):
    response = client.post("/i18n/setlang/", {"language": language, "next": next_url})
    assert response.status_code == 302
    assert response.url == next_url
    return response


# --- Which language a page is in -----------------------------------------------------------------------


def test_the_login_page_is_chinese_for_a_browser_asking_for_english(client, db):
    response = client.get("/login/", **ENGLISH_BROWSER)
    html = response.content.decode()
    assert '<html lang="zh-Hans">' in html
    assert "<h1" in html and ">登录</h1>" in html
    assert "用户名" in html
    assert "Sign in" not in html
    assert "Username" not in html
    assert "产业工人队伍建设改革服务平台" in html
    assert response.headers["Content-Language"] == "zh-hans"
    assert "Cookie" in response.headers["Vary"]


def test_choosing_english_in_the_switcher_makes_pages_english(client, db):
    choose_language(client, "en")
    response = client.get("/login/", HTTP_ACCEPT_LANGUAGE="zh-CN,zh")
    html = response.content.decode()
    assert '<html lang="en">' in html
    assert ">Sign in</h1>" in html
    assert "Industrial-Worker Reform Portal" in html
    assert "登录" not in html
    assert response.headers["Content-Language"] == "en"


def test_choosing_chinese_again_switches_back(client, db):
    choose_language(client, "en")
    choose_language(client, "zh-hans")
    html = client.get("/login/", **ENGLISH_BROWSER).content.decode()
    assert '<html lang="zh-Hans">' in html
    assert ">登录</h1>" in html


def test_the_choice_survives_signing_in(client, worker_user):
    choose_language(client, "en")
    response = client.post("/login/", {"username": worker_user.username, "password": PASSWORD}, follow=True)
    html = response.content.decode()
    assert "<h1>My records</h1>" in html
    assert "我的记录" not in html


@pytest.mark.parametrize(
    ("cookie", "expected_lang"), [("fr", "zh-Hans"), ("en-us", "en"), ("garbage!", "zh-Hans")]
)
def test_the_language_cookie_is_checked_against_the_supported_languages(client, db, cookie, expected_lang):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = cookie
    html = client.get("/login/", **ENGLISH_BROWSER).content.decode()
    assert f'<html lang="{expected_lang}">' in html


def test_the_switcher_offers_both_languages_and_returns_to_the_same_page(client, worker_user):
    client.login(username=worker_user.username, password=PASSWORD)
    html = client.get("/me/").content.decode()
    form = html[html.index('action="/i18n/setlang/"') :]
    form = form[: form.index("</form>")]
    assert 'name="next" value="/me/"' in form
    assert 'value="zh-hans" lang="zh-Hans" aria-current="true">简体中文</button>' in form
    assert 'value="en" lang="en">English</button>' in form
    assert "csrfmiddlewaretoken" in form


def test_a_page_in_english_shows_the_english_role_names(client, beilun_official):
    choose_language(client, "en")
    client.login(username=beilun_official.username, password=PASSWORD)
    html = client.get("/dashboard/").content.decode()
    assert "District official" in html
    assert "<h1>Dashboards</h1>" in html


# --- The admin --------------------------------------------------------------------------------------------


def test_the_admin_index_title_and_header_are_chinese(client, city_clerk):
    client.login(username=city_clerk.username, password=PASSWORD)
    html = client.get("/admin/", **ENGLISH_BROWSER).content.decode()
    title = re.search(r"<title>(.*?)</title>", html, re.S).group(1)
    assert "产改服务平台管理后台" in title
    assert "Django" not in title
    assert "Reform portal administration" not in title
    assert "产业工人队伍建设改革服务平台" in html


def test_the_admin_login_page_is_chinese_and_has_the_switcher(client, db):
    html = client.get("/admin/login/", **ENGLISH_BROWSER).content.decode()
    assert "产业工人队伍建设改革服务平台" in html
    assert 'action="/i18n/setlang/"' in html
    assert "Django administration" not in html


def test_the_admin_follows_the_language_switcher(client, city_clerk):
    choose_language(client, "en", next_url="/admin/")
    client.login(username=city_clerk.username, password=PASSWORD)
    html = client.get("/admin/").content.decode()
    assert "Reform portal administration" in html
    assert "Dashboards" in html


# --- The catalogue --------------------------------------------------------------------------------------


PO_ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\"}


def unquote(line: str) -> str:
    return re.sub(r"\\(.)", lambda m: PO_ESCAPES.get(m.group(1), m.group(1)), line.strip()[1:-1])


def read_po(path: Path) -> list[dict]:
    """Entries of a .po file (blank-line separated, as makemessages writes them); enough for these checks."""
    entries = []
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        entry = {"msgctxt": None, "msgid": None, "msgid_plural": None, "msgstr": [], "flags": set()}
        field = None
        for line in block.strip().splitlines():
            if line.startswith("#,"):
                entry["flags"].update(flag.strip() for flag in line[2:].split(","))
            elif line.startswith("#"):
                continue
            elif line.startswith('"'):
                if field == "msgstr":
                    entry["msgstr"][-1] += unquote(line)
                else:
                    entry[field] += unquote(line)
            else:
                keyword, _, rest = line.partition(" ")
                field = "msgstr" if keyword.startswith("msgstr") else keyword
                if field == "msgstr":
                    entry["msgstr"].append(unquote(rest))
                else:
                    entry[field] = unquote(rest)
        if entry["msgid"] is not None:
            entries.append(entry)
    return entries


@pytest.fixture(scope="module")
def po_entries():
    return read_po(LOCALE_DIR / "django.po")


def test_the_catalogue_has_chinese_plural_forms(po_entries):
    header = po_entries[0]
    assert header["msgid"] == ""
    assert "Plural-Forms: nplurals=1; plural=0;" in header["msgstr"][0]
    assert "Language: zh_Hans" in header["msgstr"][0]


def test_every_message_is_translated_and_none_is_fuzzy(po_entries):
    messages = po_entries[1:]
    assert len(messages) > 50
    untranslated = [e["msgid"] for e in messages if not all(s.strip() for s in e["msgstr"])]
    fuzzy = [e["msgid"] for e in messages if "fuzzy" in e["flags"]]
    assert untranslated == []
    assert fuzzy == []


def test_the_compiled_catalogue_matches_the_po_file(po_entries):
    with open(LOCALE_DIR / "django.mo", "rb") as mo:
        catalog = gettext.GNUTranslations(mo)
    stale = []
    for entry in po_entries[1:]:
        if entry["msgctxt"] is not None:
            translated = catalog.pgettext(entry["msgctxt"], entry["msgid"])
        elif entry["msgid_plural"] is None:
            translated = catalog.gettext(entry["msgid"])
        else:
            translated = catalog.ngettext(entry["msgid"], entry["msgid_plural"], 1)
        if translated != entry["msgstr"][0]:
            stale.append(entry["msgid"])
    assert stale == [], "django.mo is older than django.po: run `make messages`"


@pytest.mark.parametrize(
    ("english", "chinese"),
    [
        ("Industrial-Worker Reform Portal", "产业工人队伍建设改革服务平台"),
        ("City union staff", "市总工会工作人员"),
        ("District union staff", "区（县、市）总工会工作人员"),
        ("District official", "区（县、市）领导"),
        ("Worker", "职工"),
    ],
)
def test_the_agreed_terms_are_used(english, chinese):
    from django.utils import translation

    with translation.override("zh-hans"):
        assert translation.gettext(english) == chinese
