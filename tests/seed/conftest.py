"""The seed tests write receipt files (seeded tuition claims have one): into a temporary media folder."""

import pytest
from django.test import override_settings


@pytest.fixture(scope="session", autouse=True)
def _seed_media(tmp_path_factory):
    with override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("seed-media")):
        yield
