"""Security settings and uploads: CSP, headers and cookies, no caching, no personal data in URLs, logs
or task arguments, the sign-in lockout behind the proxy, and what an upload may be and where it goes."""

import datetime
import io
import json
import logging
import re
import zipfile
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import translation
from rest_framework.test import APIClient

from portal import jobs
from portal.choices import Role
from portal.log_filters import DropQueryStrings
from portal.models import Job
from portal.uploads import RECEIPT_TYPES, check_upload, sniff
from tests.conftest import PASSWORD
from tests.factories import EnterpriseFactory, UserFactory, district, make_id_number, register_worker
from tests.selfservice import test_selfservice as account_tests

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
PDF = b"%PDF-1.7\n" + b"0" * 64
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64

# Fixtures shared with the account tests.
firm = account_tests.firm
worker = account_tests.worker
worker_account = account_tests.worker_account


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def directives(response) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    return {name: values for name, *values in (part.split() for part in policy.split(";") if part.strip())}


def tuition(receipt) -> dict:
    return {
        "degree": "bachelor",
        "institution": "宁波大学",
        "major": "机械工程",
        "tuition_paid": "8000",
        "paid_on": (datetime.date.today() - datetime.timedelta(days=30)).isoformat(),
        "relevant_to_job": "true",
        "receipt": receipt,
    }


# --- Content-Security-Policy ------------------------------------------------------------------------------


def test_pages_carry_a_policy_without_inline_script_eval_or_inline_style(client):
    policy = directives(client.get("/login/"))
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"] and policy["frame-ancestors"] == ["'none'"]
    assert policy["form-action"] == ["'self'"] and policy["base-uri"] == ["'self'"]
    assert not any("unsafe" in value for values in policy.values() for value in values)


def test_only_the_admin_allows_inline_styles_and_scripts_stay_strict_there(client, city_clerk):
    client.force_login(city_clerk)
    admin = directives(client.get("/admin/workers/worker/"))
    assert admin["style-src"] == ["'self'", "'unsafe-inline'"]
    assert admin["script-src"] == ["'self'"]
    assert directives(client.get("/dashboard/"))["style-src"] == ["'self'"]


def test_the_browsable_api_allows_inline_styles_but_json_answers_keep_the_strict_policy(client, city_clerk):
    client.force_login(city_clerk)
    html = client.get("/api/districts/", HTTP_ACCEPT="text/html")
    assert directives(html)["style-src"] == ["'self'", "'unsafe-inline'"]
    assert directives(html)["script-src"] == ["'self'"]
    assert directives(client.get("/api/districts/"))["style-src"] == ["'self'"]


_INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I), "inline <script>"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "inline event handler"),
    (re.compile(r"javascript:", re.I), "javascript: URL"),
    (re.compile(r"\sstyle\s*=", re.I), "style attribute"),
    (re.compile(r"<style", re.I), "<style> element"),
]


def test_no_template_has_inline_script_event_handler_or_style():
    problems = [
        f"{path.relative_to(ROOT)}: {what}"
        for path in sorted((ROOT / "templates").rglob("*.html"))
        for pattern, what in _INLINE
        if pattern.search(path.read_text(encoding="utf-8"))
    ]
    assert problems == []


def test_our_scripts_and_the_vendored_echarts_need_no_eval():
    for path in (ROOT / "static" / "js").rglob("*.js"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"\beval\(|new Function\(|setTimeout\(\s*[\"']", text), path
    # The portal's build of ECharts (static/vendor/echarts/BUILD.md) draws no maps, so it has not even the
    # full bundle's one Function constructor (which parsed GeoJSON strings).
    echarts = (ROOT / "static/vendor/echarts/echarts.custom.min.js").read_text(encoding="utf-8")
    assert not re.search(r"[^\w.]eval\(", echarts)
    assert "new Function(" not in echarts


def test_swagger_ui_loads_its_start_up_code_from_a_script_file(client, city_clerk):
    client.force_login(city_clerk)
    page = client.get("/api/docs/")
    html = page.content.decode()
    scripts = re.findall(r"<script[^>]*>", html)
    assert scripts and all("src=" in tag for tag in scripts), scripts
    assert "<style" not in html and "/static/css/api_docs.css" in html
    start_up = re.search(r'<script src="([^"]*script=[^"]*)"', html).group(1).replace("&amp;", "&")
    script = client.get(start_up)
    assert script.status_code == 200 and script["Content-Type"].startswith("application/javascript")
    assert b"SwaggerUIBundle(" in script.content and b'"validatorUrl": null' in script.content


