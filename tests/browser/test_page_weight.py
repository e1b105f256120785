"""The city dashboard is light on a phone: under 400 KB transferred on a cold cache, as production serves it.

Production serves static files through WhiteNoise from STATIC_ROOT, collected by
CompressedManifestStaticFilesStorage (hashed names, .gz and, with Brotli installed, .br copies). The usual
`live_server` serves static files from the finders, uncompressed; this test collects them into a temporary
STATIC_ROOT with the production storage and starts a server whose only static handler is WhiteNoise's
middleware, as under gunicorn. Bytes are counted as Chromium received them (Network.loadingFinished's
encodedDataLength: headers and compressed bodies), for every response of the page.
"""

import datetime

import pytest
from django.core.management import call_command
from django.test.utils import override_settings

from indicators import engine
from indicators.models import Target
from indicators.periods import Period
from tests.browser import helpers
from tests.browser.helpers import PHONE, screenshot_dir
from tests.factories import EnterpriseFactory, district, register_worker
from workers.choices import SkillLevel
from workers.services import certificate_issue

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

#: The budget of issue 17: the dashboard page, everything included, on a phone's cold cache.
BUDGET_BYTES = 400 * 1024

D = datetime.date


@pytest.fixture
def production_static(tmp_path):
    """collectstatic with the production storage into a temporary STATIC_ROOT, served as production does."""
    storages = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    with override_settings(
        DEBUG=False,
        STATIC_ROOT=tmp_path / "static",
        STORAGES=storages,
        WHITENOISE_USE_FINDERS=False,
        WHITENOISE_AUTOREFRESH=False,
    ):
        # All but the API docs' Swagger and ReDoc bundles (9 MB that no dashboard loads, and two minutes of
        # Brotli on a busy machine); the files the page uses go through the production storage as in a build.
        call_command(
            "collectstatic", interactive=False, verbosity=0, ignore_patterns=["drf_spectacular_sidecar"]
        )
        yield tmp_path / "static"


@pytest.fixture
def production_server(production_static, transactional_db):
    """A live server without the test static handler: WhiteNoise's middleware answers /static/."""
    from django.db import connections
    from django.test.testcases import LiveServerThread

    shared = {c.alias: c for c in connections.all() if c.vendor == "sqlite" and c.is_in_memory_db()}
    thread = LiveServerThread("localhost", lambda application: application, connections_override=shared)
    thread.daemon = True
    for connection in shared.values():
        connection.inc_thread_sharing()
    thread.start()
    thread.is_ready.wait()
    if thread.error:
        raise thread.error
    try:
        yield f"http://localhost:{thread.port}"
    finally:
        thread.terminate()
        for connection in shared.values():
            connection.dec_thread_sharing()


@pytest.fixture
def city(beilun_official):
    """Six districts with skilled workers and two quarters computed: both charts have something to draw."""
    for index, code in enumerate(("330206", "330203", "330212", "330211", "330282", "330281")):
        firm = EnterpriseFactory(district=district(code), union_established_on=D(2020, 1, 1))
        for n in range(3 + index % 3):
            worker = register_worker(firm, sequence=index * 100 + n, hired_on=D(2019, 1, 1))
            level = SkillLevel.SENIOR if n % 2 else SkillLevel.JUNIOR
            certificate_issue(
                by=None,
                worker_id=worker.pk,
                level=level,
                occupation="钳工",
                number=f"W-{code}-{n}",
                issued_on=D(2023, 6, 1),
            )
    Target.objects.create(indicator="high_skill_ratio", year=2025, district=None, value=40)
    return [engine.compute_period(Period.parse(code)) for code in ("2025Q2", "2025Q3")]


def test_the_city_dashboard_transfers_under_400_kb_on_a_cold_cache(production_server, city, browser):
    base = production_server
    signing_in = browser.new_context(locale="zh-CN", viewport=PHONE)
    page = signing_in.new_page()
    page.set_default_timeout(15_000)
    helpers.sign_in(page, base, "beilun_official")
    session = signing_in.storage_state()
    signing_in.close()

    # A new context has its own empty cache; the DevTools protocol turns caching off besides.
    context = browser.new_context(locale="zh-CN", viewport=PHONE, storage_state=session)
    page = context.new_page()
    page.set_default_timeout(15_000)
    problems = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("console", lambda m: problems.append(f"{m.text} {m.location}") if m.type == "error" else None)
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    responses, received = {}, {}
    cdp.on(
        "Network.responseReceived",
        lambda e: responses.__setitem__(
            e["requestId"], (e["response"]["url"], e["response"]["status"], _encoding(e["response"]))
        ),
    )
    cdp.on("Network.loadingFinished", lambda e: received.__setitem__(e["requestId"], e["encodedDataLength"]))

    page.goto(f"{base}/dashboard/", wait_until="networkidle")
    assert page.url == f"{base}/dashboard/"

    # The charts are drawn: a canvas with a real size inside each chart's container.
    page.wait_for_function(
        "[...document.querySelectorAll('[data-chart]')].every(el => el.dataset.chartReady === 'true')"
    )
    drawings = page.evaluate(
        """() => [...document.querySelectorAll('[data-chart]')].map(el => {
            const drawing = el.querySelector('canvas, svg');
            const box = drawing ? drawing.getBoundingClientRect() : {width: 0, height: 0};
            return [el.dataset.chart, box.width, box.height];
        })"""
    )
    assert {name for name, _w, _h in drawings} == {"chart-comparison-data", "chart-trend-data"}
    assert all(width > 150 and height > 150 for _name, width, height in drawings), drawings
    page.screenshot(path=screenshot_dir() / "dashboard-city-phone-cold.png", full_page=True)

    page.wait_for_timeout(200)  # the last loadingFinished events arrive after networkidle
    transferred = [(*responses[rid], size) for rid, size in received.items() if rid in responses]
    total = sum(size for *_response, size in transferred)
    report = "\n".join(
        f"{size:>9} {status} {encoding or '-':<5} {url}"
        for url, status, encoding, size in sorted(transferred, key=lambda row: -row[-1])
    )
    # Every static file came from STATIC_ROOT under its hashed name, compressed where it is worth it.
    static = [row for row in transferred if "/static/" in row[0]]
    assert any("echarts" in url for url, *_rest in static), report
    assert all(status == 200 for _url, status, *_rest in transferred), report
    assert all(enc in ("gzip", "br") for url, _s, enc, _n in static if url.endswith((".js", ".css"))), report
    assert total < BUDGET_BYTES, f"{total} bytes transferred, over {BUDGET_BYTES}:\n{report}"
    (screenshot_dir().parent / "page-weight-dashboard.txt").write_text(f"{total} bytes in all\n{report}\n")
    assert problems == [], problems
    context.close()


def _encoding(response: dict) -> str:
    headers = {name.lower(): value for name, value in response.get("headers", {}).items()}
    return headers.get("content-encoding", "")
