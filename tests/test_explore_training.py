"""The explorer learns: data sets, training mode, stepping through backward
and the gradient's flow, in Python and in a real browser.

The browser tests (Chromium driven by Playwright, as in test_explore.py)
train in the page and replay the same steps in Python: the page's
seeded choice of points (mulberry32) is reproduced here, so the parameters
the page reached must be the Python target's after as many steps.
"""

from __future__ import annotations

import json
import math
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

import hnncompile
from hnncompile import datasets, explore
from hnncompile.cli import main

from test_explore import NEURON, TUTORIAL_POINT, _open, _shown, browser  # noqa: F401

EXAMPLES = Path(__file__).parent.parent / "examples"
SVM = "score = a*x + b*y + c\nL = max(0, -label*score + 1) + alpha*(a*a + b*b)\n"
# The tutorial's start (a = 1, b = -2, c = -1) and its regularization pull,
# -a and -b, which is the gradient of alpha*(a*a + b*b) at alpha = 0.5.
SVM_START = {"a": 1.0, "b": -2.0, "c": -1.0, "alpha": 0.5}
NET_PARAMETERS = "a1 b1 c1 a2 b2 c2 a3 b3 c3 a4 b4 c4 d4".split()


def mulberry32(seed: int):
    """The page's random numbers (its `seeded`), in Python."""
    state = seed & 0xFFFFFFFF

    def random() -> float:
        nonlocal state
        state = (state + 0x6D2B79F5) & 0xFFFFFFFF
        t = ((state ^ (state >> 15)) * (state | 1)) & 0xFFFFFFFF
        t ^= (t + (((t ^ (t >> 7)) * (t | 61)) & 0xFFFFFFFF)) & 0xFFFFFFFF
        return ((t ^ (t >> 14)) & 0xFFFFFFFF) / 4294967296

    return random


def replay(f, train: explore.Training, steps: int) -> dict[str, float]:
    """The tutorial's SGD as the page runs it, `steps` times, in Python."""
    point = dict(train.start)
    random = mulberry32(train.seed)
    x, y, label = train.data
    for _ in range(steps):
        i = math.floor(random() * len(train.dataset))
        (point[x], point[y]), point[label] = (
            train.dataset.points[i],
            train.dataset.labels[i],
        )
        grads = dict(zip(f.wrt, f.backward(**point)))
        for name in train.trained:
            point[name] += -train.step * grads[name]
    return point


def loss_and_accuracy(f, train: explore.Training, point) -> tuple[float, float]:
    x, y, label = train.data
    losses, correct = [], 0
    for (px, py), pl in zip(train.dataset.points, train.dataset.labels):
        values = f.trace(**{**point, x: px, y: py, label: pl}).values
        losses.append(values[f.output])
        correct += (1.0 if values[train.score] > 0 else -1.0) == pl
    return sum(losses) / len(losses), correct / len(losses)


# Training mode, in Python.


def test_training_settles_data_score_parameters_and_start():
    f = hnncompile.compile(SVM, wrt=["a", "b", "c"])
    train = explore.training(f, "tutorial", point={"a": 1.0, "alpha": 0.5})
    assert train.data == ("x", "y", "label") and train.score == "score"
    assert train.trained == ("a", "b", "c") and train.held == ("alpha",)
    assert train.step == 0.01 and train.chosen == ("b", "c")
    assert train.start["a"] == 1.0 and train.start["alpha"] == 0.5
    assert (train.start["x"], train.start["y"], train.start["label"]) == (1.2, 0.7, 1)
    for name in ("b", "c"):  # small seeded random numbers, 3 decimals
        assert -0.5 <= train.start[name] < 0.5
        assert round(train.start[name], 3) == train.start[name]
    again = explore.training(f, "tutorial", point={"a": 1.0, "alpha": 0.5})
    other = explore.training(f, "tutorial", seed=1, point={"a": 1.0, "alpha": 0.5})
    assert again.start == train.start and other.start != train.start
    # Without a value, a held input starts at 1, as the study commands' do.
    assert explore.training(f, "tutorial").start["alpha"] == 1.0


