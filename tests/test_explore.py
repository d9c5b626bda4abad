"""The explorer page: self-contained HTML, and a real browser playing with it.

The browser tests drive Debian's Chromium headless with Playwright; CI
installs both (.ci/run and the test extras). The numbers the page shows are
computed by the JavaScript it carries; these tests read them off the page
and compare them with the Python target at the same point.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

import hnncompile
from hnncompile import codegen, explore
from hnncompile.cli import main

EXAMPLES = Path(__file__).parent.parent / "examples"
NEURON = EXAMPLES / "neuron.hnn"
TUTORIAL_POINT = dict(a=1.0, b=2.0, c=-3.0, x=-1.0, y=3.0)
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# As the machine's notes say: without the background-networking flags,
# Chromium keeps trying to reach Google's hosts through a closed network.
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def test_the_page_is_self_contained(tmp_path):
    f = hnncompile.compile_file(NEURON)
    text = explore.page(f, TUTORIAL_POINT)
    # Nothing to fetch: no script or style from elsewhere, no link, no URL
    # but the SVG namespaces (names, never fetched).
    assert not re.search(r"<(link|img|iframe)\b|\bsrc=", text)
    urls = set(re.findall(r"https?://[^\s\"'<>]+", text))
    assert urls <= {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}
    for name in f.inputs:
        assert f'id="slider-{name}"' in text and f'id="box-{name}"' in text
    # The generated module is in the page, and its code is shown.
    assert "export function backward(a, x, b, y, c, dout = 1.0) {" in text
    assert "var f = 1 / (1 + Math.exp(-q));" in text


def test_the_table_calls_each_gate_by_its_one_name():
    """The wires' table names gates as the comments and the trace do: x**2
    is a pow gate (inside, `square`), max(x, 1) a max gate (`maxc`)."""
    from hnncompile.gates import GATES

    f = hnncompile.compile("f = x**2 + x**3 + x**0.5 + 2**x + max(x, 1) + min(1, x)")
    text = explore.page(f, {"x": 1.5})
    cells = re.findall(r'<tr id="row-[^"]*"><td>[^<]*</td><td>([^<]*)</td>', text)
    titles = {GATES[eqn.gate].title for eqn in f.gates.eqns}
    assert set(cells) == {"input"} | titles
    assert {"pow", "max", "min", "add"} <= set(cells)


def test_a_source_cannot_close_the_script(tmp_path):
    f = hnncompile.compile("# </script><script>alert(1)</script>\nf = a * 2")
    text = explore.page(f)
    script = text[text.index('<script type="module">') :]
    assert script.count("</script>") == 1


def test_cli_writes_the_page(tmp_path, capsys):
    out = tmp_path / "page.html"
    assert main(["explore", str(NEURON), "a=1", "b=2", "-o", str(out)]) == 0
    assert '"start": {"a": 1.0, "x": 1.0, "b": 2.0, "y": 1.0, "c": 1.0}' in (
        out.read_text()
    )
    assert main(["explore", "-e", "log(a)", "a=-1", "-o", str(out)]) == 2
    assert "cannot be evaluated at the starting point" in capsys.readouterr().err


def test_without_graphviz_the_cli_says_what_to_install(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("PATH", str(tmp_path))  # no `dot` on it
    out = tmp_path / "page.html"
    assert main(["explore", str(NEURON), "-o", str(out)]) == 2
    assert "apt-get install graphviz" in capsys.readouterr().err
    assert not out.exists()


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        sync_playwright = None
    if sync_playwright is None or CHROMIUM is None:
        if os.environ.get("CI"):
            raise RuntimeError("CI must run the browser tests: Playwright, Chromium")
        pytest.skip("Playwright or Chromium is not installed")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_FLAGS
        )
        yield browser
        browser.close()


def _open(browser, tmp_path, f, point):
    path = explore.write(f, tmp_path / "page.html", point)
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(path.as_uri())
    page.wait_for_function("document.querySelector('#output .value').textContent")
    return page, errors


def _shown(page, selector: str) -> float:
    return float(page.inner_text(selector).replace("gradient", "").strip())


def test_moving_a_slider_moves_every_number_on_the_page(browser, tmp_path):
    started = time.perf_counter()
    f = hnncompile.compile_file(NEURON)
    page, errors = _open(browser, tmp_path, f, TUTORIAL_POINT)
    assert _shown(page, "#output .value") == pytest.approx(0.8808, abs=5e-5)

    # Drag a's slider right by 50 steps of 0.01, as a learner would with keys.
    page.focus("#slider-a")
    for _ in range(50):
        page.keyboard.press("ArrowRight")
    point = dict(TUTORIAL_POINT, a=float(page.input_value("#slider-a")))
    assert point["a"] == pytest.approx(1.5)
    assert float(page.input_value("#box-a")) == point["a"]

    value, grads = f.grad(**point)
    trace = f.trace(**point)
    assert _shown(page, "#output .value") == pytest.approx(value, rel=1e-3)
    for name in f.inputs:
        assert _shown(page, f"#grad-{name}") == pytest.approx(grads[name], rel=1e-3)
    for row in trace.rows:  # the table: every wire
        assert _shown(page, f"#row-{row.wire} .value") == pytest.approx(
            row.value, rel=1e-3, abs=1e-9
        )
        assert _shown(page, f"#row-{row.wire} .gradient") == pytest.approx(
            row.gradient, rel=1e-3, abs=1e-9
        )
    # The drawing: the wire q carries its value and gradient at the new point.
    q_texts = page.locator('g[id^="wire-q-"] text').all_text_contents()
    assert float(q_texts[-2]) == pytest.approx(trace.values["q"], rel=1e-3)
    assert float(q_texts[-1]) == pytest.approx(trace.gradients["q"], rel=1e-3)
    # The code: the line computing dq shows dq's number now.
    dq_line = page.locator(".line", has_text="var dq = ").first.inner_text()
    assert float(dq_line.split("//")[-1]) == pytest.approx(
        trace.gradients["q"], rel=1e-3
    )
    assert errors == []
    print(f"browser test: {time.perf_counter() - started:.2f} s")


def test_typing_a_number_and_nudging_raise_the_output(browser, tmp_path):
    f = hnncompile.compile_file(NEURON)
    page, errors = _open(browser, tmp_path, f, TUTORIAL_POINT)
    page.focus("#box-c")  # type it key by key: the box must not rewrite itself
    page.keyboard.press("Control+A")
    page.keyboard.type("-2.50")
    assert page.input_value("#box-c") == "-2.50"
    point = dict(TUTORIAL_POINT, c=-2.5)
    assert float(page.input_value("#slider-c")) == -2.5
    assert _shown(page, "#output .value") == pytest.approx(f(**point), rel=1e-3)

    page.click("#nudge")
    grads = f.grad(**point)[1]
    stepped = {k: v + 0.01 * grads[k] for k, v in point.items()}
    assert _shown(page, "#output .value") == pytest.approx(f(**stepped), rel=1e-3)
    assert f(**stepped) > f(**point)
    for name in f.inputs:
        shown = float(page.input_value(f"#box-{name}"))  # 6 digits
        assert shown == pytest.approx(stepped[name], rel=1e-5)
    assert "went from" in page.inner_text("#nudged")
    assert errors == []


# Where the READMEs say what one nudge does to the neuron: "0.8808 to N",
# "rises to N".
NUDGE_IN_DOCS = re.compile(r"(?:0\.8808 to|rises? to) (\d\.\d+)")


def _documented_nudges() -> list[str]:
    found = []
    for readme in (EXAMPLES.parent / "README.md", EXAMPLES / "README.md"):
        numbers = NUDGE_IN_DOCS.findall(" ".join(readme.read_text().split()))
        assert numbers, f"{readme} no longer says where the nudge goes"
        found += numbers
    return found


def test_the_readmes_say_where_the_nudge_goes():
    """The number both READMEs give is the page's: 4 significant digits."""
    f = hnncompile.compile_file(NEURON)
    grads = f.grad(**TUTORIAL_POINT)[1]
    after = f(**{k: v + 0.01 * grads[k] for k, v in TUTORIAL_POINT.items()})
    assert after == pytest.approx(0.88255, abs=1e-5)  # the tutorial cuts it to 0.8825
    assert set(_documented_nudges()) == {f"{after:.4g}"}


