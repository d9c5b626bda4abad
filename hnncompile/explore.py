"""Play with the numbers: one HTML page per program, as the tutorial does.

`hnncompile explore FILE -o page.html` writes a self-contained page (no
network, nothing fetched): the circuit drawn by Graphviz (see draw.py), a
slider and a number box for every input, and, as the inputs move, the
output, every wire's value and gradient (on the drawing and in a table)
and the generated JavaScript with the numbers of the current point beside
its lines. A "nudge" button takes the tutorial's step of 0.01 along the
gradient and shows the output rise. "Step through backward" walks the
backward pass one gate at a time from the output, with each chain-rule
product in words and numbers; each wire is drawn as thick as its gradient
is large; clicking a line of code picks out its wire, and the other way
round.

`hnncompile explore FILE --train DATA` (`f.explore(path, train=DATA)`)
adds chapter 2: the program is a cost of one data point, DATA points in
the plane with labels (see datasets.py), and Train / Pause / Step run the
tutorial's stochastic gradient descent on it in the page, drawing the
decision regions (the sign of the score wire) and the loss as it learns.

Every number on the page comes from the emitted JavaScript itself, inlined
into the page: `forward` for the output, `backward` for the inputs'
gradients and the training steps, and a generated `trace` (the same lines,
returning every wire) for the rest. The page's own script only moves
numbers into place.

This module puts the page together; its parts are in the explorer
package: the training mode's settle-up (explorer/training.py), the map of
the generated code line by line and the backward step-through
(explorer/lines.py), and the page's skeleton, style sheet and script as
files of their own (explorer/page.html, page.css, page.js).
"""

from __future__ import annotations

import functools
import html
import json
import math
import re
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

from . import codegen
from .draw import circuit, render, too_large_to_draw
from .explorer import STEP_SIZE, refuse_matrices
from .explorer.lines import backward_steps as _backward_steps
from .explorer.lines import code_wires as _code_wires
from .explorer.lines import line_numbers as _line_numbers
from .explorer.training import (
    DATA_INPUTS,
    MAX_POINTS,
    SCORE,
    START_RANGE,
    Training,
    training,
)
from .gates import GATES
from .trace import MISSING_INPUT_VALUE, notation

if TYPE_CHECKING:
    from .compiled import CompiledFunction

__all__ = [
    "DATA_INPUTS",
    "MAX_POINTS",
    "SCORE",
    "START_RANGE",
    "STEP_SIZE",
    "TRAINING_OPTIONS",
    "Training",
    "page",
    "refuse_matrices",
    "training",
    "write",
    "write_training",
]


def page(
    f: CompiledFunction,
    point: Mapping[str, float] | None = None,
    train: Training | None = None,
) -> str:
    """The explorer page for `f`, starting at `point` (missing inputs start
    at 1), or, with `train` (see `training`), the page that trains `f` on
    its data set from `train.start`. Raises draw.DrawingUnavailable
    without Graphviz, and ValueError for a program of matrices (see
    `refuse_matrices`)."""
    from .trace import array_shape as _array_shape

    refuse_matrices(f)
    if train is not None:
        point = train.start
    for name, value in (point or {}).items():
        shape = _array_shape(value)
        if shape is not None:  # not NumPy's "only 0-dimensional arrays ..."
            raise TypeError(
                f"input {name!r} is {shape}: the page's sliders take one number "
                "for each input (trace and draw show a point of arrays)"
            )
    start = {
        name: float((point or {}).get(name, MISSING_INPUT_VALUE)) for name in f.inputs
    }
    unknown = sorted(set(point or {}) - set(f.inputs))
    if unknown:
        raise ValueError(
            f"{', '.join(map(repr, unknown))}: not an input; "
            f"the inputs are {', '.join(f.inputs) or 'none'}"
        )
    if not all(math.isfinite(value) for value in start.values()):
        raise ValueError("the page starts from finite numbers: give others")
    module = codegen.generate(f.gates, wrt=f.wrt, target="js")
    trace_function = codegen.generate_trace(f.gates, target="js")
    steps, contributions = _backward_steps(f, module.splitlines())
    refused = too_large_to_draw(f)
    if refused is None:
        svg = render(circuit(f, start, caption=False), "svg").decode("utf-8")
        svg = svg[svg.index("<svg") :]  # no XML prolog inside HTML
    else:  # a drawing nobody could read, or minutes of layout
        svg = f"<p>{html.escape(refused)}; the table below has every wire.</p>"
    wires = [(name, "input", "") for name in f.inputs] + [
        (eqn.out, GATES[eqn.gate].title, notation(eqn)) for eqn in f.gates.eqns
    ]
    data = {
        "inputs": list(f.inputs),
        "wrt": list(f.wrt),
        "output": f.output,
        "start": start,
        "step": STEP_SIZE,
        "wires": [name for name, _, _ in wires],
        "lines": _line_numbers(f, module),
        "code": _code_wires(f, module),
        "backward": steps,
        "training": None if train is None else _training_data(train),
    }
    return _asset("page.html").format(
        title=html.escape(f"{f.output}: hnncompile explorer"),
        heading=html.escape(_program_text(f)),
        note=_note(f) if train is None else _training_note(f, train),
        training="" if train is None else _training_section(train),
        inputs=(
            _INPUTS.format(
                rows="\n".join(_input_row(name, start[name]) for name in f.inputs)
            )
            if f.inputs
            else ""
        ),
        output=html.escape(f.output),
        nudge=_NUDGE.format(step=STEP_SIZE) if f.wrt and train is None else "",
        backward=_BACKWARD if steps else "",
        legend=_LEGEND if refused is None else "",
        svg=svg,
        rows="\n".join(
            f'<tr id="row-{html.escape(name)}"><td>{html.escape(name)}</td>'
            f"<td>{html.escape(gate)}</td><td><code>{html.escape(computes)}</code></td>"
            '<td class="value"></td><td class="gradient"></td></tr>'
            for name, gate, computes in wires
        ),
        code="".join(  # each line is a block of its own: no newlines between
            f'<span class="line" id="line-{i}">{html.escape(line)}</span>'
            for i, line in enumerate(module.splitlines())
        ),
        data=_script_text(json.dumps(data)),
        generated=_script_text(f"{module}\n{trace_function}\n{contributions}"),
        script=_asset("page.js"),
        style=_asset("page.css"),
    )