# --- Headers, cookies and the proxy -------------------------------------------------------------------


def test_security_headers_on_every_page(client):
    response = client.get("/login/")
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_cookies_are_http_only_and_same_site_lax(client, beilun_clerk):
    page = client.get("/login/")
    csrf = page.cookies[django_settings.CSRF_COOKIE_NAME]
    assert csrf["httponly"] and csrf["samesite"] == "Lax"
    signed_in = client.post("/login/", {"username": beilun_clerk.username, "password": PASSWORD})
    session = signed_in.cookies[django_settings.SESSION_COOKIE_NAME]
    assert session["httponly"] and session["samesite"] == "Lax"
    language = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    cookie = language.cookies[django_settings.LANGUAGE_COOKIE_NAME]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"


def test_https_is_recognised_from_the_proxys_forwarded_proto(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    plain = client.get("/login/")
    assert plain.status_code == 301 and plain["Location"].startswith("https://")
    assert client.get("/login/", HTTP_X_FORWARDED_PROTO="https").status_code == 200


def test_production_settings_make_cookies_secure_and_hsts_configurable():
    from tests.portal.test_settings import _manage, _production_env

    show = (
        "from django.conf import settings as s; print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE,"
        " s.LANGUAGE_COOKIE_SECURE, s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS,"
        " s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SECURE_PROXY_SSL_HEADER)"
    )
    result = _manage(_production_env(SECURE_HSTS_SECONDS="600"), "shell", "-c", show)
    assert result.returncode == 0, result.stderr
    assert (
        result.stdout.strip().splitlines()[-1]
        == "True True True True 600 True ('HTTP_X_FORWARDED_PROTO', 'https')"
    )


# --- Sign-in lockout behind the TLS proxy ---------------------------------------------------------------


PROXY = "10.0.0.1"


def through_proxy(client_address: str, forwarded_by_client: str = "") -> Client:
    """A browser behind our one proxy, which appends the address it saw to X-Forwarded-For."""
    chain = f"{forwarded_by_client}, {client_address}" if forwarded_by_client else client_address
    return Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=chain)


def test_the_lockout_counts_the_client_behind_the_proxy_not_the_proxy(settings, worker, worker_account):
    settings.AXES_IPWARE_PROXY_COUNT = 1
    # Guesses over many ID numbers: the per-address throttle, here at the lockout's count.
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = django_settings.AXES_FAILURE_LIMIT
    guesser = through_proxy("203.0.113.5")
    for n in range(django_settings.AXES_FAILURE_LIMIT):
        account_tests.sign_in(guesser, make_id_number("330206", "19800101", 200 + n), "guess")
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"203.0.113.5"}
    assert account_tests.sign_in(guesser, worker.id_number).status_code == 429
    # A forged address in front of the proxy's entry changes nothing.
    assert account_tests.sign_in(through_proxy("203.0.113.5", "1.2.3.4"), worker.id_number).status_code == 429
    # Another client behind the same proxy is not locked out with the guesser.
    assert account_tests.sign_in(through_proxy("198.51.100.7"), worker.id_number).status_code == 302


# --- Nothing personal is cached ---------------------------------------------------------------------------


def assert_private(response):
    directives_ = {d.strip() for d in response["Cache-Control"].split(",")}
    assert {"private", "no-store"} <= directives_, response["Cache-Control"]
    assert "public" not in directives_


