"""The explorer's training mode as a learner meets it: what the acceptance
review of issue 14 found, each fix with the test that caught it.

The browser tests drive Chromium with Playwright, as test_explore.py does.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest

import hnncompile
from hnncompile import explore

from test_explore import browser  # noqa: F401
from test_explore_training import SVM, SVM_START, _page_data, loss_and_accuracy

EXAMPLES = Path(__file__).parent.parent / "examples"
LOSS_COLOUR = "192,57,43"  # the loss plot's line, #c0392b


def _training_page(browser, tmp_path, f, train):
    path = explore.write(f, tmp_path / "page.html", train=train)
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    problems = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("console", lambda message: problems.append(message.text))
    page.on(
        "request",
        lambda request: (
            None if request.url.startswith("file:") else problems.append(request.url)
        ),
    )
    page.goto(path.as_uri())
    page.wait_for_function("document.getElementById('loss').textContent")
    return page, problems


def _canvas(page, canvas_id: str) -> str:
    return page.evaluate(f"document.getElementById('{canvas_id}').toDataURL()")


def _pixels_of(page, canvas_id: str, colour: str) -> int:
    """How many pixels of the canvas are near `colour` (a line's smoothed
    edges are paler)."""
    return page.evaluate(
        """([id, colour]) => {
        const c = document.getElementById(id);
        const pixels = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
        const [r, g, b] = colour.split(",").map(Number);
        let count = 0;
        for (let i = 0; i < pixels.length; i += 4) {
            const far = Math.abs(pixels[i] - r) + Math.abs(pixels[i + 1] - g)
                + Math.abs(pixels[i + 2] - b);
            if (far < 90 && pixels[i + 3] > 128) count++;
        }
        return count;
    }""",
        [canvas_id, colour],
    )


def test_training_stops_by_itself_when_its_numbers_run_away(browser, tmp_path):
    """Every input but the data trained, as `explore svm.hnn --train
    tutorial` does: alpha's gradient a*a + b*b only ever pushes it down,
    past 0, and then a and b grow without end. The page used to go on to
    NaN everywhere (and count the NaN scores as -1 decisions); it stops,
    says why, and keeps the last finite parameters."""
    f = hnncompile.compile(SVM)
    train = explore.training(f, "tutorial")
    assert "alpha" in train.trained
    page, problems = _training_page(browser, tmp_path, f, train)
    page.fill("#speed", "500")
    page.click("#train")
    page.wait_for_function(
        "!document.getElementById('train').disabled", polling="raf", timeout=60_000
    )
    status = page.inner_text("#train-status")
    assert re.search(r"Stopped at step \d+: the next step would set \w+ = ", status)
    assert "smaller step size" in status and "wrt" in status
    steps = int(page.inner_text("#steps"))
    assert steps > 0
    shown = [float(page.input_value(f"#box-{name}")) for name in train.trained]
    assert all(math.isfinite(value) for value in shown), shown
    page.wait_for_timeout(200)  # it does not go on
    assert int(page.inner_text("#steps")) == steps
    page.click("#reset")
    assert page.inner_text("#train-status") == "" and page.inner_text("#steps") == "0"
    assert problems == []


def test_a_score_that_is_not_a_number_is_no_decision(browser, tmp_path):
    """log(x) is NaN at the three points with x < 0, all labelled -1: they
    are not classified right (the page said 83.3%, 5 of 6), and the loss,
    NaN there, says so."""
    f = hnncompile.compile(
        "score = a*x + b*y + c + 0*log(x)\nL = max(0, -label*score + 1)",
        wrt=["a", "b", "c"],
    )
    train = explore.training(f, "tutorial", point={"a": 1, "b": -2, "c": -1})
    page, problems = _training_page(browser, tmp_path, f, train)
    # (1.2, 0.7) is on the wrong side at the start; (3, 0.1), (2.1, -3) right.
    assert page.inner_text("#accuracy") == "33.3%"
    assert page.inner_text("#loss") == "NaN"
    assert "the loss is NaN" in page.inner_text("#train-status")
    assert problems == []


def test_moving_a_parameter_moves_the_loss_the_accuracy_and_the_regions(
    browser, tmp_path
):
    f = hnncompile.compile(SVM, wrt=["a", "b", "c"])
    train = explore.training(f, "tutorial", point=SVM_START)
    page, problems = _training_page(browser, tmp_path, f, train)
    regions = _canvas(page, "boundary")
    page.fill("#box-a", "3")
    page.fill("#box-c", "0")
    moved = {**train.start, "a": 3.0, "c": 0.0}
    loss, accuracy = loss_and_accuracy(f, train, moved)
    assert loss != pytest.approx(loss_and_accuracy(f, train, train.start)[0])
    assert float(page.inner_text("#loss")) == pytest.approx(loss, rel=1e-3)
    assert page.inner_text("#accuracy") == f"{int(1000 * accuracy) / 10:g}%"
    assert _canvas(page, "boundary") != regions
    # Typing goes on undisturbed: the box keeps what is typed, "1." and all.
    page.focus("#box-b")
    page.keyboard.press("Control+A")
    page.keyboard.type("-1.5")  # were "-1." written back as "-1", this were -15
    assert page.input_value("#box-b") == "-1.5"
    moved["b"] = -1.5
    assert float(page.inner_text("#loss")) == pytest.approx(
        loss_and_accuracy(f, train, moved)[0], rel=1e-3
    )
    # And training goes on from where the learner put it.
    page.click("#step")
    assert float(page.input_value("#box-a")) != 3.0
    assert abs(float(page.input_value("#box-a")) - 3.0) < 0.1
    assert problems == []


def test_the_loss_plot_draws_a_loss_below_zero(browser, tmp_path):
    """A cost may be negative (here -label*score, which SGD drives down
    without end): the plot spans the losses it has, not 0 to the largest."""
    f = hnncompile.compile("score = a*x + b*y + c\nL = -label*score")
    train = explore.training(f, "tutorial", point={"a": 1, "b": -2, "c": -1})
    page, problems = _training_page(browser, tmp_path, f, train)
    page.fill("#speed", "20")
    for _ in range(10):
        page.click("#step")
    assert float(page.inner_text("#loss")) < 0
    page.click("#train")
    page.wait_for_function(
        "Number(document.getElementById('steps').textContent) >= 200", polling="raf"
    )
    page.click("#pause")
    assert _pixels_of(page, "loss-plot", LOSS_COLOUR) > 50
    assert problems == []


def test_the_plane_and_the_buttons_say_what_they_are():
    f = hnncompile.compile(SVM, wrt=["a", "b", "c"])
    text = explore.page(f, train=explore.training(f, "tutorial", point=SVM_START))
    legend = re.search(r'<p id="boundary-legend">(.*?)</p>', text, re.S)
    assert legend is not None
    said = " ".join(re.sub("<[^>]+>", "", legend.group(1)).split())
    assert "blue where score is positive" in said
    assert "red where it is negative" in said
    assert "ringed" in said
    for button, title in [
        ("train", "run gradient descent"),
        ("pause", "stop"),
        ("step", "one step of gradient descent"),
        ("reset", "back to the start"),
    ]:
        assert re.search(f'id="{button}" type="button" title="[^"]*{title}', text)


LONG = (
    "the_score = weight_of_the_horizontal_coordinate*horizontal_coordinate"
    " + weight_of_the_vertical_coordinate*vertical_coordinate + the_bias\n"
    "the_cost = max(0, -the_label*the_score + 1)\n"
)


def test_long_names_keep_to_their_places(browser, tmp_path):
    """An input's long name ran over its slider, and the wires' table over
    the code beside it."""
    f = hnncompile.compile(LONG)
    data = "horizontal_coordinate", "vertical_coordinate", "the_label"
    train = explore.training(f, "tutorial", data=data, score="the_score")
    page, problems = _training_page(browser, tmp_path, f, train)
    for name in f.inputs:
        label = page.locator(f"#slider-{name} >> xpath=..").locator(".name")
        name_box = label.bounding_box()
        slider = page.locator(f"#slider-{name}").bounding_box()
        assert name_box["x"] + name_box["width"] <= slider["x"], name
        assert page.locator(f"#box-{name}").bounding_box()["x"] >= (
            slider["x"] + slider["width"]
        )
    table = page.locator("#wires").bounding_box()
    code = page.locator("#code").bounding_box()
    assert table["x"] + table["width"] <= code["x"]
    assert problems == []


def test_the_score_message_says_how_to_name_one():
    """examples/svm_cost.hnn writes its score inside the hinge: the way to
    train it is to name it, and the message says so."""
    f = hnncompile.compile_file(EXAMPLES / "svm_cost.hnn")
    with pytest.raises(ValueError) as error:
        explore.training(f, "tutorial", data="x0,x1,y")
    message = str(error.value)
    assert "no wire named 'score'" in message
    assert "name it in the program (score = ...)" in message
    assert "--score NAME" in message
    # Named, as examples/README.md says, it trains.
    named = (
        (EXAMPLES / "svm_cost.hnn")
        .read_text()
        .replace(
            "L = sum(max(0, -y*(w0*x0 + w1*x1 + w2) + 1))",
            "score = w0*x0 + w1*x1 + w2\nL = sum(max(0, -y*score + 1))",
        )
    )
    g = hnncompile.compile(named, wrt=["w0", "w1", "w2"])
    train = explore.training(g, "tutorial", data="x0,x1,y", point={"alpha": 0.5})
    assert train.score == "score" and train.trained == ("w0", "w1", "w2")


def test_a_training_page_fetches_nothing(tmp_path):
    f = hnncompile.compile_file(
        EXAMPLES / "two_layer_cost.hnn",
        wrt="a1 b1 c1 a2 b2 c2 a3 b3 c3 a4 b4 c4 d4".split(),
    )
    text = explore.page(f, train=explore.training(f, "circle", point={"alpha": 0.01}))
    assert not re.search(r"<(link|img|iframe)\b|\bsrc=", text)
    urls = set(re.findall(r"https?://[^\s\"'<>]+", text))
    assert urls <= {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}
    assert len(_page_data(text)["training"]["points"]) == 100


def test_numbers_far_from_one_are_written_with_an_exponent(browser, tmp_path):
    """The page wrote 5.126e19 as 51260000000000000000 (on the loss plot of
    a run that went astray); 1e-7 as 0.0000001."""
    from test_explore import _open

    f = hnncompile.compile("q = a * b\nf = q * 0.00000001")
    page, errors = _open(browser, tmp_path, f, {"a": 5.126e10, "b": 1e9})
    assert page.inner_text("#output .value") == "5.126e+11"
    assert page.inner_text("#row-q .value") == "5.126e+19"
    page.fill("#box-a", "0.00001")
    page.fill("#box-b", "0.01")
    assert page.inner_text("#row-q .value") == "1e-7"
    assert page.inner_text("#output .value") == "1e-15"
    page.fill("#box-a", "123456")
    page.fill("#box-b", "1")
    assert page.inner_text("#row-q .value") == "123500"
    assert errors == []