def write(
    f: CompiledFunction,
    path: str | Path,
    point: Mapping[str, float] | None = None,
    train: Training | None = None,
) -> Path:
    """Write the explorer page for `f` to `path` (see `page`)."""
    path = Path(path)
    text = page(f, point, train)
    path.write_text(text, encoding="utf-8")
    return path


TRAINING_OPTIONS = ("data", "score", "step", "seed")  # the keywords beside train=


def write_training(
    f: CompiledFunction,
    path: str | Path,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> Path:
    """`f.explore(path, *args, train=DATA, **kwargs)`: the keywords data=,
    score=, step= and seed= are training's options (see `training`), every
    other one an input; an input named like an option is given
    positionally."""
    kwargs = dict(kwargs)
    train = kwargs.pop("train")
    options = {name: kwargs.pop(name) for name in TRAINING_OPTIONS if name in kwargs}
    if len(args) > len(f.inputs):
        raise TypeError(
            f"expected at most {len(f.inputs)} values, one per input, got {len(args)}"
        )
    point = dict(zip(f.inputs, args))
    for name, value in kwargs.items():
        if name in point:
            raise TypeError(f"input {name!r} given twice")
        point[name] = value
    return write(f, path, train=training(f, train, point=point, **options))


def _training_data(train: Training) -> dict:
    return {
        "name": train.dataset.name,
        "points": [list(point) for point in train.dataset.points],
        "labels": list(train.dataset.labels),
        "data": list(train.data),
        "score": train.score,
        "trained": list(train.trained),
        "step": train.step,
        "seed": train.seed,
    }


def _training_note(f: CompiledFunction, train: Training) -> str:
    held = f" Held fixed: {html.escape(', '.join(train.held))}." if train.held else ""
    return (
        f"Chapter 2: train on the {len(train.dataset)} points of "
        f"<b>{html.escape(train.dataset.name)}</b> by stochastic gradient descent. "
        f"Each step picks a point at random, puts it in "
        f"{html.escape(', '.join(train.data))}, runs the generated backward and "
        f"moves each parameter ({html.escape(', '.join(train.trained))}) by "
        f"-step &times; its gradient.{held} The decision is the sign of "
        f"<code>{html.escape(train.score)}</code>; the loss is {html.escape(f.output)} "
        "averaged over every point."
    )


def _training_section(train: Training) -> str:
    return _TRAINING.format(
        step=f"{train.step:g}", score=f"<code>{html.escape(train.score)}</code>"
    )


HEADING_LENGTH = 120  # characters of the program the page's title shows


def _program_text(f: CompiledFunction) -> str:
    """The program's statements on one line, for the title; a long
    program's cut short (the code on the page has it all)."""
    statements = [
        line.strip()
        for line in f.gates.source.splitlines()
        if line.strip() and not line.strip().startswith(("#", "//"))
    ]
    text = "; ".join(statements)
    if len(text) > HEADING_LENGTH:
        text = text[: HEADING_LENGTH - 3].rstrip() + "..."
    return text


def _note(f: CompiledFunction) -> str:
    """What there is to do on the page: move the inputs and nudge them or,
    with nothing to move, read the numbers."""
    computed = "computed by the generated JavaScript on the right."
    if not f.inputs:
        return (
            "This program has no inputs: its value is a constant. Every wire's "
            f"value (green) and gradient (red) is {computed}"
        )
    note = (
        "Move an input: every wire's value (green) and gradient (red) "
        f"follows, {computed}"
    )
    if not f.wrt:
        return (
            f"{note} No input is differentiated (wrt is empty), so there is "
            "nothing to nudge."
        )
    return (
        f"{note} A nudge moves every input {STEP_SIZE} along its gradient, "
        "and the output goes up."
    )


def _input_row(name: str, value: float) -> str:
    reach = max(5.0, 2 * abs(value))
    name = html.escape(name)
    return (
        f'<label class="input"><span class="name">{name}</span>'
        f'<input type="range" id="slider-{name}" data-input="{name}" '
        f'min="{-reach:g}" max="{reach:g}" step="0.01" value="{value:g}">'
        f'<input type="number" id="box-{name}" data-input="{name}" '
        f'step="any" value="{value:g}">'
        f'<span class="gradient" id="grad-{name}"></span></label>'
    )


# What the HTML parser reads inside a <script> as the start of its "script
# data escaped" states or as the end tag: in an escaped state, the page's
# own </script> no longer ends the element, and none of its script runs.
_SCRIPT_DATA_HAZARD = re.compile(r"<(?=!--|/?script)", re.IGNORECASE)


def _script_text(text: str) -> str:
    """Text safe inside <script>: nothing in it can close the element or
    open an escaped state (`<!--`, `<script`, `</script`, in any case).

    The generated code holds such text only in comments (the header echoes
    the source) and the JSON data only in strings; there `\\u003c` stands
    for `<`. The code shown on the page is the module as written."""
    return _SCRIPT_DATA_HAZARD.sub(r"\\u003c", text)


_INPUTS = """<section id="inputs">
<h2>Inputs</h2>
{rows}
</section>
"""

_NUDGE = """<button id="nudge" type="button">Nudge: a step of {step} along the gradient</button>
<span id="nudged"></span>
"""

_TRAINING = """<section id="training">
<h2>Training</h2>
<div class="controls">
<button id="train" type="button" title="run gradient descent, a few steps a frame">Train</button>
<button id="pause" type="button" title="stop training" disabled>Pause</button>
<button id="step" type="button" title="one step of gradient descent, on one point">Step</button>
<button id="reset" type="button" title="back to the start: the first parameters, step 0">Reset</button>
<label>step size <input type="number" id="step-size" step="any" value="{step}"></label>
<label>steps per frame <input type="number" id="speed" min="1" step="1" value="5"></label>
</div>
<p class="numbers">loss <b id="loss"></b> &middot; training accuracy
<b id="accuracy"></b> &middot; steps <b id="steps"></b></p>
<canvas id="boundary" width="320" height="320"
 title="blue: the score is positive; red: negative"></canvas>
<canvas id="loss-plot" width="240" height="120" title="the loss over the steps"></canvas>
<p id="boundary-legend">The plane: blue where {score} is positive (the decision
+1), red where it is negative (&minus;1); each point is a dot in its label's
colour, and the ringed one is the point of the last step.</p>
<p id="train-status" role="status"></p>
</section>
"""

_BACKWARD = """<button id="back-step" type="button">Step through backward: the next gate</button>
<div id="back-explain"></div>
"""

_LEGEND = """<p id="legend">Each wire is drawn as thick as its gradient is large:
<svg width="30" height="8"><line x1="0" y1="4" x2="30" y2="4" stroke="#222" stroke-width="1"/></svg>
0 to
<svg width="30" height="8"><line x1="0" y1="4" x2="30" y2="4" stroke="#222" stroke-width="7"/></svg>
|gradient| <span id="legend-largest"></span>, the largest now.
Click a wire or a line of code to pick out the other.</p>
"""


@functools.cache
def _asset(name: str) -> str:
    """One of the page's files in the explorer package, read once:
    page.html, the skeleton `page` fills in (str.format); page.css; and
    page.js, the page's own script, which reads the inputs, calls the
    generated functions and writes their numbers into the drawing, the
    table and the code."""
    return (
        resources.files("hnncompile.explorer")
        .joinpath(name)
        .read_text(encoding="utf-8")
    )