def test_personal_pages_files_downloads_and_the_api_are_never_stored(
    client, worker, worker_account, beilun_clerk
):
    client.force_login(worker_account)
    for url in ("/me/", "/me/notices/", "/me/bank-account/"):
        assert_private(client.get(url))

    plan_firm = EnterpriseFactory(district=district("330206"))
    plan_firm.policy_plan_file.save("plan.pdf", ContentFile(PDF), save=True)
    job = jobs.job_create(by=beilun_clerk, kind="export.workers", district_id=beilun_clerk.district_id)
    job.output_file.save("workers.csv", ContentFile(b"a,b\n"), save=True)
    client.force_login(beilun_clerk)
    for url in (
        "/office/inbox/",
        "/admin/",
        "/admin/workers/worker/",
        "/api/workers/",
        plan_firm.policy_plan_file.url,
        f"/jobs/{job.pk}/",
        f"/jobs/{job.pk}/download/",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert_private(response)

    api = APIClient()
    api.force_authenticate(beilun_clerk)
    assert_private(api.get("/api/workers/"))


def test_anonymous_pages_that_take_personal_data_are_not_stored_either(client):
    for url in ("/login/", "/activate/", "/me/"):
        assert_private(client.get(url))


# --- No personal data in URLs, logs or task arguments -------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    ["/api/workers/?id_number={id}", "/api/workers/?phone={phone}", "/api/claims/?worker_id_number={id}"],
)
def test_the_api_refuses_personal_data_in_a_query_string(city_clerk, worker, url):
    api = APIClient()
    api.force_authenticate(city_clerk)
    with translation.override("en"):
        response = api.get(url.format(id=worker.id_number, phone=worker.phone))
    assert response.status_code == 400
    body = response.content.decode()
    assert "个人信息不得出现在网址中" in body and "/api/workers/lookup/" in body  # Chinese by default
    assert worker.id_number not in body and worker.phone not in body


def test_the_lookup_finds_by_id_number_in_the_body_within_the_scope(city_clerk, haishu_clerk, worker):
    api = APIClient()
    for user, expected in ((city_clerk, [worker.pk]), (haishu_clerk, [])):
        api.force_authenticate(user)
        response = api.post("/api/workers/lookup/", {"id_number": worker.id_number.lower()}, format="json")
        assert response.status_code == 200
        assert [row["id"] for row in response.json()] == expected


def _gunicorn_access_line(environ: dict) -> str:
    from gunicorn.config import Config
    from gunicorn.glogging import Logger

    config = Config()
    namespace: dict = {}
    exec((ROOT / "gunicorn.conf.py").read_text(), namespace)  # noqa: S102 (our own config file)
    config.set("access_log_format", namespace["access_log_format"])
    config.set("accesslog", "-")
    logger = Logger(config)
    stream = io.StringIO()
    for handler in logger.access_log.handlers:
        handler.setStream(stream)

    class Response:
        status = "200 OK"
        sent = 1234
        headers = ()

    logger.access(Response(), [], environ, datetime.timedelta(milliseconds=12))
    return stream.getvalue()


def test_gunicorns_access_log_leaves_out_query_strings_and_referers():
    number = make_id_number("330206", "19900101", 123)
    line = _gunicorn_access_line(
        {
            "REQUEST_METHOD": "GET",
            "RAW_URI": f"/admin/workers/worker/?q={number}",
            "PATH_INFO": "/admin/workers/worker/",
            "QUERY_STRING": f"q={number}",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "10.0.0.1",
            "HTTP_REFERER": f"https://portal.example/admin/workers/worker/?q={number}",
            "HTTP_USER_AGENT": "Mozilla/5.0",
        }
    )
    assert '"GET /admin/workers/worker/ HTTP/1.1" 200 1234 12ms' in line
    assert number not in line and "?q=" not in line


def test_the_development_servers_request_lines_leave_out_query_strings():
    number = make_id_number("330206", "19900101", 123)
    record = logging.LogRecord(
        "django.server", logging.INFO, __file__, 1, '"%s" %s %s',
        (f"GET /admin/workers/worker/?q={number}&o=1 HTTP/1.1", "200", "1234"), None,
    )  # fmt: skip
    assert DropQueryStrings().filter(record)
    assert record.getMessage() == '"GET /admin/workers/worker/ HTTP/1.1" 200 1234'
    assert any(isinstance(f, DropQueryStrings) for f in logging.getLogger("django.server").filters)


def test_a_background_export_of_a_search_queues_ids_only_and_stores_no_id_number(
    client, city_clerk, worker, settings, django_capture_on_commit_callbacks, monkeypatch
):
    from portal import tasks

    queued = []
    real = tasks.export_run.apply_async
    monkeypatch.setattr(
        tasks.export_run, "apply_async", lambda *a, **kw: queued.append((a, kw)) or real(*a, **kw)
    )
    settings.EXPORT_BACKGROUND_ROWS = 0
    client.force_login(city_clerk)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get("/admin/workers/worker/export/csv/", {"q": worker.id_number})
    job = Job.objects.get(kind="export.workers")
    assert response.status_code == 302 and job.status == "succeeded", job.error
    assert job.result["rows"] == 1  # the search still applied
    assert queued == [((), {"args": [job.pk]})]
    assert worker.id_number not in json.dumps(job.params) and worker.id_number[6:14] not in json.dumps(
        job.params
    )