def test_the_tutorials_chapter_1_nudge(browser, tmp_path):
    """Chapter 1: one step of 0.01 takes the neuron from 0.8808 to 0.88255,
    which the page shows as 0.8826, and the READMEs say so."""
    f = hnncompile.compile_file(NEURON)
    page, errors = _open(browser, tmp_path, f, TUTORIAL_POINT)
    page.click("#nudge")
    shown = page.inner_text("#output .value")
    assert float(shown) == pytest.approx(0.88255, abs=1e-4)
    assert page.inner_text("#nudged").startswith(f"f went from 0.8808 to {shown} (")
    assert set(_documented_nudges()) == {shown}
    assert errors == []


def test_committed_page_is_up_to_date():
    """examples/neuron.html, linked from the READMEs, is what explore writes
    now (but for the drawing, which Graphviz versions lay out differently)."""

    def without_drawing(text: str) -> str:
        return re.sub(r"<svg.*</svg>", "<svg/>", text, flags=re.DOTALL)

    fresh = explore.page(hnncompile.compile_file(NEURON), TUTORIAL_POINT)
    committed = (EXAMPLES / "neuron.html").read_text(encoding="utf-8")
    assert without_drawing(committed) == without_drawing(fresh)


@pytest.mark.parametrize(
    "program, point",
    [
        ("new = lambda * 2\nf = max(new, this) + relu(Math)", {"lambda": 0.5}),
        ("f = sum(x) + x * x / 4 + pow(x, 3)", {"x": -1.5}),
    ],
)
def test_awkward_programs_work_in_the_browser(browser, tmp_path, program, point):
    f = hnncompile.compile(program)
    page, errors = _open(browser, tmp_path, f, point)
    start = {name: point.get(name, 1.0) for name in f.inputs}
    assert _shown(page, "#output .value") == pytest.approx(f(**start), rel=1e-3)
    page.click("#nudge")
    grads = f.grad(**start)[1]
    stepped = {k: v + 0.01 * grads[k] for k, v in start.items()}
    assert _shown(page, "#output .value") == pytest.approx(f(**stepped), rel=1e-3)
    assert errors == []


