"""Screenshots of the journeys for the documentation: `make screenshots` runs the browser tests
with SCREENSHOTS_DIR=docs/screenshots, and every `shot(page, name)` in them writes name.png at
1366 px wide and name-phone.png at 390 px. In a plain test run `shot` does nothing."""

import os
from pathlib import Path

DESKTOP = {"width": 1366, "height": 860}
PHONE = {"width": 390, "height": 844}


def shot(page, name: str, phone: bool = True) -> None:
    folder = os.environ.get("SCREENSHOTS_DIR")
    if not folder:
        return
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    before = page.viewport_size
    page.set_viewport_size(DESKTOP)
    page.screenshot(path=str(out / f"{name}.png"), full_page=True)
    if phone:
        page.set_viewport_size(PHONE)
        page.screenshot(path=str(out / f"{name}-phone.png"), full_page=True)
    page.set_viewport_size(before)