@pytest.mark.parametrize(
    "options, message",
    [
        ({"data": "x,y"}, "give three different inputs"),
        ({"data": "x,y,z"}, r"data: 'z' is not an input of the program \(its inputs"),
        ({"score": "s"}, r"no wire named 's'.*wires are a, b, c, alpha, score, L$"),
        ({"step": -1}, "the step size is a positive number, not -1"),
        ({"step": float("nan")}, "the step size is a positive number"),
        ({"point": {"x": 1.0}}, "x: data, set from each point of tutorial"),
        ({"point": {"q": 1.0}}, "'q': not an input"),
    ],
)
def test_training_refuses_what_does_not_fit(options, message):
    f = hnncompile.compile(SVM)
    with pytest.raises(ValueError, match=message):
        explore.training(f, "tutorial", **options)


def test_nothing_to_train_is_said():
    f = hnncompile.compile(SVM, wrt=["x", "y"])
    with pytest.raises(ValueError, match="nothing to train"):
        explore.training(f, "tutorial")


def test_the_api_writes_a_training_page(tmp_path):
    f = hnncompile.compile(SVM, wrt=["a", "b", "c"])
    path = f.explore(tmp_path / "p.html", train="tutorial", step=0.02, seed=3, a=1)
    data = _page_data(path.read_text())
    assert data["training"]["points"][0] == [1.2, 0.7]
    assert data["training"]["step"] == 0.02 and data["training"]["seed"] == 3
    assert data["start"]["a"] == 1.0
    for element in ("train", "pause", "step", "loss", "accuracy", "steps", "boundary"):
        assert f'id="{element}"' in path.read_text()
    with pytest.raises(ValueError, match="no wire named 'score2'"):
        f.explore(tmp_path / "q.html", train="tutorial", score="score2")
    with pytest.raises(datasets.DataError, match="neither a built-in"):
        f.explore(tmp_path / "q.html", train="nowhere")
    assert not (tmp_path / "q.html").exists()
    # An input named like an option is an input without train=.
    g = hnncompile.compile("L = step * x")
    assert _page_data(g.explore(tmp_path / "r.html", step=2.0).read_text())[
        "start"
    ] == {"step": 2.0, "x": 1.0}


def _page_data(text: str) -> dict:
    found = re.search(r'<script id="data" type="application/json">(.*?)</script>', text)
    return json.loads(found.group(1))


def test_cli_trains_on_a_data_set(tmp_path, capsys):
    program = tmp_path / "svm.hnn"
    program.write_text(SVM)
    out = tmp_path / "page.html"
    argv = ["explore", str(program), "alpha=0.5", "a=1", "--train", "tutorial"]
    assert main([*argv, "--wrt", "a,b,c", "--seed", "2", "-o", str(out)]) == 0
    err = capsys.readouterr().err
    start = _page_data(out.read_text())["start"]
    assert f"start at random (seed 2): b={start['b']:g}, c={start['c']:g}" in err
    assert start["alpha"] == 0.5 and start["a"] == 1.0


