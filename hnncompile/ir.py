"""The gate list: a program as a flat list of primitive gates (SSA).

Three small immutable types, as in JAX's Autodidax: an operand (a wire's
name or a constant), an equation `out = gate(args)`, and the program
(inputs, equations, output). Printing a GateList gives one gate per line.
`check()` asserts the invariants every pass must keep.

Data (the array target): an input used as an index, a length or a size
(`X` in `C[X]`, `n` and `Y` in `P[range(n), Y]`), directly or through
other gates (`m = n - 1`), is data, not a parameter: it gets no gradient.
`find_data` finds those inputs; `GateList.data` holds them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Iterator, Union

from .gates import GATES


@dataclass(frozen=True)
class Wire:
    name: str

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True)
class Const:
    value: float
    text: str  # how the generated code writes it

    def __str__(self) -> str:
        return self.text


Operand = Union[Wire, Const]


@dataclass(frozen=True)
class Eqn:
    out: str
    gate: str  # a key of gates.GATES
    args: tuple[Operand, ...]
    params: tuple[Const, ...] = ()
    line: int = 0  # where in the source this gate comes from
    column: int = 0
    # Why a pass wrote this gate instead of what the source wrote (the
    # stability pass: stabilize.py), for a comment above its forward line;
    # the gate list's printing leaves it out.
    note: str = ""

    def __str__(self) -> str:
        operands = " ".join(str(a) for a in self.args + self.params)
        return f"{self.out} = {self.gate} {operands}"


@dataclass(frozen=True)
class GateList:
    inputs: tuple[str, ...]
    eqns: tuple[Eqn, ...]
    output: str
    source_names: frozenset[str]  # every name the source spells, for naming
    filename: str = "<string>"
    source: str = ""
    # The inputs that are data (an index, a length, a size): no gradient.
    data: frozenset[str] = frozenset()
    # The inputs' shapes, where compile() was given them (the array target):
    # (name, shape) pairs; the code generator writes backward for them.
    shapes: tuple[tuple[str, tuple[int, ...]], ...] = ()

    def __str__(self) -> str:
        lines = [f"inputs {', '.join(self.inputs)}" if self.inputs else "inputs (none)"]
        if self.data:
            lines.append(f"data {', '.join(i for i in self.inputs if i in self.data)}")
        lines += [str(eqn) for eqn in self.eqns]
        lines.append(f"output {self.output}")
        return "\n".join(lines)

    def check(self) -> None:
        """Assert single assignment, no unbound wire, known gates and arities."""
        bound = set(self.inputs)
        assert len(bound) == len(self.inputs), "an input is listed twice"
        for eqn in self.eqns:
            gate = GATES[eqn.gate]
            assert len(eqn.args) == len(gate.inputs), f"wrong arity: {eqn}"
            assert len(eqn.params) == len(gate.params), f"wrong params: {eqn}"
            for arg in eqn.args:
                assert not isinstance(arg, Wire) or arg.name in bound, f"unbound: {eqn}"
            assert eqn.out not in bound, f"assigned twice: {eqn}"
            bound.add(eqn.out)
        assert self.output in bound, f"unbound output {self.output}"
        assert self.data <= set(self.inputs), "data that is not an input"
        assert self.data == find_data(self.inputs, self.eqns), "data not found"

    def data_wires(self) -> frozenset[str]:
        """Every wire that is data: the data inputs, the sizes (`dim`), and
        each wire computed from data and constants alone (`m = n - 1`; not
        one of constants alone, `q = 3`, whose gradient the trace shows).
        None of them gets a gradient."""
        data = set(self.data)
        for eqn in self.eqns:
            wires = [a.name for a in eqn.args if isinstance(a, Wire)]
            from_data = bool(wires) and all(w in data for w in wires)
            if GATES[eqn.gate].gives_data or from_data:
                data.add(eqn.out)
        return frozenset(data)

    def why_data(self, name: str) -> str:
        """Why the input `name` is data, for a message: "an index at line 1"."""
        for eqn, position, wire in _data_uses(self.eqns):
            if name in find_data(self.inputs, self.eqns, start=(wire,)):
                word = _DATA_WORDS.get(GATES[eqn.gate].inputs[position], "a size")
                return f"{word} at line {eqn.line}"
        raise ValueError(f"{name!r} is not data")


# What a data position of a gate is, by its placeholder's name.
_DATA_WORDS = {"i": "an index", "n": "a length"}


def _data_uses(eqns: Iterable[Eqn]) -> Iterator[tuple[Eqn, int, str]]:
    """Each wire in a data position: (its gate, the position, the wire)."""
    for eqn in eqns:
        for position in GATES[eqn.gate].data_inputs:
            arg = eqn.args[position]
            if isinstance(arg, Wire):
                yield eqn, position, arg.name


def find_data(
    inputs: Iterable[str], eqns: Iterable[Eqn], start: Iterable[str] | None = None
) -> frozenset[str]:
    """The inputs that reach a data position (an index, a length, a size)
    directly or through other gates; `start`: from these wires instead.

    A size measured from a wire (`emb.shape[0]`) does not make that wire
    data: the walk stops at a gate whose output is data by itself. An
    explicit stack: any depth works."""
    eqns = tuple(eqns)
    stack = list(start) if start is not None else [w for _, _, w in _data_uses(eqns)]
    if not stack:  # no index, length or size: every program of chapters 1-2
        return frozenset()
    producers = {eqn.out: eqn for eqn in eqns}
    seen: set[str] = set()
    while stack:
        wire = stack.pop()
        if wire in seen:
            continue
        seen.add(wire)
        eqn = producers.get(wire)
        if eqn is not None and not GATES[eqn.gate].gives_data:
            stack.extend(a.name for a in eqn.args if isinstance(a, Wire))
    return frozenset(seen.intersection(inputs))
