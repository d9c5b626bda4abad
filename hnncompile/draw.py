"""See the circuit: a compiled program drawn as the tutorial draws circuits.

Inputs on the left, top to bottom in input order, one box per gate with its
operation, the output on the right; on every wire its name and, given a
point, its value going forward (green, above) and its gradient coming back
(red, below), as in the tutorial's figures (on arrays: each wire's shape
and a summary). Drawn with Graphviz: the `graphviz` Python package
(`pip install 'hnncompile[draw]'`) writes the DOT text, and Graphviz's `dot`
program lays it out as SVG or PNG, in seconds: a circuit that would take
it longer is refused before it starts (`layout_work`), and `dot` is
stopped after 20 seconds (render's `timeout`) whatever the estimate."""

from __future__ import annotations

import html
import itertools
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Mapping

from .gates import GATES, fill
from .ir import Wire
from .trace import gradient_summary, point_of, summary, trace

if TYPE_CHECKING:
    import graphviz

    from .compiled import CompiledFunction

VALUE_COLOUR = "#1e8449"  # green, as the tutorial's forward values
GRADIENT_COLOUR = "#c0392b"  # red, as its gradients
FORMATS = (".svg", ".png", ".dot")
MAX_DRAWN_GATES = 300  # a notebook or an explorer page draws programs up to this size


class DrawingUnavailable(RuntimeError):
    """No drawing: Graphviz (the Python package or the `dot` program) is not
    installed, or (DrawingTooLarge) the circuit is too large to lay out."""


class DrawingTooLarge(DrawingUnavailable):
    """The circuit is too large for `dot` to lay out in seconds."""


def circuit(
    f: CompiledFunction,
    point: Mapping[str, Any] | None = None,
    dout: Any = 1.0,
    caption: bool = True,
) -> graphviz.Digraph:
    """The circuit of `f` as a graphviz.Digraph; with `point` (inputs by
    name; one not given is 1), every wire carries its value and gradient
    there, and a caption (unless `caption` is false) says where and which
    is which. On arrays, each wire shows its shape and a summary.

    The inputs are listed top to bottom in input order, as the explorer's
    sliders are: all in the leftmost column, as in the tutorial's figures,
    when that is quick to lay out; otherwise each just left of the first
    gate it feeds (see layout_work).

    Each edge of a wire has the id `wire-<name>-<n>` in SVG, so a page can
    find a wire's numbers (the green and the red text) and change them."""
    graphviz = _graphviz_package()
    numbers = None
    if point is not None:
        full, _ = point_of(f, (), dict(point), upstream=False)
        numbers = trace(f, *(full[name] for name in f.inputs), dout).complete()
    dot = graphviz.Digraph(
        f.output,
        graph_attr={
            "rankdir": "LR",
            "nodesep": "0.3",
            "ranksep": "0.5",
            "ordering": "in",  # each gate's inputs in the order it takes them
        },
        node_attr={"fontname": "Helvetica", "fontsize": "12"},
        edge_attr={"fontname": "Helvetica", "fontsize": "10", "arrowsize": "0.6"},
    )
    if numbers is not None and caption:
        at = ", ".join(_at(name, numbers.values[name]) for name in f.inputs)
        dot.attr(
            label=f"<at {at}: <font color='{VALUE_COLOUR}'>value</font>"
            f" above, <font color='{GRADIENT_COLOUR}'>gradient</font> below>",
            labelloc="b",
            fontname="Helvetica",
            fontsize="11",
        )
    edges = itertools.count(1)

    def edge_id(wire: str) -> str:
        return f"wire-{wire}-{next(edges)}"

    source = {}  # wire -> the node its value leaves from
    nodes = [f"input{i}" for i in range(len(f.inputs))]
    if layout_work(f, inputs_left=True) <= _LEFT_COLUMN_WORK:
        with dot.subgraph(name="inputs") as inputs:
            inputs.attr(rank="source")
            for node, name in zip(nodes, f.inputs):
                inputs.node(node, name, shape="plaintext", fontsize="14")
            if len(nodes) > 1:  # in one column, these keep them in order
                inputs.edge(nodes[0], nodes[1], style="invis")
                for above, below in zip(nodes[1:], nodes[2:]):
                    inputs.edge(above, below, style="invis")
    else:
        for node, name in zip(nodes, f.inputs):
            dot.node(node, name, shape="plaintext", fontsize="14")
    source.update(zip(f.inputs, nodes))
    constants = 0
    for i, eqn in enumerate(f.gates.eqns):
        gate = GATES[eqn.gate]
        params = {p: c.text for p, c in zip(gate.params, eqn.params)}
        node = f"gate{i}"
        dot.node(
            node,
            fill(gate.label, params),
            shape="box",
            style="rounded,filled",
            fillcolor="#f2f3f4",
        )
        for arg in eqn.args:
            if isinstance(arg, Wire):
                label = _wire_label(arg.name, numbers, named=arg.name not in f.inputs)
                dot.edge(source[arg.name], node, label=label, id=edge_id(arg.name))
            else:
                constants += 1
                dot.node(
                    f"constant{constants}",
                    arg.text,
                    shape="plaintext",
                    fontcolor="gray40",
                )
                dot.edge(f"constant{constants}", node, color="gray60")
        source[eqn.out] = node
    with dot.subgraph(name="output") as output:
        output.attr(rank="sink")
        output.node("output", f.output, shape="plaintext", fontsize="14")
    label = _wire_label(f.output, numbers, False)
    dot.edge(source[f.output], "output", label=label, id=edge_id(f.output))
    return dot


