"""Headless Chromium from the distribution's packages, driven by Selenium, for browser tests.

Never a downloaded browser: the binary and driver are Debian's ``chromium`` and
``chromium-driver`` (installed by ``.ci/run``), and Selenium Manager is kept offline. Without
them the tests skip on a laptop but fail where ``SANAT_TEST_REQUIRE_SERVICES`` is set (CI).
Selenium is blocking, so the async tests call it through ``asyncio.to_thread``: the server under
test keeps running on the test's event loop meanwhile.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import pytest

from testing.databases import REQUIRE_ENV

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
ARTIFACTS = Path(__file__).resolve().parent.parent / "var" / "artifacts" / "console"
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
    "--window-size=1280,900",
)
T = TypeVar("T")


def require_chromium() -> None:
    missing = [str(path) for path in (CHROMIUM, CHROMEDRIVER) if not path.exists()]
    if missing:
        message = f"{', '.join(missing)} missing (apt-get install chromium chromium-driver)"
        if os.environ.get(REQUIRE_ENV):
            pytest.fail(message + f" but {REQUIRE_ENV} says the services are required")
        pytest.skip(message)


@contextmanager
def chromium() -> Iterator[Any]:
    """A fresh headless Chromium (its own profile directory), quit afterwards."""
    require_chromium()
    os.environ["SE_OFFLINE"] = "true"  # Selenium Manager must not fetch a browser or driver
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="sanat-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (*FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=str(CHROMEDRIVER)))
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


async def off_loop(call: Callable[..., T], *args: Any) -> T:
    """Run a blocking Selenium call without blocking the server on this event loop."""
    return await asyncio.to_thread(call, *args)


def screenshot(driver: Any, name: str) -> Path:
    """A full-window PNG under var/artifacts/console/ (gitignored), kept as a test artifact."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    driver.save_screenshot(str(path))
    return path