def test_every_queued_task_gets_ids_only(
    client, monkeypatch, city_clerk, worker, settings, django_capture_on_commit_callbacks
):
    """Whatever queues a task (imports, exports, indicator runs) passes only numbers."""
    from celery.app.task import Task

    calls = []
    real = Task.apply_async

    def spy(self, args=None, kwargs=None, **options):
        calls.append((self.name, list(args or []), dict(kwargs or {})))
        return real(self, args, kwargs, **options)

    monkeypatch.setattr(Task, "apply_async", spy)
    settings.EXPORT_BACKGROUND_ROWS = 0
    settings.IMPORT_BACKGROUND_ROWS = 0
    client.force_login(city_clerk)
    from tests.workers.test_import import worker_row, xlsx

    with django_capture_on_commit_callbacks(execute=True):
        client.get("/admin/workers/worker/export/xlsx/", {"q": worker.phone})
        client.post(
            "/admin/workers/worker/import/",
            {"file": SimpleUploadedFile("职工.xlsx", xlsx([worker_row(worker.enterprise, 5)]))},
        )
    # A big file is checked by one task, then written by another once its owner confirms.
    checked = Job.objects.filter(kind="import.workers").latest("pk")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/admin/workers/worker/import/{checked.pk}/", {"confirm": "1"})
        client.post("/admin/indicators/indicatorrun/recompute/", {"period": "2025Q1"})
    assert {name for name, _args, _kwargs in calls} == {
        "workers.export_run", "portal.import_check", "workers.import_run", "indicators.run_execute",
    }  # fmt: skip
    for name, args, kwargs in calls:
        assert kwargs == {} and all(isinstance(a, int) for a in args), (name, args, kwargs)


# --- Uploads: size and type -------------------------------------------------------------------------------


def _zip(parts: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return out.getvalue()


WORKBOOK = _zip({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>"})
DOCUMENT = _zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<document/>"})


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("receipt.pdf", PDF, ".pdf"),
        ("receipt.png", PNG, ".png"),
        ("photo.jpeg", b"\xff\xd8\xff\xe0" + b"\x00" * 16, ".jpg"),
        ("pdf-called.xlsx", PDF, ".pdf"),
        ("workers.xlsx", WORKBOOK, ".xlsx"),
        ("letter.docx", DOCUMENT, ".docx"),
        ("letter-called.xlsx", DOCUMENT, ".docx"),
        ("plain.xlsx", _zip({"a.txt": b"x"}), None),
        ("broken.xlsx", b"PK\x03\x04 not really a zip", None),
        ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64, ".xls"),
        ("old.exe", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64, None),
        ("program.pdf", b"MZ\x90\x00\x03\x00\x00\x00", None),
        ("notes.txt", "调解记录\n第一次".encode("gb18030"), ".txt"),
        ("page.txt", b"<html><script>alert(1)</script></html>", ".txt"),
        ("virus.exe", b"echo hello", None),
        ("empty.pdf", b"", None),
    ],
)
def test_the_type_is_proven_by_the_content(name, content, expected):
    assert sniff(SimpleUploadedFile(name, content)) == expected


def test_check_upload_refuses_by_size_and_by_content_and_names_the_field():
    with pytest.raises(ValidationError) as too_big:
        check_upload(SimpleUploadedFile("r.pdf", PDF + b"0" * 2048), allowed=RECEIPT_TYPES, max_bytes=1024)
    assert too_big.value.code == "too_big"
    with pytest.raises(ValidationError) as wrong:
        check_upload(
            SimpleUploadedFile("r.pdf", b"<html></html>"),
            allowed=RECEIPT_TYPES,
            max_bytes=10**6,
            field="receipt",
        )
    assert set(wrong.value.message_dict) == {"receipt"}
    renamed = check_upload(
        SimpleUploadedFile("张三 330206.png", PNG), allowed=RECEIPT_TYPES, max_bytes=10**6, rename=True
    )
    assert re.fullmatch(r"[0-9a-f]{32}\.png", renamed.name)
    relabelled = check_upload(SimpleUploadedFile("scan.html", PDF), allowed=RECEIPT_TYPES, max_bytes=10**6)
    assert relabelled.name == "scan.pdf"


