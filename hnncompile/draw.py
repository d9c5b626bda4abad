"""See the circuit: a compiled program drawn as the tutorial draws circuits.

Inputs on the left, one box per gate with its operation, the output on the
right; on every wire its name and, given a point, its value going forward
(green, above) and its gradient coming back (red, below), as in the
tutorial's figures. Drawn with Graphviz: the `graphviz` Python package
(`pip install 'hnncompile[draw]'`) writes the DOT text, and Graphviz's `dot`
program lays it out as SVG or PNG.
"""

from __future__ import annotations

import html
import itertools
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

from .gates import GATES, fill
from .ir import Wire
from .trace import point_of, summary, trace

if TYPE_CHECKING:
    import graphviz

    from .compiled import CompiledFunction

VALUE_COLOUR = "#1e8449"  # green, as the tutorial's forward values
GRADIENT_COLOUR = "#c0392b"  # red, as its gradients
FORMATS = (".svg", ".png", ".dot")


class DrawingUnavailable(RuntimeError):
    """Graphviz (the Python package or the `dot` program) is not installed."""


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

    Each edge of a wire has the id `wire-<name>-<n>` in SVG, so a page can
    find a wire's numbers (the green and the red text) and change them."""
    graphviz = _graphviz_package()
    numbers = None
    if point is not None:
        full, _ = point_of(f, (), dict(point), upstream=False)
        numbers = trace(f, *(full[name] for name in f.inputs), dout)
    dot = graphviz.Digraph(
        f.output,
        graph_attr={"rankdir": "LR", "nodesep": "0.3", "ranksep": "0.5"},
        node_attr={"fontname": "Helvetica", "fontsize": "12"},
        edge_attr={"fontname": "Helvetica", "fontsize": "10", "arrowsize": "0.6"},
    )
    if numbers is not None and caption:
        at = ", ".join(
            f"{html.escape(name)} = {_number(numbers.values[name])}"
            for name in f.inputs
        )
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
    with dot.subgraph(name="inputs") as inputs:
        inputs.attr(rank="source")
        for i, name in enumerate(f.inputs):
            node = f"input{i}"
            inputs.node(node, name, shape="plaintext", fontsize="14")
            source[name] = node
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


def draw(
    f: CompiledFunction,
    path: str | Path,
    point: Mapping[str, Any] | None = None,
    dout: Any = 1.0,
) -> Path:
    """Write the circuit to `path`: .svg or .png (laid out by Graphviz's
    `dot`), or .dot (the Graphviz source)."""
    path = Path(path)
    if path.suffix not in FORMATS:
        raise ValueError(
            f"cannot draw to {path.name!r}: give a file ending in "
            f"{', '.join(FORMATS[:-1])} or {FORMATS[-1]}"
        )
    dot = circuit(f, point, dout)
    if path.suffix == ".dot":
        path.write_text(dot.source, encoding="utf-8")
    else:
        path.write_bytes(render(dot, path.suffix[1:]))
    return path


def render(dot: graphviz.Digraph, format: str) -> bytes:
    """Lay the circuit out with Graphviz's `dot` program."""
    graphviz = _graphviz_package()
    try:
        return dot.pipe(format=format)
    except graphviz.ExecutableNotFound:
        raise DrawingUnavailable(
            "drawing needs Graphviz's `dot` program, which is not on PATH: install "
            "Graphviz (Debian/Ubuntu: apt-get install graphviz; macOS: brew install "
            "graphviz; others: https://graphviz.org/download/). A .dot file needs "
            "only the Python package."
        ) from None


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
        gradient = _number(numbers.gradients[wire])
        lines.append(f"<font color='{VALUE_COLOUR}'>{value}</font>")
        lines.append(f"<font color='{GRADIENT_COLOUR}'>{gradient}</font>")
    return f"<{'<br/>'.join(lines)}>" if lines else ""


def _number(value: Any) -> str:
    return html.escape(summary(value, digits=4, array_digits=4))
