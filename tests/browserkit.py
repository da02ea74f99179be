"""Headless Chromium for the report's browser tests and benchmark: Debian's package, driven by
Playwright (never ``playwright install``)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

# The flags that work on these machines (no sandbox, no GPU, nothing fetched in the background).
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-quic",
    "--no-first-run",
    "--disable-sync",
)


def chromium_path() -> str:
    """``$JUDGE_CHROMIUM``, else ``chromium`` on the PATH, else Debian's location."""
    return os.environ.get("JUDGE_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"


def require_chromium() -> str:
    """The browser's path; skips the test when there is none (``.ci/run`` installs it)."""
    path = chromium_path()
    if not Path(path).exists():
        pytest.skip("chromium is not installed (apt-get install chromium; .ci/run does)")
    return path