@pytest.mark.parametrize(
    "options, message",
    [
        (["--train", "tutorial", "--data", "x,y,z"], "data: 'z' is not an input"),
        (["--train", "tutorial", "--score", "s"], "no wire named 's' to take the sign"),
        (["--train", "noset"], "'noset' is neither a built-in data set"),
        (["--train", "BAD"], r"row 2: 'one' in column 'x' is not a number"),
        (["--score", "score"], "--score: only with --train DATA"),
        (["--train", "tutorial", "--step", "0"], "the step size is a positive number"),
    ],
)
def test_cli_mistakes_exit_2_with_the_reason(tmp_path, capsys, options, message):
    program = tmp_path / "svm.hnn"
    program.write_text(SVM)
    bad = tmp_path / "bad.csv"
    bad.write_text("x,y,label\none,2,1\n")
    options = [str(bad) if o == "BAD" else o for o in options]
    out = tmp_path / "page.html"
    assert main(["explore", str(program), *options, "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert re.search(message, err) and "Traceback" not in err
    assert not out.exists()


# Stepping through backward: what the page is told, checked against the
# code it shows and the trace.

FAN_OUT = "q = a * b + a\nf = max(q, a * a) + sigmoid(q) * " + " * ".join(
    f"long_name_{i}" for i in range(8)
)


@pytest.mark.parametrize("program", [SVM, FAN_OUT, "f = pow(a, 3) / b"])
def test_backward_steps_follow_the_code_gate_by_gate(program):
    f = hnncompile.compile(program)
    module = hnncompile.codegen.generate(f.gates, wrt=f.wrt, target="js")
    lines = module.splitlines()
    steps, _ = explore._backward_steps(f, lines)
    # Every gate once, from the output back.
    assert [s["gate"] for s in steps] == list(range(len(f.gates.eqns)))[::-1]
    assert [s["out"] for s in steps] == [e.out for e in reversed(f.gates.eqns)]
    first = lines.index("  // backward pass, in reverse") + 1
    for step in steps:
        start, end = step["lines"]
        assert start == first  # the steps cover the backward pass, in order
        first = end + 1
        shown = "\n".join(lines[start : end + 1])
        assert f"// {step['written']}:" in shown.replace("\n  //", "")
        for part in step["parts"]:
            rule = "".join(p if isinstance(p, str) else p[2] for p in part["rule"])
            head = "var " if part["operator"] == "=" else ""
            assert f"{head}{part['grad']} {part['operator']}" in shown
            assert " ".join(rule.split()) in " ".join(shown.split())
    assert lines[first].startswith("  return")


def test_the_contributions_add_up_to_every_gradient(tmp_path):
    """Run the page's `contributions` in Node on the trace's numbers: the
    products sent to each wire add up to its gradient, and a wire with
    several (a fan-out) is one the page sums."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("Node.js is not installed")
    f = hnncompile.compile(FAN_OUT)
    point = {name: 0.3 + 0.1 * i for i, name in enumerate(f.inputs)}
    lines = hnncompile.codegen.generate(f.gates, wrt=f.wrt, target="js").splitlines()
    steps, contributions = explore._backward_steps(f, lines)
    script = tmp_path / "steps.mjs"
    script.write_text(
        hnncompile.codegen.generate_trace(f.gates, target="js")
        + f"\n{contributions}\n"
        + f"const [v, g] = trace(...{json.dumps(list(point.values()))});\n"
        + "console.log(JSON.stringify(contributions(v, g)));\n"
    )
    result = subprocess.run([node, str(script)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    products = json.loads(result.stdout)
    sums: dict[str, float] = {}
    for step in steps:
        for part in step["parts"]:
            sums[part["to"]] = sums.get(part["to"], 0.0) + products[part["index"]]
    expected = f.trace(**point).gradients
    assert sums == pytest.approx({w: expected[w] for w in sums}, rel=1e-12)
    fanned = {p["to"] for s in steps for p in s["parts"] if p["operator"] == "+="}
    assert fanned == {"a", "q"}


# In the browser.


def _train_until(page, condition: str, speed: int, limit: int) -> tuple[int, int]:
    """Press Train, wait until `condition` (JavaScript, on the page's
    numbers) or `limit` steps, press Pause: the steps shown when it held
    (or the limit was passed), and the steps taken at the pause."""
    page.fill("#speed", str(speed))
    page.click("#train")
    seen = page.wait_for_function(
        f"""() => {{
        const steps = Number(document.getElementById("steps").textContent);
        const accuracy = document.getElementById("accuracy").textContent;
        return ({condition}) || steps >= {limit} ? steps : false;
    }}""",
        polling="raf",
        timeout=30_000,
    ).json_value()
    page.click("#pause")
    return seen, int(page.inner_text("#steps"))


def _parameters(page, train) -> dict[str, float]:
    return {name: float(page.input_value(f"#box-{name}")) for name in train.trained}


def test_the_svm_learns_the_tutorials_six_points(browser, tmp_path):
    started = time.perf_counter()
    f = hnncompile.compile(SVM, wrt=["a", "b", "c"])
    train = explore.training(f, "tutorial", point=SVM_START)
    path = explore.write(f, tmp_path / "svm.html", train=train)
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(path.as_uri())
    page.wait_for_function("document.getElementById('loss').textContent")
    start_loss = float(page.inner_text("#loss"))
    assert start_loss == pytest.approx(
        loss_and_accuracy(f, train, train.start)[0], 1e-3
    )
    assert page.inner_text("#accuracy") == "66.6%"  # 4 of 6 at the tutorial's start

    seen, steps = _train_until(page, 'accuracy === "100%"', speed=10, limit=1000)
    assert seen < 1000  # the tutorial took 300 or so; here 520
    assert loss_and_accuracy(f, train, replay(f, train, seen))[1] == 1.0
    # The page's parameters are the tutorial's SGD's after as many steps,
    # with the points the page picked (replayed here from its seed).
    reached = replay(f, train, steps)
    shown = _parameters(page, train)
    assert shown == pytest.approx({k: reached[k] for k in train.trained}, rel=1e-5)
    # Its numbers are the Python target's at those parameters.
    loss, accuracy = loss_and_accuracy(f, train, reached)
    assert page.inner_text("#accuracy") == f"{math.floor(1000 * accuracy) / 10:g}%"
    assert float(page.inner_text("#loss")) == pytest.approx(loss, rel=1e-3)
    assert float(page.inner_text("#loss")) < start_loss
    at = {name: float(page.input_value(f"#box-{name}")) for name in f.inputs}
    assert _shown(page, "#output .value") == pytest.approx(f(**at), rel=1e-3)
    assert _shown(page, "#grad-a") == pytest.approx(f.grad(**at)[1]["a"], rel=1e-3)

    page.click("#step")  # one more step
    assert int(page.inner_text("#steps")) == steps + 1
    reached = replay(f, train, steps + 1)
    assert _parameters(page, train) == pytest.approx(
        {k: reached[k] for k in train.trained}, rel=1e-5
    )
    page.click("#reset")
    assert page.inner_text("#steps") == "0"
    assert float(page.inner_text("#loss")) == start_loss
    # The decision regions are drawn: both colours on the canvas.
    colours = page.evaluate("""() => {
        const c = document.getElementById("boundary");
        const pixels = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
        const seen = new Set();
        for (let i = 0; i < pixels.length; i += 4 * 97) seen.add(pixels.slice(i, i + 3).join());
        return [...seen];
    }""")
    assert {"214,234,248", "250,219,216"} <= set(colours)
    assert errors == []
    print(f"browser test: {time.perf_counter() - started:.2f} s")


def test_the_two_layer_network_learns_the_circle(browser, tmp_path):
    """The tutorial's network (three ReLU neurons, its cost with alpha =
    0.01 held) on `circle`, step 0.05: at least 90% after 4,000 steps."""
    started = time.perf_counter()
    f = hnncompile.compile_file(EXAMPLES / "two_layer_cost.hnn", wrt=NET_PARAMETERS)
    train = explore.training(f, "circle", step=0.05, point={"alpha": 0.01})
    path = explore.write(f, tmp_path / "net.html", train=train)
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(path.as_uri())
    page.wait_for_function("document.getElementById('loss').textContent")
    start_loss = float(page.inner_text("#loss"))
    _, steps = _train_until(page, "false", speed=250, limit=4000)
    assert steps >= 4000
    reached = replay(f, train, steps)
    loss, accuracy = loss_and_accuracy(f, train, reached)
    assert accuracy >= 0.9
    assert float(page.inner_text("#accuracy").rstrip("%")) == pytest.approx(
        100 * accuracy
    )
    assert float(page.inner_text("#loss")) == pytest.approx(loss, rel=1e-3)
    assert loss < start_loss
    assert _parameters(page, train) == pytest.approx(
        {k: reached[k] for k in train.trained}, rel=1e-5
    )
    assert errors == []
    print(f"browser test: {time.perf_counter() - started:.2f} s")


def test_step_through_backward_visits_every_gate_once_from_the_output(
    browser, tmp_path
):
    f = hnncompile.compile_file(NEURON)
    page, errors = _open(browser, tmp_path, f, TUTORIAL_POINT)
    trace = f.trace(**TUTORIAL_POINT)
    visited, said = [], []
    for _ in f.gates.eqns:
        page.click("#back-step")
        visited.append(page.text_content("g.node.current title"))
        said.append(page.inner_text("#back-explain"))
        current = page.locator(".line.current").all_inner_texts()
        gate = f.gates.eqns[int(visited[-1][4:])]
        assert any(f"// {gate.out} = " in line for line in current), current
    assert visited == [f"gate{i}" for i in reversed(range(len(f.gates.eqns)))]
    # The chain rule in words and numbers, as the issue asks for it.
    assert "dq = f * (1 - f) * dout = 0.8808 * (1 - 0.8808) * 1 = 0.105" in said[0]
    assert said[0].startswith("gate 1 of 5 back: f = sigmoid(q)")
    assert f"da = x * dt1 = (-1) * {trace.gradients['t1']:.4g}" in said[-1]
    page.click("#back-step")  # past the last gate: done, nothing highlighted
    assert "whole backward pass" in page.inner_text("#back-explain")
    assert page.locator(".current").count() == 0
    assert errors == []


def test_a_fan_out_is_summed_where_it_is_stepped_through(browser, tmp_path):
    f = hnncompile.compile("q = a * b + a\nf = q * q")
    page, errors = _open(browser, tmp_path, f, {"a": 2.0, "b": -3.0})
    for _ in f.gates.eqns:
        page.click("#back-step")
    text = page.inner_text("#back-explain")
    grads = f.trace(a=2.0, b=-3.0).gradients
    # da gets dt1 from q = t1 + a, then b * dt1 from t1 = a * b.
    assert "da += b * dt1 = (-3) * (-8) = 24" in text
    assert grads["a"] == 16
    assert "a fans out, its branches add up: da = (-8) + 24 = 16" in text
    first = page.locator("#back-step")
    assert first.count() == 1 and errors == []


def test_wires_are_as_thick_as_their_gradients_and_pick_their_lines(browser, tmp_path):
    f = hnncompile.compile_file(NEURON)
    page, errors = _open(browser, tmp_path, f, TUTORIAL_POINT)
    gradients = f.trace(**TUTORIAL_POINT).gradients
    widths = page.evaluate(
        """() => Object.fromEntries([...document.querySelectorAll('g[id^="wire-"]')]
        .map((e) => [e.id, Number(e.querySelector("path").getAttribute("stroke-width"))]))"""
    )
    largest = max(abs(g) for g in gradients.values())
    for edge, width in widths.items():
        wire = edge[len("wire-") : edge.rindex("-")]
        assert width == pytest.approx(1 + 6 * abs(gradients[wire]) / largest, rel=1e-6)
    assert float(page.inner_text("#legend-largest")) == pytest.approx(largest, 1e-3)
    # The thickness follows the point: at y = 0, the wire b carries nothing.
    page.fill("#box-y", "0")
    assert page.get_attribute('g[id^="wire-b-"] path', "stroke-width") == "1"

    page.click(".line:has-text('var dq = ')")
    assert page.locator("g.edge.picked").count() == len(
        [e for e in widths if e.startswith("wire-q-")]
    )
    picked_lines = page.locator(".line.picked").all_inner_texts()
    assert any("var q = t3 + c;" in line for line in picked_lines)
    assert page.get_attribute("#row-q", "class") == "picked"
    page.click('g[id^="wire-t2-"] text >> nth=0')
    picked_lines = page.locator(".line.picked").all_inner_texts()
    assert [line.split("//")[0].strip() for line in picked_lines] == [
        "var t2 = b * y;",  # forward
        "var t2 = b * y;",  # backward's forward pass
        "var dt2 = dt3;",
    ]
    assert errors == []