@pytest.fixture
def tuition_worker(firm):
    return register_worker(firm, sequence=31, bank_account="6222021234567890031")


@pytest.mark.parametrize(
    ("name", "content", "status"),
    [("receipt.pdf", b"<html><body>not a receipt</body></html>", 400), ("发票.pdf", PDF, 201)],
)
def test_the_api_checks_a_receipt_by_its_content_as_the_self_service_page_does(
    beilun_clerk, tuition_worker, name, content, status
):
    api = APIClient()
    api.force_authenticate(beilun_clerk)
    with translation.override("en"):
        response = api.post(
            "/api/claims/",
            {"worker": tuition_worker.pk, "kind": "tuition", **tuition(SimpleUploadedFile(name, content))},
            format="multipart",
        )
    assert response.status_code == status, response.content
    if status == 400:
        assert "receipt" in response.json()["error"]["fields"]
    else:
        from training.models import Claim

        stored = Claim.objects.get(pk=response.json()["id"]).tuition.receipt
        assert stored.name.startswith("receipts/") and stored.name.endswith(".pdf")


def test_a_mediation_document_is_judged_by_its_content(beilun_clerk, firm, worker):
    from mediation import services as mediation_services
    from mediation.choices import CaseSource, DisputeType

    case = mediation_services.case_apply(
        by=None,
        applicant_ids=[worker.pk],
        dispute_type=DisputeType.PAY,
        claim="要求支付拖欠的工资",
        source=CaseSource.WALK_IN,
    )
    with pytest.raises(ValidationError) as refused:
        mediation_services.case_add_document(
            case_id=case.pk, by=beilun_clerk, file=SimpleUploadedFile("协议.pdf", b"MZ\x90\x00program")
        )
    assert set(refused.value.message_dict) == {"file"}
    event = mediation_services.case_add_document(
        case_id=case.pk, by=beilun_clerk, file=SimpleUploadedFile("协议.html", PDF)
    )
    # Stored under a random name with the proven extension; the given name kept, corrected the same way.
    assert event.file.name.endswith(".pdf") and event.file_name == "协议.pdf"


def test_an_enterprise_plan_must_be_a_document(beilun_clerk):
    from workers.services import enterprise_update

    plan_firm = EnterpriseFactory(district=district("330206"))
    with pytest.raises(ValidationError) as refused:
        enterprise_update(
            by=beilun_clerk, enterprise_id=plan_firm.pk, policy_plan_file=SimpleUploadedFile("plan.pdf", PNG)
        )
    assert set(refused.value.message_dict) == {"policy_plan_file"}


def test_an_import_named_xlsx_must_be_a_workbook_inside(city_clerk):
    from portal.spreadsheets import FileProblem, run_import
    from workers.importers.worker import WorkerImporter

    for content in (PNG, DOCUMENT, _zip({"a.txt": b"x"})):
        with pytest.raises(FileProblem):
            run_import(WorkerImporter(user=city_clerk), io.BytesIO(content), "职工.xlsx", write=False)


def test_a_request_body_over_the_limit_is_refused_before_it_is_read(client, settings, beilun_clerk):
    settings.UPLOAD_MAX_MB = 1
    client.force_login(beilun_clerk)
    too_big = client.post(
        "/admin/workers/worker/import/", {"file": SimpleUploadedFile("职工.xlsx", b"0" * (1024 * 1024 + 1))}
    )
    assert too_big.status_code == 413
    assert not Job.objects.exists()
    small = client.post(
        "/admin/workers/worker/import/", {"file": SimpleUploadedFile("职工.xlsx", b"0" * 1024)}
    )
    assert small.status_code == 200  # the form's own error, not a refusal of the request


# --- Uploads: names and where they go ------------------------------------------------------------------------


def raw_upload(client, url: str, filename: str, content: bytes):
    """A multipart POST written by hand: the test client would strip a path from the file name itself."""
    boundary = "portal-test-boundary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return client.generic("POST", url, body, content_type=f"multipart/form-data; boundary={boundary}")


