"""Run by .ci/run with a wheel installed in a fresh environment, from a
directory outside the checkout: the installed package alone must work,
its grammar included."""

import math
from pathlib import Path

import hnncompile

repo = Path(__file__).resolve().parent.parent
assert repo not in Path(hnncompile.__file__).resolve().parents, hnncompile.__file__

f = hnncompile.compile("q = a*x + b*y + c; f = sigmoid(q)")
value, grads = f.grad(a=1.0, b=2.0, c=-3.0, x=-1.0, y=3.0)
assert math.isclose(value, 0.8807970779778823), value
assert math.isclose(grads["a"], -0.10499358540350662), grads
assert hnncompile.gradcheck(f, 1.0, -1.0, 2.0, 3.0, -3.0).passed

# The array target: numpy came with the wheel's dependencies.
import numpy as np  # noqa: E402

cost = hnncompile.compile("sum(max(0, 1 - y * (w * x)))", target="numpy", wrt=["w"])
(dw,) = cost.backward(np.array([1.0, -1.0]), 0.5, np.array([1.0, 2.0]))
assert math.isclose(dw, -1.0 * 1.0 + 1.0 * 2.0), dw  # -y * x, summed

# The explorer page: its skeleton, style sheet and script are files of the
# package (hnncompile/explorer/page.html, page.css, page.js), which the
# wheel must ship. A program too large to draw needs no Graphviz (the wheel
# installs without the draw extra), and its page inlines them all.
import tempfile  # noqa: E402

from hnncompile.draw import MAX_DRAWN_GATES  # noqa: E402

chain = hnncompile.compile(" + ".join(f"sin(x{i})" for i in range(MAX_DRAWN_GATES)))
with tempfile.TemporaryDirectory() as folder:
    page = chain.explore(Path(folder) / "chain.html").read_text(encoding="utf-8")
assert page.startswith("<!DOCTYPE html>") and page.endswith("</html>\n"), page[:80]
assert "gates are too many to draw" in page, page[:2000]
for name in ("page.css", "page.js"):
    shipped = (repo / "hnncompile" / "explorer" / name).read_text(encoding="utf-8")
    assert shipped.strip() and shipped in page, name
assert "function trainer(training)" in page  # page.js, whole
print("hnncompile from", Path(hnncompile.__file__).parent, "works")
