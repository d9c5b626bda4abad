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
"""

from __future__ import annotations

import html
import json
import math
import random
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping, Sequence

from . import codegen, datasets
from .draw import circuit, render, too_large_to_draw
from .gates import GATES, fill
from .ir import Wire
from .trace import MISSING_INPUT_VALUE, notation

if TYPE_CHECKING:
    from .compiled import CompiledFunction

STEP_SIZE = 0.01  # the tutorial's step in chapters 1 and 2
DATA_INPUTS = ("x", "y", "label")  # a point's coordinates and its label
SCORE = "score"  # the wire whose sign is the classifier's decision
START_RANGE = 0.5  # a parameter not given starts in [-0.5, 0.5), as Math.random() - 0.5
MAX_POINTS = 10_000  # the page evaluates them all after every frame of training


@dataclass(frozen=True)
class Training:
    """What the page trains on and how: see `training`."""

    dataset: datasets.Dataset
    data: tuple[str, str, str]  # the inputs taking a point's x, y and label
    score: str  # the wire whose sign is the decision
    trained: tuple[str, ...]  # the parameters SGD moves: `wrt`, but for the data
    held: tuple[str, ...]  # inputs neither data nor differentiated: constants
    step: float
    seed: int
    start: dict[str, float]  # every input's first value
    chosen: tuple[str, ...]  # the parameters whose start was drawn at random


def training(
    f: CompiledFunction,
    train: str | Path | datasets.Dataset,
    data: Sequence[str] | str | None = None,
    score: str | None = None,
    step: float | None = None,
    seed: int = 0,
    point: Mapping[str, float] | None = None,
) -> Training:
    """Check what `explore(..., train=...)` was given and settle the rest.

    `data` names the three inputs that take a point's x, y and label
    (default x, y, label; "x,y,label" works too), `score` the wire whose
    sign is the decision (default score). The parameters are the `wrt`
    inputs that are not data; an input outside `wrt` is held at its
    value. `point` gives inputs their first values: a parameter not in it
    starts at a small random number (uniform in [-0.5, 0.5), seeded by
    `seed`, which also seeds the page's choice of points), a held input at
    1. ValueError (datasets.DataError for the data set) for a mistake."""
    refuse_matrices(f)
    point = dict(point or {})
    names = tuple(DATA_INPUTS if data is None else _names(data))
    if len(names) != 3 or len(set(names)) != 3:
        raise ValueError(
            f"data: give three different inputs, for a point's x, y and label "
            f"(got {', '.join(names) or 'none'})"
        )
    absent = [name for name in names if name not in f.inputs]
    if absent:
        raise ValueError(
            f"data: {', '.join(map(repr, absent))} "
            f"{'is not an input' if len(absent) == 1 else 'are not inputs'} of the "
            f"program (its inputs are {', '.join(f.inputs) or 'none'}); name the "
            "inputs that take a point's x, y and label (--data x,y,label)"
        )
    score = SCORE if score is None else score
    wires = [*f.inputs, *(eqn.out for eqn in f.gates.eqns)]
    if score not in wires:
        named = [w for w in wires if w in f.gates.source_names and w not in names]
        raise ValueError(
            f"no wire named {score!r} to take the sign of: give the wire that "
            "scores a point (--score NAME, score= in Python) or, where the score "
            "is inside an expression, name it in the program (score = ...); the "
            f"program's wires are {', '.join(named)}"
        )
    step = STEP_SIZE if step is None else float(step)
    if not (math.isfinite(step) and step > 0):
        raise ValueError(f"the step size is a positive number, not {step:g}")
    if isinstance(train, datasets.Dataset):
        dataset = train
    else:
        dataset = datasets.load(train, columns=names)
    if len(dataset) > MAX_POINTS:
        raise ValueError(
            f"{dataset.name} has {len(dataset)} points: the page trains on at "
            f"most {MAX_POINTS}"
        )
    unknown = sorted(set(point) - set(f.inputs))
    if unknown:
        raise ValueError(
            f"{', '.join(map(repr, unknown))}: not an input; "
            f"the inputs are {', '.join(f.inputs)}"
        )
    given_data = [name for name in names if name in point]
    if given_data:
        raise ValueError(
            f"{', '.join(given_data)}: data, set from each point of {dataset.name}; "
            "give values for the parameters only"
        )
    trained = tuple(name for name in f.inputs if name in f.wrt and name not in names)
    if not trained:
        raise ValueError(
            "nothing to train: every differentiated input is data "
            f"({', '.join(names)}); differentiate the parameters (wrt)"
        )
    held = tuple(name for name in f.inputs if name not in trained and name not in names)
    rng = random.Random(seed)
    start, chosen = {}, []
    (x, y), label = dataset.points[0], dataset.labels[0]
    for name in f.inputs:
        if name in point:
            start[name] = float(point[name])
        elif name in trained:
            start[name] = round(rng.uniform(-START_RANGE, START_RANGE), 3)
            chosen.append(name)
        elif name in held:
            start[name] = MISSING_INPUT_VALUE
    start.update(zip(names, (x, y, label)))
    return Training(
        dataset, names, score, trained, held, step, seed, start, tuple(chosen)
    )


def refuse_matrices(f: CompiledFunction) -> None:
    """The page's sliders move numbers, and its JavaScript has no arrays: a
    program of vectors and matrices (SPEC section 5: a matrix product, an
    axis reduction, indexing, a reshape) is a ValueError that names the
    first such operation and says what to use instead."""
    js = codegen.TARGETS["js"]
    for eqn in f.gates.eqns:
        what = js.refuses(GATES[eqn.gate])
        if what is not None:
            raise ValueError(
                f"the explorer works on programs of numbers (one slider an "
                f"input), and {what} on line {eqn.line} ({eqn.out}) needs "
                "arrays: use trace or draw for a program of vectors and "
                "matrices (hnncompile trace FILE --shapes ...)"
            )


def _names(data: Sequence[str] | str) -> list[str]:
    if isinstance(data, str):
        data = data.split(",")
    return [name.strip() for name in data if name.strip()]


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
    return _TEMPLATE.format(
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
        script=_SCRIPT,
        style=_STYLE,
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


_ASSIGNMENT = re.compile(r"^\s*(?:var\s+)?([A-Za-z_$][\w$]*)\s*\+?=")


def _line_numbers(f: CompiledFunction, module: str) -> list[list]:
    """For each code line that assigns, [line index, wire, "value" or
    "gradient"], so the page can write the current number beside it.

    A gradient that adds up branches (`da += ...`) gets its number on its
    last line in each function only, where it is complete."""
    names = codegen.Names.of(f.gates)
    meaning = {ident: (wire, "value") for wire, ident in names.value.items()}
    meaning.update({ident: (wire, "gradient") for wire, ident in names.grad.items()})
    last_line = {}  # (function, identifier) -> the last line assigning it
    function = 0
    for i, line in enumerate(module.splitlines()):
        function += line.startswith("export function")
        match = _ASSIGNMENT.match(line)
        if match and match.group(1) in meaning:
            last_line[(function, match.group(1))] = i
    return sorted([i, *meaning[identifier]] for (_, identifier), i in last_line.items())


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


def _code_wires(f: CompiledFunction, module: str) -> list[list]:
    """[line index, wire] for every line of code computing a wire's value
    or gradient (a statement wrapped over lines: each of them), so that
    clicking a line picks out its wire and the other way round."""
    names = codegen.Names.of(f.gates)
    wire_of = {ident: wire for wire, ident in names.value.items()}
    wire_of.update({ident: wire for wire, ident in names.grad.items()})
    found, wire = [], None
    for i, line in enumerate(module.splitlines()):
        match = _ASSIGNMENT.match(line)
        if match and line.startswith("  ") and not line.startswith("   "):
            wire = wire_of.get(match.group(1))
        elif not line.startswith("    "):  # not a continuation: a new statement
            wire = None
        if wire is not None:
            found.append([i, wire])
    return found


# A statement of the JavaScript backward, as the code generator writes it:
# at the function's indent, `var name = ...` or `name += ...`.
_JS_STATEMENT = re.compile(r"^  (?:var )?([A-Za-z_$][\w$]*) (\+?=) ")
_REFERENCE = "\x00"  # marks a wire's place in a template, for the page's numbers


def _backward_steps(f: CompiledFunction, lines: list[str]) -> tuple[list[dict], str]:
    """The backward pass as the page steps through it, gate by gate from the
    output back, and the JavaScript that computes each local gradient's
    contribution from the trace's numbers.

    From the backward plan (the gates in reverse order and the inputs each
    sends a gradient to) and the catalogue's JavaScript templates, each
    step holds the gate's index (its node `gate<i>` in the drawing), its
    first and last line in the code (comments included), and per input the
    chain-rule line: the gradient it adds to, `=` or `+=` (a wire that fans
    out), and the rule as pieces of text and [wire, "value"|"gradient",
    identifier] for the page to show in names and in numbers. The lines
    are matched to the plan in the order the code generator writes them."""
    plan = codegen.plan_backward(f.gates, f.wrt, codegen.TARGETS["js"])
    names = codegen.Names.of(f.gates)
    gate_index = {eqn.out: i for i, eqn in enumerate(f.gates.eqns)}
    steps, expressions, assigned = [], [], set()
    first = next(
        (
            i + 1
            for i, line in enumerate(lines)
            if line == "  // backward pass, in reverse"
        ),
        0,
    )
    statements = iter([s for s in _backward_statements(lines) if s[2] >= first])
    for eqn, targets in plan.steps:
        gate = GATES[eqn.gate]
        _, rules = gate.code("js")
        refs: list[list[str]] = []
        marked = _placeholders(eqn, lambda wire, kind: _mark(refs, wire, kind, names))
        reads = _placeholders(eqn, _read_from_trace)
        parts, last = [], first
        for i in targets:
            wire = eqn.args[i].name
            grad = names.grad[wire]
            operator = "+=" if grad in assigned else "="
            assigned.add(grad)
            identifier, written, _, last = next(statements)
            assert (identifier, written) == (grad, operator), (identifier, grad)
            parts.append(
                {
                    "to": wire,
                    "grad": grad,
                    "operator": operator,
                    "rule": _pieces(fill(rules[i], marked), refs),
                    "index": len(expressions),
                }
            )
            expressions.append(fill(rules[i], reads))
        steps.append(
            {
                "gate": gate_index[eqn.out],
                "out": eqn.out,
                "written": f"{eqn.out} = {notation(eqn)}",
                "lines": [first, last],
                "parts": parts,
            }
        )
        first = last + 1
    body = "".join(f"\n    {expression}," for expression in expressions)
    contributions = (
        "// Each chain-rule product of backward, in its order, from the trace's\n"
        "// values (v) and gradients (g): the templates of the gate catalogue.\n"
        f"function contributions(v, g) {{\n  return [{body}\n  ];\n}}"
    )
    return steps, contributions


def _backward_statements(lines: list[str]) -> list[tuple[str, str, int, int]]:
    """(identifier, operator, first line, last line) for each statement of
    the JavaScript backward that assigns a gradient, in order."""
    start = next(i for i, line in enumerate(lines) if "function backward(" in line)
    while not lines[start].endswith("{"):  # a signature one parameter a line
        start += 1
    found = []
    for i in range(start + 1, len(lines)):
        line = lines[i]
        if line == "}" or line.startswith("  return"):
            break
        match = _JS_STATEMENT.match(line)
        if match:
            found.append((match.group(1), match.group(2), i, i))
        elif line.startswith("    ") and found and found[-1][3] == i - 1:
            identifier, operator, begin, _ = found[-1]  # a wrapped statement
            found[-1] = (identifier, operator, begin, i)
    return found


def _placeholders(eqn, operand) -> dict[str, str]:
    """A gate's template placeholders, each wire given by operand(wire,
    "value" or "gradient"); constants as the code writes them."""
    gate = GATES[eqn.gate]
    values = {
        p: operand(a.name, "value") if isinstance(a, Wire) else a.text
        for p, a in zip(gate.inputs, eqn.args)
    }
    values.update({p: c.text for p, c in zip(gate.params, eqn.params)})
    values["out"] = operand(eqn.out, "value")
    values["dout"] = operand(eqn.out, "gradient")
    return values


def _mark(refs: list[list[str]], wire: str, kind: str, names) -> str:
    identifier = (names.value if kind == "value" else names.grad)[wire]
    refs.append([wire, kind, identifier])
    return f"{_REFERENCE}{len(refs) - 1}{_REFERENCE}"


def _read_from_trace(wire: str, kind: str) -> str:
    return f"{'v' if kind == 'value' else 'g'}.get({json.dumps(wire)})"


def _pieces(marked: str, refs: list[list[str]]) -> list:
    """A filled template as text pieces and the references in it."""
    pieces = marked.split(_REFERENCE)
    return [
        piece if i % 2 == 0 else refs[int(piece)]
        for i, piece in enumerate(pieces)
        if piece or i % 2
    ]


_STYLE = """
body { font-family: Helvetica, Arial, sans-serif; margin: 1.5em; color: #222; }
h1 { font-size: 1.3em; margin: 0 0 .2em; }
h1 code { font-size: 1em; }
p.note { color: #555; margin: 0 0 1em; }
main { display: grid; grid-template-columns: minmax(22em, 1fr) minmax(26em, 1fr);
       gap: 1.5em; align-items: start; }
section { margin-bottom: 1.2em; }
h2 { font-size: 1em; margin: 0 0 .5em; }
#inputs { display: grid; gap: .4em .5em; align-items: center;
          grid-template-columns: minmax(4em, max-content) minmax(8em, 1fr) 7em minmax(6em, 10em); }
#inputs h2 { grid-column: 1 / -1; margin: 0; }
label.input { display: contents; }  /* one grid for every input: the columns line up */
label.input .name { font-family: monospace; font-weight: bold; max-width: 16em;
                    overflow-wrap: anywhere; }
input[type=number] { width: 6.5em; }
.value { color: #1e8449; }
.gradient { color: #c0392b; }
#output { font-size: 1.3em; }
#output .value { font-weight: bold; }
button { font-size: 1em; padding: .3em .9em; }
#nudged { margin-left: .8em; }
#circuit > svg { width: 100%; height: auto; }
g.edge { cursor: pointer; }
g.edge.picked path, g.edge.picked polygon { stroke: #2471a3; }
g.node.current path, g.node.current polygon { stroke: #2471a3; stroke-width: 3; fill: #d6eaf8; }
#legend { color: #555; font-size: .9em; }
#legend svg { vertical-align: middle; }
table { border-collapse: collapse; }
th, td { padding: .15em .7em; text-align: left; border-bottom: 1px solid #eee; }
/* A long name wraps rather than run over the code; numbers stay whole. */
#wires td:first-child, #wires td code { overflow-wrap: anywhere; }
#wires th, #wires td:nth-child(2) { white-space: nowrap; }
td.value, td.gradient { text-align: right; font-family: monospace; white-space: nowrap; }
pre { background: #f7f7f7; padding: .8em; overflow-x: auto; font-size: .85em; }
.line { display: block; white-space: pre; min-height: 1.2em; }
.line.picked, tr.picked { background: #d6eaf8; }
.line.current { background: #fcf3cf; }
.now { color: #888; }
#back-explain { font-family: monospace; margin: .5em 0; }
#back-explain div { margin: .15em 0; }
#training .controls { display: flex; flex-wrap: wrap; gap: .5em; align-items: center; }
#training .controls input { width: 5em; }
#training .numbers { margin: .5em 0; font-size: 1.1em; }
#training .numbers b { font-family: monospace; }
#training canvas { border: 1px solid #ccc; margin-right: .5em; vertical-align: top; }
"""

# The page's own script: it reads the inputs, calls the generated functions
# and writes their numbers into the drawing, the table and the code.
_SCRIPT = """
const data = JSON.parse(document.getElementById("data").textContent);
// 4 significant digits; far from 1, as 5.126e+19 rather than 20 digits.
const format = (v) => {
  if (!Number.isFinite(v)) return String(v);
  if (v !== 0 && (Math.abs(v) >= 1e6 || Math.abs(v) < 1e-6)) {
    return v.toExponential(3).replace(/\\.?0+e/, "e");
  }
  return String(Number(v.toPrecision(4)));
};
// Maps, not objects, for whatever is keyed by a name: a wire may be
// named __proto__, constructor or toString.
const point = new Map(Object.entries(data.start));
const args = () => data.inputs.map((name) => point.get(name));
const nudged = document.getElementById("nudged"); // none without a gradient

// The drawing's edges by wire, found once: draw.py gives each the id
// wire-<name>-<n>, and a name has no "-". Its boxes: gate i is gate<i>.
const edges = new Map();
document.querySelectorAll('g[id^="wire-"]').forEach((edge) => {
  const wire = edge.id.slice("wire-".length, edge.id.lastIndexOf("-"));
  if (!edges.has(wire)) edges.set(wire, []);
  edges.get(wire).push(edge);
});
const gateBoxes = new Map();
document.querySelectorAll("g.node").forEach((node) => {
  const title = node.querySelector("title").textContent;
  if (/^gate[0-9]+$/.test(title)) gateBoxes.set(Number(title.slice(4)), node);
});

// Set an input everywhere but in the element being typed into or dragged.
function setInput(name, value, changed = null) {
  point.set(name, value);
  const slider = document.getElementById("slider-" + name);
  const box = document.getElementById("box-" + name);
  const reach = Math.max(Number(slider.max), Math.abs(value));
  slider.min = -reach;
  slider.max = reach;
  if (slider !== changed) slider.value = value;
  // The box shows 6 digits; the point keeps every bit of the number.
  if (box !== changed) box.value = Number(value.toPrecision(6));
}

function update() {
  // The emitted JavaScript, and nothing else, computes every number.
  const value = forward(...args());
  const grads = backward(...args());
  const [values, gradients] = trace(...args());
  document.querySelector("#output .value").textContent = format(value);
  data.inputs.forEach((name) => {
    const i = data.wrt.indexOf(name);
    document.getElementById("grad-" + name).textContent =
      i < 0 ? "" : "gradient " + format(grads[i]);
  });
  data.wires.forEach((wire) => {
    const row = document.getElementById("row-" + wire);
    row.querySelector(".value").textContent = format(values.get(wire));
    row.querySelector(".gradient").textContent = format(gradients.get(wire));
    (edges.get(wire) || []).forEach((edge) => {
      edge.querySelector('text[fill="#1e8449"]').textContent = format(values.get(wire));
      edge.querySelector('text[fill="#c0392b"]').textContent = format(gradients.get(wire));
    });
  });
  data.lines.forEach(([line, wire, kind]) => {
    const element = document.getElementById("line-" + line);
    let now = element.querySelector(".now");
    if (!now) {
      now = document.createElement("span");
      now.className = "now";
      element.appendChild(now);
    }
    const number = (kind === "value" ? values : gradients).get(wire);
    now.textContent = "  // " + format(number);
  });
  showFlow(gradients);
  showBackwardStep(values, gradients);
  return value;
}

// Where the gradient flows: each wire is drawn from 1 to 7 pixels thick,
// as its |gradient| goes from 0 to the largest on the drawing now.
function showFlow(gradients) {
  const size = (wire) => Math.abs(gradients.get(wire)) || 0; // NaN: thin
  let largest = 0;
  edges.forEach((_, wire) => (largest = Math.max(largest, size(wire))));
  edges.forEach((list, wire) => {
    const width = largest > 0 && largest < Infinity ? 1 + (6 * size(wire)) / largest : 1;
    list.forEach((edge) => edge.querySelector("path").setAttribute("stroke-width", width));
  });
  const legend = document.getElementById("legend-largest");
  if (legend) legend.textContent = format(largest);
}

// Click a line of code to pick out its wire (on the drawing, in the table
// and in the code), or a wire to pick out its lines.
function pick(wire) {
  document.querySelectorAll(".picked").forEach((e) => e.classList.remove("picked"));
  (edges.get(wire) || []).forEach((edge) => edge.classList.add("picked"));
  document.getElementById("row-" + wire).classList.add("picked");
  data.code.forEach(([line, w]) => {
    if (w === wire) document.getElementById("line-" + line).classList.add("picked");
  });
}
data.code.forEach(([line, wire]) => {
  document.getElementById("line-" + line).addEventListener("click", () => pick(wire));
});
edges.forEach((list, wire) => list.forEach((e) => e.addEventListener("click", () => pick(wire))));

// Step through backward: one gate at a time from the output back, each
// chain-rule line in names and in numbers, and the sum where a wire fans
// out. `contributions` (generated from the gate catalogue) gives each
// line's product from the trace's numbers.
let backwardAt = -1; // the step shown, -1 for none
const bracketed = (v) => (v < 0 ? "(" + format(v) + ")" : format(v));

function showBackwardStep(values, gradients) {
  const explain = document.getElementById("back-explain");
  if (!explain) return;
  document.querySelectorAll(".current").forEach((e) => e.classList.remove("current"));
  explain.replaceChildren();
  delete explain.dataset.gate;
  if (backwardAt < 0) return;
  const step = data.backward[backwardAt];
  gateBoxes.get(step.gate)?.classList.add("current");
  for (let line = step.lines[0]; line <= step.lines[1]; line++) {
    document.getElementById("line-" + line).classList.add("current");
  }
  explain.dataset.gate = step.gate;
  const products = contributions(values, gradients);
  const said = [`gate ${backwardAt + 1} of ${data.backward.length} back: ${step.written}`];
  step.parts.forEach((part) => {
    const inNames = part.rule.map((p) => (typeof p === "string" ? p : p[2])).join("");
    const inNumbers = part.rule
      .map((p) => (typeof p === "string" ? p : bracketed((p[1] === "value" ? values : gradients).get(p[0]))))
      .join("");
    const product = format(products[part.index]);
    const plain = part.rule.length === 1; // a gradient passed on as it is
    said.push(`${part.grad} ${part.operator} ${inNames} = ${plain ? "" : inNumbers + " = "}${product}`);
    if (part.operator === "+=") {
      const branches = data.backward
        .slice(0, backwardAt + 1)
        .flatMap((s) => s.parts)
        .filter((p) => p.to === part.to)
        .map((p) => products[p.index]);
      const sum = branches.reduce((a, b) => a + b, 0);
      said.push(`${part.to} fans out, its branches add up: ${part.grad} = ${branches.map(bracketed).join(" + ")} = ${format(sum)}`);
    }
  });
  said.forEach((text) => {
    const line = document.createElement("div");
    line.textContent = text;
    explain.appendChild(line);
  });
}

document.getElementById("back-step")?.addEventListener("click", () => {
  backwardAt = backwardAt + 1 < data.backward.length ? backwardAt + 1 : -1;
  if (backwardAt < 0) {
    update();
    document.getElementById("back-explain").textContent =
      "Every gradient is computed: that was the whole backward pass.";
  } else {
    update();
  }
});

document.querySelectorAll("input[data-input]").forEach((element) => {
  element.addEventListener("input", () => {
    const value = Number(element.value);
    if (element.value === "" || !Number.isFinite(value)) return;
    setInput(element.dataset.input, value, element);
    if (nudged) nudged.textContent = "";
    refresh(element);
  });
});

document.getElementById("nudge")?.addEventListener("click", () => {
  const before = forward(...args());
  const grads = backward(...args());
  data.wrt.forEach((name, i) => setInput(name, point.get(name) + data.step * grads[i]));
  const after = update();
  nudged.textContent =
    data.output + " went from " + format(before) + " to " + format(after) +
    " (" + (after >= before ? "+" : "") + format(after - before) + ")";
});

// A small seeded random number generator (mulberry32), so that a run of
// training can be replayed: the same seed picks the same points.
function seeded(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), seed | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Chapter 2: stochastic gradient descent on the data set, as the tutorial
// writes it: pick a point at random, set the data inputs, run backward,
// and move each parameter by -step times its gradient.
function trainer(training) {
  const { points, labels, score } = training;
  const [xAt, yAt, labelAt] = training.data.map((name) => data.inputs.indexOf(name));
  const gradientAt = training.trained.map((name) => data.wrt.indexOf(name));
  const shown = (id) => document.getElementById(id);
  let random, steps, history, running = false;

  function at(x, y, label) {
    const values = args();
    values[xAt] = x;
    values[yAt] = y;
    values[labelAt] = label;
    return values;
  }

  function stepSize() {
    const step = Number(shown("step-size").value);
    return Number.isFinite(step) && step > 0 ? step : training.step;
  }

  // Training stops, and says why, where its numbers are no longer finite.
  function stop(reason) {
    run(false);
    shown("train-status").textContent =
      `Stopped at step ${steps}: ${reason}. Reset, and try a smaller step size, ` +
      "or hold a parameter where it is (leave it out of wrt).";
  }
  const notFinite = "the program is not a finite number at some of the points";

  // One step of SGD; false (and the parameters left as they were) where
  // it would make one of them infinite or NaN.
  function sgdStep() {
    const i = Math.floor(random() * points.length);
    point.set(training.data[0], points[i][0]);
    point.set(training.data[1], points[i][1]);
    point.set(training.data[2], labels[i]);
    const grads = backward(...args());
    const step = stepSize();
    const moved = training.trained.map((name, k) => point.get(name) + -step * grads[gradientAt[k]]);
    const k = moved.findIndex((value) => !Number.isFinite(value));
    if (k >= 0) {
      stop(`the next step would set ${training.trained[k]} = ${format(moved[k])}`);
      return false;
    }
    training.trained.forEach((name, k) => point.set(name, moved[k]));
    steps += 1;
    return true;
  }

  // The loss (the output, averaged over every point) and the training
  // accuracy (the sign of the score against the label; a score that is
  // not a number decides nothing).
  function evaluate() {
    let loss = 0;
    let correct = 0;
    points.forEach(([x, y], i) => {
      const [values] = trace(...at(x, y, labels[i]));
      loss += values.get(data.output);
      const s = values.get(score);
      correct += Number.isFinite(s) && (s > 0 ? 1 : -1) === labels[i];
    });
    return [loss / points.length, correct / points.length];
  }

  // The view of the plane: the points' box with a margin, square.
  const canvas = shown("boundary");
  const xs = points.map((p) => p[0]);
  const ys = points.map((p) => p[1]);
  const middle = [(Math.min(...xs) + Math.max(...xs)) / 2, (Math.min(...ys) + Math.max(...ys)) / 2];
  const half = 0.6 * Math.max(Math.max(...xs) - Math.min(...xs), Math.max(...ys) - Math.min(...ys), 1);
  const toPlane = (px, py) => [
    middle[0] - half + (2 * half * px) / canvas.width,
    middle[1] + half - (2 * half * py) / canvas.height,
  ];
  const toCanvas = ([x, y]) => [
    ((x - middle[0] + half) / (2 * half)) * canvas.width,
    ((middle[1] + half - y) / (2 * half)) * canvas.height,
  ];
  const CELL = 8; // pixels of the canvas per evaluation of the score

  // The decision regions: the sign of the score over a grid, and the points.
  function drawBoundary() {
    const context = canvas.getContext("2d");
    for (let px = 0; px < canvas.width; px += CELL) {
      for (let py = 0; py < canvas.height; py += CELL) {
        const [x, y] = toPlane(px + CELL / 2, py + CELL / 2);
        const [values] = trace(...at(x, y, 1));
        const s = values.get(score);
        context.fillStyle = s > 0 ? "#d6eaf8" : s <= 0 ? "#fadbd8" : "#eeeeee";
        context.fillRect(px, py, CELL, CELL);
      }
    }
    points.forEach((p, i) => {
      const [cx, cy] = toCanvas(p);
      context.beginPath();
      context.arc(cx, cy, 4, 0, 2 * Math.PI);
      context.fillStyle = labels[i] > 0 ? "#2471a3" : "#c0392b";
      context.fill();
      context.strokeStyle = "#222";
      context.stroke();
    });
    const [cx, cy] = toCanvas([point.get(training.data[0]), point.get(training.data[1])]);
    context.beginPath();
    context.arc(cx, cy, 8, 0, 2 * Math.PI);
    context.lineWidth = 2;
    context.stroke();
    context.lineWidth = 1;
  }

  function drawLoss() {
    const plot = shown("loss-plot");
    const context = plot.getContext("2d");
    context.clearRect(0, 0, plot.width, plot.height);
    // From the lowest loss (or 0) at the bottom to the highest at the top:
    // a cost may be negative.
    const finite = history.filter(([, loss]) => Number.isFinite(loss));
    const top = Math.max(...finite.map(([, loss]) => loss), 0);
    const bottom = Math.min(...finite.map(([, loss]) => loss), 0);
    const last = Math.max(history[history.length - 1][0], 1);
    context.beginPath();
    finite.forEach(([step, loss], k) => {
      const x = (step / last) * (plot.width - 2) + 1;
      const y = plot.height - 2 - ((loss - bottom) / (top - bottom || 1)) * (plot.height - 16);
      if (k === 0) context.moveTo(x, y);
      else context.lineTo(x, y);
    });
    context.strokeStyle = "#c0392b";
    context.stroke();
    context.fillStyle = "#555";
    context.fillText(`loss over ${last} steps: ${format(bottom)} to ${format(top)}`, 4, 10);
  }

  // Every number and drawing at the current parameters (`changed`: the
  // input element being typed into, left as it is).
  function show(changed = null) {
    data.inputs.forEach((name) => setInput(name, point.get(name), changed));
    update();
    const [loss, accuracy] = evaluate();
    shown("loss").textContent = format(loss);
    shown("accuracy").textContent = Math.floor(1000 * accuracy) / 10 + "%";
    shown("steps").textContent = steps;
    if (!history.length || history[history.length - 1][0] !== steps) history.push([steps, loss]);
    if (history.length > 2000) history = history.filter((_, k) => k % 2 === 0);
    drawLoss();
    drawBoundary();
    if (Number.isFinite(loss)) {
      if (changed !== null) shown("train-status").textContent = "";
      return;
    }
    if (changed !== null || steps === 0) {
      shown("train-status").textContent = `At these parameters the loss is ${format(loss)}: ${notFinite}.`;
    } else if (!shown("train-status").textContent) {
      stop(`the loss is ${format(loss)}`); // unless a step was refused, and said why
    }
  }

  function frame() {
    if (!running) return;
    const count = Math.max(1, Math.floor(Number(shown("speed").value)) || 1);
    for (let k = 0; k < count && sgdStep(); k++);
    show();
    if (running) requestAnimationFrame(frame);
  }

  function run(on) {
    if (on) shown("train-status").textContent = "";
    running = on;
    shown("train").disabled = on;
    shown("pause").disabled = !on;
    if (on) requestAnimationFrame(frame);
  }

  function reset() {
    run(false);
    Object.entries(data.start).forEach(([name, value]) => point.set(name, value));
    random = seeded(training.seed);
    steps = 0;
    history = [];
    shown("train-status").textContent = "";
    show();
  }

  shown("train").addEventListener("click", () => run(true));
  shown("pause").addEventListener("click", () => run(false));
  shown("step").addEventListener("click", () => {
    run(false);
    shown("train-status").textContent = "";
    if (sgdStep()) show();
  });
  shown("reset").addEventListener("click", reset);
  reset();
  return show;
}

// What an input's change redraws: in training mode, the loss, the
// accuracy and the decision regions too.
const refresh = data.training ? trainer(data.training) : update;
if (!data.training) update();
"""

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

_TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}</title>
<style>{style}</style>
</head>
<body>
<h1>Explore <code>{heading}</code></h1>
<p class="note">{note}</p>
<main>
<div>
{training}{inputs}<section>
<p id="output">{output} = <span class="value"></span></p>
{nudge}{backward}</section>
<section id="circuit">
<h2>The circuit</h2>
{legend}{svg}
</section>
<section>
<h2>Every wire</h2>
<table id="wires">
<thead><tr><th>wire</th><th>gate</th><th>computes</th><th>value</th>
<th>gradient</th></tr></thead>
<tbody>
{rows}
</tbody>
</table>
</section>
</div>
<section id="code">
<h2>The generated code, with the numbers at this point</h2>
<pre>{code}</pre>
</section>
</main>
<script id="data" type="application/json">{data}</script>
<script type="module">
{generated}
{script}
</script>
</body>
</html>
"""
