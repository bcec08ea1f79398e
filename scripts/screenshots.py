"""Screenshots of the main pages for the documentation, in the Chinese UI.

    .venv/bin/python scripts/screenshots.py [--out docs/screenshots]

Starts a live server on a fresh database loaded with the demo data (PostgreSQL when it is
reachable, else SQLite in a temporary directory; see tests/browser/live.py), drives Debian's
chromium with Playwright and writes one PNG per page, 1280 wide (800 high, or the whole page
for the long ones). The translation catalogs are compiled from the .po files into the temporary
directory, so the pictures show the current translations whether or not `make translations` has
been run.
"""

import argparse
import logging
import os
import shutil
import sys
import tempfile
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
VIEWPORT = {"width": 1280, "height": 800}
DB_NAME = "socialwork_screenshots"


def compile_catalogs(dest: Path) -> None:
    """Compile app/translations/*/LC_MESSAGES/messages.po into dest, like `pybabel compile`."""
    source = ROOT / "app" / "translations"
    for po in sorted(source.glob("*/LC_MESSAGES/messages.po")):
        locale = po.relative_to(source).parts[0]
        with po.open("rb") as f:
            catalog = read_po(f, locale=locale)
        missing = sum(1 for m in catalog if m.id and (m.fuzzy or not all(m.string if m.pluralizable else [m.string])))
        mo = dest / po.relative_to(source).with_suffix(".mo")
        mo.parent.mkdir(parents=True, exist_ok=True)
        with mo.open("wb") as f:
            write_mo(f, catalog)
        if not locale.startswith("en"):  # English is the source language: its catalog stays empty
            print(f"catalog {locale}: {len(catalog) - missing} translated, {missing} untranslated or fuzzy")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots", help="where the PNGs go")
    parser.add_argument("--workers", type=int, default=300, help="how many demo workers to load")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="socialwork-screenshots-"))
    os.environ["INSTANCE_PATH"] = str(tmp / "instance")  # before config.py is first imported
    sys.path.insert(0, str(ROOT))
    logging.getLogger("werkzeug").setLevel(logging.WARNING)

    # imported only now: they import the app and tests/, which need the project on sys.path, and
    # config.py reads INSTANCE_PATH when it is first imported
    from scripts.screenshots_kit import Camera
    from scripts.screenshots_tour import allowance, registry_and_exams
    from scripts.screenshots_training import training
    from tests.browser.live import CHROMIUM_ARGS, chromium_path, start

    executable = chromium_path()
    if executable is None:
        print("chromium is not installed (apt-get install chromium fonts-noto-cjk)", file=sys.stderr)
        return 2
    compile_catalogs(tmp / "translations")
    server = start(DB_NAME, tmp, args.workers, BABEL_TRANSLATION_DIRECTORIES=str(tmp / "translations"))
    args.out.mkdir(parents=True, exist_ok=True)
    demo = server.demo_worker()
    shots: list[Path] = []
    try:
        with sync_playwright() as p:
            # Chromium's own widgets (file input, date placeholders) follow its UI language,
            # which is English unless Debian's chromium-l10n is installed.
            browser = p.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
            camera = Camera(browser, args.out, VIEWPORT, shots)
            for tour in (registry_and_exams, allowance, training):
                tour(camera, server.url, server, demo)
            browser.close()
    finally:
        server.stop(drop=True)
        shutil.rmtree(tmp, ignore_errors=True)
    for path in shots:
        print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
