"""Debian's Chromium, headless, driven by selenium, for the tests that look at our pages (the QC
report, the panel); the test is skipped when the browser is not installed (./setup installs it)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest


def chromium(profile: Path, *, window: str = "1280,2400", downloads: Path | None = None) -> Any:
    webdriver = pytest.importorskip("selenium.webdriver")
    binary, driver_path = shutil.which("chromium") or shutil.which("chromium-browser"), shutil.which("chromedriver")
    if not binary or not driver_path:
        pytest.skip("chromium and chromedriver are not installed (./setup installs them)")
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", f"--window-size={window}",
                 "--disable-background-networking", "--no-first-run", f"--user-data-dir={profile}"):
        options.add_argument(flag)
    if downloads is not None:
        options.add_experimental_option("prefs", {"download.default_directory": str(downloads), "download.prompt_for_download": False})
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path=driver_path))
    if downloads is not None:
        driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    return driver