# How much layout Graphviz's `dot` is asked for, in nodes: one per box, name
# and constant, and one more for each column a wire crosses on its way (dot
# routes a wire through a hidden node in every column between its ends, and
# its time grows about as the cube of their number). Measured with dot 2.43
# on chains, fans and shared weights: 1,000 lay out in half a second, 1,500
# in one or two, 2,500 in 7 to 26 seconds, 10,000 in more than a minute.
_LEFT_COLUMN_WORK = 1_000  # up to this, every input is drawn in the first column
LAYOUT_WORK = 1_500  # beyond this, svg and png drawings are refused
_LAYOUT_SECONDS = 20.0  # and dot is stopped after this long, whatever the estimate


def layout_work(f: CompiledFunction, inputs_left: bool = False) -> int:
    """The nodes `dot` would lay out for `f`'s circuit, hidden ones
    included: with `inputs_left`, every input in the first column; else
    each input just left of the first gate it feeds."""
    column: dict[str, int] = {name: 0 for name in f.inputs}
    feeds: dict[str, list[int]] = {name: [] for name in f.inputs}
    wires: list[tuple[str, int]] = []  # (wire, the column of the gate it feeds)
    constants = 0
    for eqn in f.gates.eqns:
        here = 1 + max(
            (column[a.name] for a in eqn.args if isinstance(a, Wire)), default=0
        )
        for arg in eqn.args:
            if isinstance(arg, Wire):
                wires.append((arg.name, here))
                if arg.name in feeds:
                    feeds[arg.name].append(here)
            else:
                constants += 1  # a constant sits next to its gate
        column[eqn.out] = here
    if not inputs_left:
        column.update({name: min(at, default=1) - 1 for name, at in feeds.items()})
    wires.append((f.output, column[f.output] + 1))
    hidden = sum(at - column[wire] - 1 for wire, at in wires)
    return len(f.inputs) + len(f.gates.eqns) + constants + 1 + max(hidden, 0)


def too_large_to_draw(
    f: CompiledFunction, max_gates: int | None = MAX_DRAWN_GATES
) -> str | None:
    """Why `f`'s circuit is not laid out (more than `max_gates` gates, too
    many to read on a page, or too much work for `dot`), or None when it
    is drawn."""
    gates = len(f.gates.eqns)
    if max_gates is not None and gates > max_gates:
        return f"{gates} gates are too many to draw (the limit is {max_gates})"
    work = layout_work(f)
    if work > LAYOUT_WORK:
        return (
            f"the circuit is too large to lay out quickly: its wires cross so "
            f"many columns that Graphviz would place {work} nodes (the limit is "
            f"{LAYOUT_WORK}), which takes it from seconds to minutes"
        )
    return None


