"""The explorer in training mode, and the screenshot in the README.

    python examples/explore_training.py

writes the page `hnncompile explore svm.hnn alpha=0.5 a=1 b=-2 c=-1 --wrt
a,b,c --train tutorial -o page.html` writes for chapter 2's SVM cost of one
point (svm.hnn holds PROGRAM below), opens it in headless Chromium with
Playwright (`pip install '.[test]'` and Debian's `chromium`), presses Train
until the six points are all classified right (about 520 steps), Pause,
and "Step through backward" twice, and saves examples/svm_training.png.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

import hnncompile

HERE = Path(__file__).parent
PROGRAM = """# Chapter 2: the SVM's cost of one point (x, y) with its label (+1 or -1)
score = a*x + b*y + c
L = max(0, -label*score + 1) + alpha*(a*a + b*b)
"""
# The tutorial's start; alpha = 0.5 is its regularization pull, -a and -b.
START = dict(a=1.0, b=-2.0, c=-1.0, alpha=0.5)
# Headless, and quiet on a machine with no network (see tests/test_explore.py).
FLAGS = "--headless --no-sandbox --disable-gpu --disable-background-networking".split()


def main() -> None:
    f = hnncompile.compile(PROGRAM, wrt=["a", "b", "c"], filename="svm.hnn")
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    with tempfile.TemporaryDirectory() as folder, sync_playwright() as playwright:
        page_path = f.explore(Path(folder) / "svm.html", train="tutorial", **START)
        browser = playwright.chromium.launch(executable_path=chromium, args=FLAGS)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.goto(page_path.as_uri())
        page.fill("#speed", "10")
        page.click("#train")
        # Pause from inside the page, between two frames, as soon as it is 100%.
        page.wait_for_function(
            """() => document.getElementById("accuracy").textContent === "100%"
            && (document.getElementById("pause").click(), true)""",
            polling="raf",
        )
        page.click("#back-step")
        page.click("#back-step")
        page.screenshot(path=HERE / "svm_training.png", full_page=True)
        print(
            f"after {page.inner_text('#steps')} steps: loss "
            f"{page.inner_text('#loss')}, accuracy {page.inner_text('#accuracy')}"
        )
        browser.close()
    print(f"wrote {HERE / 'svm_training.png'}")


if __name__ == "__main__":
    main()
