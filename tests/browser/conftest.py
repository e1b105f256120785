"""The browser every browser test drives: Debian's Chromium through Playwright (never `playwright install`)."""

import os

import pytest

from tests.browser.helpers import CHROMIUM_ARGS


@pytest.fixture
def browser(monkeypatch):
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an asyncio loop running in this thread, so Django would refuse the
    # ORM calls of fixtures and teardown (SynchronousOnlyOperation), though they never run inside
    # that loop. Allowed for these tests only; monkeypatch restores the environment afterwards.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"), args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            chromium.close()
