"""Play with the numbers: one HTML page per program, as the tutorial does.

`hnncompile explore FILE -o page.html` writes a self-contained page (no
network, nothing fetched): the circuit drawn by Graphviz (see draw.py), a
slider and a number box for every input, and, as the inputs move, the
output, every wire's value and gradient (on the drawing and in a table)
and the generated JavaScript with the numbers of the current point beside
its lines. A "nudge" button takes the tutorial's step of 0.01 along the
gradient and shows the output rise.

Every number on the page comes from the emitted JavaScript itself, inlined
into the page: `forward` for the output, `backward` for the inputs'
gradients, and a generated `trace` (the same lines, returning every wire)
for the rest. The page's own script only moves numbers into place.
"""

from __future__ import annotations

import html
import json
import math
import re
from pathlib import Path
from typing import TYPE_CHECKING, Mapping

from . import codegen
from .draw import circuit, render, too_large_to_draw
from .gates import GATES
from .trace import MISSING_INPUT_VALUE, notation

if TYPE_CHECKING:
    from .compiled import CompiledFunction

STEP_SIZE = 0.01  # the tutorial's step in chapter 1


def page(f: CompiledFunction, point: Mapping[str, float] | None = None) -> str:
    """The explorer page for `f`, starting at `point` (missing inputs start
    at 1). Raises draw.DrawingUnavailable without Graphviz."""
    from .trace import array_shape as _array_shape

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
    }
    return _TEMPLATE.format(
        title=html.escape(f"{f.output}: hnncompile explorer"),
        heading=html.escape(_program_text(f)),
        note=_note(f),
        inputs=(
            _INPUTS.format(
                rows="\n".join(_input_row(name, start[name]) for name in f.inputs)
            )
            if f.inputs
            else ""
        ),
        output=html.escape(f.output),
        nudge=_NUDGE.format(step=STEP_SIZE) if f.wrt else "",
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
        generated=_script_text(f"{module}\n{trace_function}"),
        script=_SCRIPT,
        style=_STYLE,
    )


def write(
    f: CompiledFunction, path: str | Path, point: Mapping[str, float] | None = None
) -> Path:
    """Write the explorer page for `f` to `path`."""
    path = Path(path)
    path.write_text(page(f, point), encoding="utf-8")
    return path


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


_STYLE = """
body { font-family: Helvetica, Arial, sans-serif; margin: 1.5em; color: #222; }
h1 { font-size: 1.3em; margin: 0 0 .2em; }
h1 code { font-size: 1em; }
p.note { color: #555; margin: 0 0 1em; }
main { display: grid; grid-template-columns: minmax(22em, 1fr) minmax(26em, 1fr);
       gap: 1.5em; align-items: start; }
section { margin-bottom: 1.2em; }
h2 { font-size: 1em; margin: 0 0 .5em; }
label.input { display: grid; grid-template-columns: 4em 1fr 7em 10em; gap: .5em;
              align-items: center; margin: .25em 0; }
label.input .name { font-family: monospace; font-weight: bold; }
input[type=number] { width: 6.5em; }
.value { color: #1e8449; }
.gradient { color: #c0392b; }
#output { font-size: 1.3em; }
#output .value { font-weight: bold; }
button { font-size: 1em; padding: .3em .9em; }
#nudged { margin-left: .8em; }
#circuit svg { width: 100%; height: auto; }
table { border-collapse: collapse; }
th, td { padding: .15em .7em; text-align: left; border-bottom: 1px solid #eee; }
td.value, td.gradient { text-align: right; font-family: monospace; }
pre { background: #f7f7f7; padding: .8em; overflow-x: auto; font-size: .85em; }
.line { display: block; white-space: pre; min-height: 1.2em; }
.now { color: #888; }
"""

# The page's own script: it reads the inputs, calls the generated functions
# and writes their numbers into the drawing, the table and the code.
_SCRIPT = """
const data = JSON.parse(document.getElementById("data").textContent);
const format = (v) => (Number.isFinite(v) ? String(Number(v.toPrecision(4))) : String(v));
// Maps, not objects, for whatever is keyed by a name: a wire may be
// named __proto__, constructor or toString.
const point = new Map(Object.entries(data.start));
const nudged = document.getElementById("nudged"); // none without a gradient

// The drawing's edges by wire, found once: draw.py gives each the id
// wire-<name>-<n>, and a name has no "-".
const edges = new Map();
document.querySelectorAll('g[id^="wire-"]').forEach((edge) => {
  const wire = edge.id.slice("wire-".length, edge.id.lastIndexOf("-"));
  if (!edges.has(wire)) edges.set(wire, []);
  edges.get(wire).push(edge);
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
  const args = data.inputs.map((name) => point.get(name));
  // The emitted JavaScript, and nothing else, computes every number.
  const value = forward(...args);
  const grads = backward(...args);
  const [values, gradients] = trace(...args);
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
  return value;
}

document.querySelectorAll("input[data-input]").forEach((element) => {
  element.addEventListener("input", () => {
    const value = Number(element.value);
    if (element.value === "" || !Number.isFinite(value)) return;
    setInput(element.dataset.input, value, element);
    if (nudged) nudged.textContent = "";
    update();
  });
});

document.getElementById("nudge")?.addEventListener("click", () => {
  const args = data.inputs.map((name) => point.get(name));
  const before = forward(...args);
  const grads = backward(...args);
  data.wrt.forEach((name, i) => setInput(name, point.get(name) + data.step * grads[i]));
  const after = update();
  nudged.textContent =
    data.output + " went from " + format(before) + " to " + format(after) +
    " (" + (after >= before ? "+" : "") + format(after - before) + ")";
});

update();
"""

_INPUTS = """<section id="inputs">
<h2>Inputs</h2>
{rows}
</section>
"""

_NUDGE = """<button id="nudge" type="button">Nudge: a step of {step} along the gradient</button>
<span id="nudged"></span>
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
{inputs}<section>
<p id="output">{output} = <span class="value"></span></p>
{nudge}</section>
<section id="circuit">
<h2>The circuit</h2>
{svg}
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
