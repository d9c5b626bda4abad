"""The explorer page for the tutorial's neuron, and the screenshot in the README.

    python examples/explore_neuron.py

writes examples/neuron.html, the page `hnncompile explore examples/neuron.hnn
a=1 b=2 c=-3 x=-1 y=3 -o neuron.html` writes (open it in any browser: it
needs no network), then opens it in headless Chromium with Playwright
(`pip install '.[test]'` and Debian's `chromium`), presses "Nudge" once, as
chapter 1 does, and saves examples/neuron_explorer.png.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from playwright.sync_api import sync_playwright

import hnncompile

HERE = Path(__file__).parent
POINT = dict(a=1.0, b=2.0, c=-3.0, x=-1.0, y=3.0)
# Headless, and quiet on a machine with no network (see tests/test_explore.py).
FLAGS = "--headless --no-sandbox --disable-gpu --disable-background-networking".split()


def main() -> None:
    f = hnncompile.compile_file(HERE / "neuron.hnn")
    page_path = f.explore(HERE / "neuron.html", **POINT)
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=FLAGS)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.goto(page_path.resolve().as_uri())
        page.click("#nudge")
        page.screenshot(path=HERE / "neuron_explorer.png", full_page=True)
        print(page.inner_text("#nudged"))
        browser.close()
    print(f"wrote {page_path} and {HERE / 'neuron_explorer.png'}")


if __name__ == "__main__":
    main()