def draw(
    f: CompiledFunction,
    path: str | Path,
    point: Mapping[str, Any] | None = None,
    dout: Any = 1.0,
) -> Path:
    """Write the circuit to `path`: .svg or .png (laid out by Graphviz's
    `dot`), or .dot (the Graphviz source, for a circuit of any size).

    Raises DrawingTooLarge for an .svg or .png of a circuit `dot` could not
    lay out in seconds (see too_large_to_draw), or when `dot` runs out of
    render's time."""
    path = Path(path)
    if path.suffix not in FORMATS:
        raise ValueError(
            f"cannot draw to {path.name!r}: give a file ending in "
            f"{', '.join(FORMATS[:-1])} or {FORMATS[-1]}"
        )
    if path.suffix != ".dot":
        refused = too_large_to_draw(f, max_gates=None)
        if refused is not None:
            raise DrawingTooLarge(f"cannot draw {path.name}: {refused}. {_WHAT_TO_DO}")
    dot = circuit(f, point, dout)
    if path.suffix == ".dot":
        path.write_text(dot.source, encoding="utf-8")
    else:
        path.write_bytes(render(dot, path.suffix[1:]))
    return path


_WHAT_TO_DO = (
    "Draw a smaller part of the program, use trace for every wire's numbers, "
    "or write a .dot file and lay it out yourself (dot -Tsvg circuit.dot)"
)


def render(
    dot: graphviz.Digraph, format: str, timeout: float = _LAYOUT_SECONDS
) -> bytes:
    """Lay the circuit out with Graphviz's `dot` program, stopping it after
    `timeout` seconds (DrawingTooLarge). `dot` runs in a process group of
    its own, is killed if this call is left for any reason, and, on Linux,
    dies with the process that started it."""
    program = shutil.which("dot")
    if program is None:
        raise DrawingUnavailable(
            "drawing needs Graphviz's `dot` program, which is not on PATH: install "
            "Graphviz (Debian/Ubuntu: apt-get install graphviz; macOS: brew install "
            "graphviz; others: https://graphviz.org/download/). A .dot file needs "
            "only the Python package."
        )
    with subprocess.Popen(
        [program, f"-T{format}"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,  # its own group: killed with whatever it starts
        preexec_fn=_die_with_parent(),
    ) as layout:
        try:
            out, err = layout.communicate(dot.source.encode("utf-8"), timeout=timeout)
        except subprocess.TimeoutExpired:
            raise DrawingTooLarge(
                f"Graphviz's dot did not finish laying out the circuit in "
                f"{timeout:g} seconds, and was stopped. {_WHAT_TO_DO}"
            ) from None
        finally:
            if layout.poll() is None:  # a timeout, Ctrl-C, or any other exception
                try:
                    if hasattr(os, "killpg"):
                        os.killpg(layout.pid, signal.SIGKILL)
                    else:  # Windows: no process groups
                        layout.kill()
                except OSError:  # it has just finished
                    pass
    if layout.returncode != 0:
        raise RuntimeError(
            f"Graphviz's dot failed (exit {layout.returncode}): "
            f"{err.decode('utf-8', 'replace').strip()}"
        )
    return out


def _die_with_parent() -> Callable[[], None] | None:
    """On Linux, what the child runs before `dot` starts: ask the kernel to
    kill it when the thread that started it ends (prctl PR_SET_PDEATHSIG),
    so that no `dot` outlives a killed Python. The function is looked up
    here, in the parent, so that the child only calls it."""
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    PR_SET_PDEATHSIG = 1
    return lambda: prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def _graphviz_package() -> Any:
    try:
        import graphviz
    except ImportError:
        raise DrawingUnavailable(
            "drawing needs the `graphviz` Python package: "
            "pip install 'hnncompile[draw]' (or pip install graphviz)"
        ) from None
    return graphviz


def _wire_label(wire: str, numbers, named: bool = True) -> str:
    """The wire's name (unless a node next to it says it already) and, at a
    point, its value and gradient."""
    lines = [html.escape(wire)] if named else []
    if numbers is not None:
        value = _number(numbers.values[wire])
        gradient = html.escape(
            gradient_summary(numbers.gradients[wire], digits=4, array_digits=4)
        )
        lines.append(f"<font color='{VALUE_COLOUR}'>{value}</font>")
        lines.append(f"<font color='{GRADIENT_COLOUR}'>{gradient}</font>")
    return f"<{'<br/>'.join(lines)}>" if lines else ""


def _at(name: str, value: Any) -> str:
    """An input in the caption: `x = -2`, or, for an array (whose summary
    its wires carry), its shape: `W1 (30, 64)`."""
    shape = getattr(value, "shape", ())
    if shape:
        return f"{html.escape(name)} {shape}"
    return f"{html.escape(name)} = {_number(value)}"


def _number(value: Any) -> str:
    return html.escape(summary(value, digits=4, array_digits=4))