def test_a_program_too_large_to_draw_still_gets_its_page(browser, tmp_path):
    program = "\n".join(
        ["h0 = a * b"] + [f"h{i} = tanh(h{i - 1}) + a" for i in range(1, 200)]
    )
    f = hnncompile.compile(program)
    assert len(f.gates.eqns) > 300
    page, errors = _open(browser, tmp_path, f, {"a": 0.5, "b": 0.25})
    assert "too many to draw" in page.inner_text("#circuit")
    value, grads = f.grad(a=0.5, b=0.25)
    assert _shown(page, "#output .value") == pytest.approx(value, rel=1e-3)
    assert _shown(page, "#grad-b") == pytest.approx(grads["b"], rel=1e-3)
    assert errors == []


def test_a_long_programs_title_is_cut_short():
    program = "\n".join(f"h{i} = a * {i}" for i in range(1, 400))
    text = explore.page(hnncompile.compile(program), {"a": 1.0})
    heading = re.search(r"<h1>Explore <code>(.*?)</code></h1>", text).group(1)
    assert heading.startswith("h1 = a * 1; h2 = a * 2;") and heading.endswith("...")
    assert len(heading) <= explore.HEADING_LENGTH


def test_a_starting_point_must_be_finite_inputs():
    f = hnncompile.compile("f = a * b")
    with pytest.raises(ValueError, match="finite"):
        explore.page(f, {"a": float("inf")})
    with pytest.raises(ValueError, match="'z': not an input"):
        explore.page(f, {"z": 1.0})


def test_an_array_input_is_refused_with_what_the_page_takes(tmp_path):
    """The page's sliders move numbers: an array (the SVM cost's data on
    the numpy target) is refused naming the input, not with NumPy's "only
    0-dimensional arrays can be converted"."""
    import numpy as np

    cost = hnncompile.compile("L = sum(max(0, w*x + 1))", target="numpy")
    with pytest.raises(TypeError, match=r"input 'x' is an array of shape \(3,\)"):
        cost.explore(tmp_path / "p.html", x=np.array([1.0, -2.0, 3.0]), w=0.5)
    with pytest.raises(TypeError, match="one number for each input"):
        cost.explore(tmp_path / "p.html", x=[1.0, 2.0], w=0.5)
    assert not (tmp_path / "p.html").exists()
    page = cost.explore(tmp_path / "p.html", x=np.float64(2.0), w=np.array(0.5))
    assert page.exists()  # a NumPy number is a number


# Names that are properties of every JavaScript object, and a comment that
# opens the HTML parser's "script data escaped" states: a page must hold
# them as the plain names and text they are.
PROTOTYPE_PROGRAM = """# <!--<script> a comment that must stay a comment
// <!--<SCRIPT type="module"> </Script > and its other spellings
__proto__ = a * b
constructor = __proto__ + toString
hasOwnProperty = sigmoid(constructor)
valueOf = hasOwnProperty * a + __proto__
"""
PROTOTYPE_POINT = {"a": 0.5, "b": -1.5, "toString": 2.0}


def _inline_scripts(text: str) -> list[str]:
    """What each <script> element holds, read as the HTML parser reads it
    when nothing in it enters an escaped state: up to the first </script."""
    return re.findall(r"<script\b[^>]*>(.*?)</script", text, flags=re.S | re.I)


