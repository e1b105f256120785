"""What the browser tests share: viewports and where screenshots go."""

import os
from pathlib import Path

PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 800}
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def screenshot_dir() -> Path:
    path = Path(os.environ.get("TEST_OUTPUT_DIR", "test-output")) / "screenshots"
    path.mkdir(parents=True, exist_ok=True)
    return path