@pytest.mark.parametrize(
    "filename",
    ["../../etc/passwd.xlsx", "..\\..\\windows\\职工.xlsx", "/etc/cron.d/职工.xlsx", "职工\x00名单.xlsx"],
)
def test_an_uploaded_name_cannot_leave_the_upload_folder(client, settings, city_clerk, worker, filename):
    from tests.workers.test_import import worker_row, xlsx

    client.force_login(city_clerk)
    response = raw_upload(
        client, "/admin/workers/worker/import/", filename, xlsx([worker_row(worker.enterprise, 9)])
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    stored = Job.objects.get().input_file
    assert stored.name.startswith("jobs/in/") and ".." not in stored.name and "\x00" not in stored.name
    media = Path(settings.MEDIA_ROOT).resolve()
    assert Path(stored.path).resolve().is_relative_to(media) and Path(stored.path).is_file()
    assert stored.name.endswith(".xlsx")


def test_unicode_names_are_kept_as_they_are(client, city_clerk, worker):
    from tests.workers.test_import import worker_row, xlsx

    client.force_login(city_clerk)
    raw_upload(
        client, "/admin/workers/worker/import/", "北仑职工名单.xlsx", xlsx([worker_row(worker.enterprise, 9)])
    )
    assert Job.objects.get().input_file.name.rsplit("/", 1)[-1].startswith("北仑职工名单")


def test_uploads_live_outside_the_static_files_and_only_the_checking_view_serves_them():
    media = Path(django_settings.MEDIA_ROOT).resolve()
    for static in [django_settings.STATIC_ROOT, *django_settings.STATICFILES_DIRS]:
        static = Path(static).resolve()
        assert not media.is_relative_to(static) and not static.is_relative_to(media)

    def views(resolver, prefix=""):
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                yield from views(entry, prefix + str(entry.pattern))
            elif isinstance(entry, URLPattern):
                yield prefix + str(entry.pattern), entry.callback

    served = [
        (route, view) for route, view in views(get_resolver()) if view.__module__ == "django.views.static"
    ]
    assert served == []
    files = [view for route, view in views(get_resolver()) if route.startswith("files/")]
    assert [f"{v.__module__}.{v.__name__}" for v in files] == ["portal.media.private_file"]


@pytest.fixture
def receipt_claim(firm):
    from decimal import Decimal

    from training.choices import ClaimKind
    from training.services import claim_submit

    owner = register_worker(firm, sequence=41, bank_account="6222020000000000041")
    claim = claim_submit(
        by=None,
        worker_id=owner.pk,
        kind=ClaimKind.TUITION,
        tuition={
            "degree": "bachelor", "institution": "宁波大学", "major": "机械", "tuition_paid": Decimal("5000"),
            "paid_on": datetime.date.today() - datetime.timedelta(days=30), "relevant_to_job": True,
            "receipt": ContentFile(PDF, name="收据.pdf"),
        },
    )  # fmt: skip
    return claim


def test_a_receipt_goes_to_no_anonymous_user_other_worker_or_other_district(
    client, receipt_claim, firm, roles
):
    url = receipt_claim.tuition.receipt.url
    assert client.get(url).status_code == 302 and "/login/" in client.get(url)["Location"]
    stranger = register_worker(firm, sequence=42)
    for user in (
        UserFactory(role=Role.WORKER, worker=stranger),
        UserFactory(role=Role.DISTRICT_STAFF, district=district("330203")),
        UserFactory(role=Role.DISTRICT_OFFICIAL, district=district("330203")),
    ):
        client.force_login(user)
        assert client.get(url).status_code == 404
        # The worker's own page: another worker's claim is a 404, staff have no /me/ pages (403).
        assert client.get(f"/me/claims/{receipt_claim.pk}/receipt/").status_code in (403, 404)
    client.force_login(UserFactory(role=Role.DISTRICT_STAFF, district=district("330206")))
    assert client.get(url).status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "receipts/%2e%2e/%2e%2e/config/settings.py",
        "receipts/..%2f..%2fconfig%2fsettings.py",
        "%2fetc%2fpasswd",
        "receipts/..\\..\\config\\settings.py",
        "receipts/x.pdf%00.txt",
        "jobs/in/2025/01/anything.xlsx",
    ],
)
def test_traversing_or_unregistered_file_paths_are_404(client, city_clerk, receipt_claim, path):
    client.force_login(city_clerk)
    assert client.get(f"/files/{path}").status_code == 404


# --- The API's contract: who may read it, and how it refuses ------------------------------------------------