def test_no_script_on_the_page_holds_what_the_html_parser_escapes():
    f = hnncompile.compile(PROTOTYPE_PROGRAM)
    text = explore.page(f, PROTOTYPE_POINT)
    scripts = _inline_scripts(text)
    assert len(scripts) == 2  # the data, and the module with the page's script
    for script in scripts:
        assert not re.search(r"<!--|</?script", script, flags=re.I), script[:200]
    # The module still holds the comment (as \u003c, which a comment keeps as
    # it is), and the code shown on the page quotes it as written.
    assert "//     # \\u003c!--\\u003cscript> a comment" in scripts[1]
    assert "# &lt;!--&lt;script&gt; a comment" in text
    # The data is JSON still, and says the same.
    data = json.loads(scripts[0])
    assert data["inputs"] == ["a", "b", "toString"]
    assert data["start"] == PROTOTYPE_POINT


def test_the_javascript_trace_holds_a_wire_named_like_a_prototype(tmp_path):
    node = shutil.which("node")
    if node is None:
        pytest.skip("Node.js is not installed")
    f = hnncompile.compile(PROTOTYPE_PROGRAM)
    module = tmp_path / "trace.mjs"
    module.write_text(
        codegen.generate_trace(f.gates, target="js")
        + "\nconst [values, gradients] = trace(0.5, -1.5, 2.0);"
        + "\nconst plain = (m) => Object.fromEntries(m instanceof Map ? m : "
        + "Object.entries(m));"
        + "\nconsole.log(JSON.stringify([plain(values), plain(gradients)]));\n"
    )
    result = subprocess.run([node, str(module)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    values, gradients = json.loads(result.stdout)
    expected = f.trace(**PROTOTYPE_POINT)
    assert values == pytest.approx(expected.values)
    assert gradients == pytest.approx(expected.gradients)
    assert values["__proto__"] == -0.75  # a * b, not Object.prototype


def test_a_page_with_such_names_and_comments_shows_every_number(browser, tmp_path):
    f = hnncompile.compile(PROTOTYPE_PROGRAM)
    page, errors = _open(browser, tmp_path, f, PROTOTYPE_POINT)
    trace = f.trace(**PROTOTYPE_POINT)
    assert _shown(page, "#output .value") == pytest.approx(f(**PROTOTYPE_POINT), 1e-3)
    for name in f.inputs:
        assert _shown(page, f"#grad-{name}") == pytest.approx(
            trace.gradients[name], rel=1e-3
        )
    for row in trace.rows:
        assert _shown(page, f"#row-{row.wire} .value") == pytest.approx(
            row.value, rel=1e-3
        )
        assert _shown(page, f"#row-{row.wire} .gradient") == pytest.approx(
            row.gradient, rel=1e-3
        )
    for wire in ("__proto__", "constructor", "hasOwnProperty"):
        texts = page.locator(f'g[id^="wire-{wire}-"] text').all_text_contents()
        assert float(texts[-2]) == pytest.approx(trace.values[wire], rel=1e-3)
        assert float(texts[-1]) == pytest.approx(trace.gradients[wire], rel=1e-3)
    # The nudge moves the inputs whose names are Object's own.
    page.click("#nudge")
    stepped = {k: v + 0.01 * trace.gradients[k] for k, v in PROTOTYPE_POINT.items()}
    assert float(page.input_value("#box-toString")) == pytest.approx(
        stepped["toString"], rel=1e-5
    )
    assert _shown(page, "#output .value") == pytest.approx(f(**stepped), rel=1e-3)
    assert errors == []


@pytest.mark.parametrize(
    "program, wrt, note",
    [
        (
            "q = 3\nf = q * 2",
            None,
            "This program has no inputs: its value is a constant.",
        ),
        ("f = a * 3 + b", [], "No input is differentiated (wrt is empty)"),
    ],
)
def test_a_page_with_nothing_to_nudge_says_so(browser, tmp_path, program, wrt, note):
    f = hnncompile.compile(program, wrt=wrt)
    text = explore.page(f)
    assert note in text
    assert 'id="nudge"' not in text and "A nudge moves" not in text
    assert ("Move an input" in text) == bool(f.inputs)
    assert ('id="inputs"' in text) == bool(f.inputs)
    page, errors = _open(browser, tmp_path, f, {})
    start = {name: 1.0 for name in f.inputs}
    assert page.locator("#nudge").count() == 0
    assert _shown(page, "#output .value") == pytest.approx(f(**start))
    for row in f.trace(**start).rows:
        assert _shown(page, f"#row-{row.wire} .value") == pytest.approx(row.value)
        assert _shown(page, f"#row-{row.wire} .gradient") == pytest.approx(row.gradient)
    if f.inputs:  # the sliders still move the numbers
        page.fill("#box-a", "2")
        assert _shown(page, "#output .value") == pytest.approx(f(a=2.0, b=1.0))
    assert errors == []
