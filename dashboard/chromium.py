"""Where the local Chromium is, and the flags it runs headless with.

One browser serves three jobs: kaleido draws the PDF report's charts with it, and the browser
tests and `bench/dashboard.py --browser` drive the dashboard in it through Playwright.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
# No sandbox: CI runs as root in a container. The rest keeps it from calling home.
HEADLESS_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
INSTALL_HINT = "apt-get update && apt-get install -y chromium"


def chromium_path() -> str | None:
    """BROWSER_PATH if set, else the first Chromium on PATH (Debian's `chromium`)."""
    if explicit := os.environ.get("BROWSER_PATH"):
        return explicit if Path(explicit).is_file() else None
    return next((p for name in NAMES if (p := shutil.which(name))), None)
