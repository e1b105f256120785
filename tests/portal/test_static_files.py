"""Static files: the favicon (linked, and /favicon.ico answered), and production's compressed serving.

The dashboard's weight as a browser receives it is measured in tests/browser/test_page_weight.py.
"""

import os
import secrets
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree

import pytest
from django.contrib.staticfiles import finders

ROOT = Path(__file__).resolve().parents[2]


def test_favicon_ico_leads_to_the_icon_in_the_static_files(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 302
    assert response["Location"] == "/static/favicon.svg"
    icon = finders.find("favicon.svg")
    assert icon, "static/favicon.svg is missing"
    assert ElementTree.parse(icon).getroot().tag == "{http://www.w3.org/2000/svg}svg"  # noqa: S314 (our own file)


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/login/", "/admin/login/"])
def test_pages_link_the_icon(client, path):
    html = client.get(path).content.decode()
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in html


def test_the_error_page_links_the_icon_too():
    assert "favicon.svg" in (ROOT / "templates" / "500.html").read_text(encoding="utf-8")


def test_production_settings_serve_static_files_compressed_from_the_manifest():
    """DEBUG=0: WhiteNoise's middleware, the compressing manifest storage, and Brotli for its .br files."""
    import base64

    env = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "example.org",
        "PERSONAL_DATA_KEYS": "k1:" + base64.b64encode(os.urandom(32)).decode(),
        "PERSONAL_DATA_HASH_KEY": base64.b64encode(os.urandom(32)).decode(),
    }
    code = (
        "import brotli; from django.conf import settings; "
        "print(settings.STORAGES['staticfiles']['BACKEND']); "
        "print('whitenoise.middleware.WhiteNoiseMiddleware' in settings.MIDDLEWARE)"
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["whitenoise.storage.CompressedManifestStaticFilesStorage", "True"]