def test_an_anonymous_api_request_gets_401_with_a_token_challenge(client, db):
    for url in ("/api/workers/", "/api/mediation/applications/"):
        response = client.get(url)
        assert response.status_code == 401, url
        assert response["WWW-Authenticate"].startswith("Token"), url
        assert response.json()["error"]["code"] == "not_authenticated", url
    schema = client.get("/api/schema/", {"format": "json"})
    assert schema.status_code == 401 and schema["WWW-Authenticate"].startswith("Token")
    assert b"/api/workers/" not in schema.content
    # Swagger UI sends a browser to the sign-in page first.
    docs = client.get("/api/docs/")
    assert docs.status_code == 302 and docs["Location"].startswith("/login/")


def test_a_wrong_token_gets_401_too(client, db):
    response = client.get("/api/workers/", HTTP_AUTHORIZATION="Token not-a-key")
    assert response.status_code == 401 and response["WWW-Authenticate"].startswith("Token")


def test_a_session_post_without_its_csrf_token_is_refused_in_the_error_shape_translated(city_clerk):
    browser = APIClient(enforce_csrf_checks=True)
    browser.force_login(city_clerk)
    response = browser.post("/api/enterprises/", {"name": "x"}, format="json")
    assert response.status_code == 403
    body = response.json()["error"]
    assert body["code"] == "csrf_failed"
    assert "CSRF Failed" not in body["message"]  # DRF's English-only sentence is replaced by a msgid


def test_an_api_body_over_the_upload_limit_is_refused_in_the_error_shape(city_clerk, settings):
    settings.UPLOAD_MAX_MB = 1
    api = APIClient()
    api.force_authenticate(city_clerk)
    response = api.post("/api/enterprises/", {"name": "x" * (1024 * 1024 + 10)}, format="json")
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "request_too_large"


@pytest.fixture
def published_schema(city_clerk):
    api = APIClient()
    api.force_authenticate(city_clerk)
    response = api.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()


def test_every_operation_documents_its_refusals_in_the_one_error_shape(published_schema):
    error_ref = {"$ref": "#/components/schemas/Error"}
    detail = published_schema["components"]["schemas"]["ErrorDetail"]
    assert set(detail["required"]) == {"code", "message", "fields"}
    operations = [
        (path, method, operation)
        for path, item in published_schema["paths"].items()
        for method, operation in item.items()
        if method in {"get", "post", "put", "patch", "delete"}
    ]
    assert len(operations) > 40
    for path, method, operation in operations:
        responses = operation["responses"]
        expected = {"401", "403", "404"}
        if method != "get":
            expected |= {"409"}
        if "requestBody" in operation:
            expected |= {"400", "413"}
        assert expected <= set(responses), (method, path, sorted(responses))
        for code in set(responses) - {"200", "201", "204"}:
            assert responses[code]["content"]["application/json"]["schema"] == error_ref, (method, path, code)
    applications = published_schema["paths"]["/api/mediation/applications/"]
    assert "429" in applications["post"]["responses"]
    assert "429" not in applications["get"]["responses"]


def test_amounts_that_cannot_be_negative_say_so_in_the_schema(published_schema):
    schemas = published_schema["components"]["schemas"]
    for component, field in (
        ("ApplicationInputRequest", "claimed_amount"),
        ("CaseApplyRequest", "claimed_amount"),
        ("CaseAgreementRequest", "agreed_amount"),
        ("ClaimSubmitRequest", "tuition_paid"),
    ):
        pattern = schemas[component]["properties"][field]["pattern"]
        assert not re.fullmatch(pattern, "-1.00"), (component, field)
        assert re.fullmatch(pattern, "1200.50"), (component, field)


def test_unreadable_filters_and_page_sizes_are_refused_not_ignored(city_clerk):
    api = APIClient()
    api.force_authenticate(city_clerk)
    for query, field in (({"above_scale": "maybe"}, "above_scale"), ({"page_size": "abc"}, "page_size")):
        response = api.get("/api/enterprises/", query)
        assert response.status_code == 400, query
        assert set(response.json()["error"]["fields"]) == {field}
    # An optional filter sent empty, as an HTML form sends it, means "not filtered".
    assert api.get("/api/enterprises/", {"above_scale": "", "district": ""}).status_code == 200
    assert api.get("/api/enterprises/", {"above_scale": "TRUE", "page_size": "5"}).status_code == 200


def test_the_lookup_reads_json_only(city_clerk):
    api = APIClient()
    api.force_authenticate(city_clerk)
    assert api.post("/api/workers/lookup/", {"id_number": ""}, format="multipart").status_code == 415
    assert api.post("/api/workers/lookup/", {"id_number": ""}, format="json").status_code == 400
