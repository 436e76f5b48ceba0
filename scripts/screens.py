"""Screenshots of pages for a human look: python scripts/screens.py BASE_URL USER OUTDIR PATH...

Each path is taken in English and Khmer, on a desktop and on a 360-px phone.
"""

from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def main(base: str, user: str, out: str, paths: list[str]) -> None:
    outdir = Path(out)
    outdir.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        for label, viewport in (
            ("desk", {"width": 1280, "height": 900}),
            ("phone", {"width": 360, "height": 740}),
        ):
            ctx = browser.new_context(viewport=viewport)
            page = ctx.new_page()
            page.goto(f"{base}/login")
            page.fill("input[name=username]", user)
            page.fill("input[name=password]", "leap-demo-2026")
            page.click("main button[type=submit]")
            for lang in ("en", "km"):
                page.goto(f"{base}/")
                button = page.locator(f"form.lang-switch button[value={lang}]")
                if button.count():
                    button.click()
                for path in paths:
                    page.goto(base + path)
                    name = path.strip("/").replace("/", "_").replace("?", "_") or "home"
                    page.screenshot(path=str(outdir / f"{name}-{lang}-{label}.png"), full_page=True)
            ctx.close()
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:])
