"""The stability pass: where a program writes a form that overflows or
rounds to nothing, the stable gate that computes the same number
(SPEC section 6).

    log(sigmoid(x))          -> log_sigmoid(x)
    log(1 - sigmoid(x))      -> log_sigmoid(-x)
    log(1 + exp(x))          -> softplus(x)       (and log(exp(x) + 1))
    log(sum(exp(x)))         -> logsumexp(x)      (and exp(x).sum(axis),
                                                   with keepdims too)
    log(softmax(x))          -> log_softmax(x)    (and softmax(x, axis))
    log(1 + x)               -> log1p(x)          (and log(x + 1))
    log(1 - x)               -> log1p(-x)
    exp(x) - 1               -> expm1(x)          (and -1 + exp(x))
    log1p(exp(x))            -> softplus(x)

It runs after lowering and before the optimisation passes, on by default
(`compile(..., stable=False)` and `--no-stable` turn it off), and unlike
PyTensor's rewrites it is visible: the rewritten gate keeps the user's
name and carries a note (`Eqn.note`) that every target writes as a
comment above its forward line, and each rewrite is a `Rewrite` record
(`f.rewrites`, `--emit passes`).

Matching is one walk over the gate list: each `log` (or `sub`) gate looks
at the gates that make its input (a dict from wire to gate), so a chain of
10^5 gates takes linear time and nothing recurses. An intermediate that
nothing else reads afterwards (the `sigmoid` of `log(sigmoid(x))`) is
dropped; one that something else reads stays. `log(1 + exp(x))` is both
softplus and log1p: softplus is tried first.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from typing import Callable

from . import naming
from .gates import GATES, fill
from .ir import Const, Eqn, GateList, Operand, Wire
from .spelling import Spelling, bracketed


@dataclass(frozen=True)
class Rewrite:
    """One rewrite: what the user wrote, what it became, and why."""

    line: int
    column: int
    written: str  # in the source's notation, with its names: log(sigmoid(q))
    became: str  # log_sigmoid(q)
    why: str  # one sentence: sigmoid(q) rounds to 0 below q = -745, ...
    kind: str  # the pattern, for the counts: log(sigmoid(x)) -> log_sigmoid(x)

    def __str__(self) -> str:
        return f"line {self.line}: {self.written} -> {self.became}: {self.why}"


@dataclass(frozen=True)
class _Kind:
    pattern: str  # as the report counts it
    why: str  # a template on {x}, the rewritten operand
    where: str  # the note's end: "finite where ..."


_LOG_SIGMOID = _Kind(
    "log(sigmoid(x)) -> log_sigmoid(x)",
    "sigmoid({x}) rounds to 0 below {x} = -745, and log(0) is -inf",
    "finite where sigmoid({x}) rounds to 0",
)
_LOG_ONE_MINUS_SIGMOID = _Kind(
    "log(1 - sigmoid(x)) -> log_sigmoid(-x)",
    "sigmoid({x}) rounds to 1 above {x} = 37, and log(1 - 1) is -inf",
    "finite where sigmoid({x}) rounds to 1",
)
_SOFTPLUS = _Kind(
    "log(1 + exp(x)) -> softplus(x)",
    "exp({x}) overflows to inf above {x} = 709, and log(inf) is inf",
    "finite where exp({x}) overflows",
)
_LOGSUMEXP = _Kind(
    "log(sum(exp(x))) -> logsumexp(x)",
    "exp({x}) overflows to inf above {x} = 709 (and log(0) is -inf where "
    "every exp rounds to 0): logsumexp subtracts the largest element first",
    "finite where exp({x}) overflows",
)
_LOG_SOFTMAX = _Kind(
    "log(softmax(x)) -> log_softmax(x)",
    "softmax({x}) rounds to 0 for an element 745 below the largest, and "
    "log(0) is -inf",
    "finite where softmax({x}) rounds to 0",
)
_LOG1P = _Kind(
    "log(1 + x) -> log1p(x)",
    "1 + {x} rounds away {x}'s last digits where {x} is small (all of them "
    "below 1e-16, where the log is 0): log1p keeps them",
    "accurate where {x} is small",
)
_LOG1P_OF_MINUS = _Kind(
    "log(1 - x) -> log1p(-x)",
    "1 - {x} rounds away {x}'s last digits where {x} is small (all of them "
    "below 1e-16, where the log is 0): log1p keeps them",
    "accurate where {x} is small",
)
_EXPM1 = _Kind(
    "exp(x) - 1 -> expm1(x)",
    "exp({x}) - 1 cancels {x}'s last digits where {x} is small (all of them "
    "below 1e-16, where it is 0): expm1 keeps them",
    "accurate where {x} is small",
)
# The reductions whose log of exp is a logsumexp, and the gate it becomes.
# Every rewrite, in the order SPEC section 6 lists them.
KINDS = tuple(
    kind.pattern
    for kind in (
        _LOG_SIGMOID,
        _LOG_ONE_MINUS_SIGMOID,
        _SOFTPLUS,
        _LOGSUMEXP,
        _LOG_SOFTMAX,
        _LOG1P,
        _LOG1P_OF_MINUS,
        _EXPM1,
    )
)
_LOGSUMEXP_OF = {
    "sum": "logsumexp",
    "sum_axis": "logsumexp_axis",
    "sum_keepdims": "logsumexp_keepdims",
}
_LOG_SOFTMAX_OF = {"softmax": "log_softmax", "softmax_axis": "log_softmax_axis"}
_ROOTS = frozenset({"log", "sub", "add", "log1p"})  # the gates a pattern ends at


@dataclass(frozen=True)
class _Match:
    kind: _Kind
    gate: str  # the stable gate the root becomes
    operand: Operand  # its input (before the neg gate, for log_sigmoid(-x))
    params: tuple[Const, ...]
    inner: tuple[Eqn, ...]  # the intermediates, outermost first
    negated: bool = False  # log_sigmoid(-x): a neg gate goes first


def stabilize(gates: GateList) -> tuple[GateList, tuple[Rewrite, ...]]:
    """The gate list with every pattern rewritten into its stable gate, and
    a record of each rewrite; the same object when there is none."""
    if not any(eqn.gate in _ROOTS for eqn in gates.eqns):
        return gates, ()  # most programs: no log, no subtraction
    producers = {eqn.out: eqn for eqn in gates.eqns}
    matches = {}
    for index, eqn in enumerate(gates.eqns):
        match = _match(eqn, producers)
        if match is not None:
            matches[index] = match
    if not matches:
        return gates, ()
    reads = _reads(gates.eqns, gates.output)
    wires = {*gates.inputs, *producers}
    fresh = naming.temporaries(gates.source_names | wires)
    # The `1 - sigmoid(x)` that only its log reads gives its temporary's
    # name to the neg gate of log_sigmoid(-x), and goes.
    reused = {
        match.inner[0].out
        for match in matches.values()
        if match.negated
        and reads[match.inner[0].out] == 1
        and match.inner[0].out not in gates.source_names
    }
    spelling = Spelling(gates.source, producers)
    eqns: list[Eqn] = []
    records = []
    dropping: set[str] = set()  # intermediates to drop if nothing reads them
    for index, eqn in enumerate(gates.eqns):
        match = matches.get(index)
        if match is None:
            if eqn.out not in reused:
                eqns.append(eqn)
            continue
        operand = match.operand
        if match.negated:
            sub = match.inner[0]
            name = sub.out if sub.out in reused else next(fresh)
            eqns.append(Eqn(name, "neg", (operand,), line=sub.line, column=sub.column))
            operand = Wire(name)
        record, operand_text = _record(eqn, match, gates.source_names, spelling)
        note = (
            f"you wrote {record.written}: {record.became} is the same number, "
            f"and {fill(match.kind.where, {'x': operand_text})}"
        )
        eqns.append(
            replace(
                eqn, gate=match.gate, args=(operand,), params=match.params, note=note
            )
        )
        records.append(record)
        dropping.update(inner.out for inner in match.inner)
    result = replace(gates, eqns=_dropped(eqns, dropping - reused, gates.output))
    result.check()
    return result, tuple(records)


def summary(rewrites: tuple[Rewrite, ...]) -> str:
    """The report's line: `stabilize: 2 rewrites (log(sigmoid(x)) ->
    log_sigmoid(x) at line 3; exp(x) - 1 -> expm1(x) at line 4)`, a kind
    rewritten more than once with its count (`... x2 at lines 3, 5`)."""
    lines: dict[str, list[int]] = {}
    for rewrite in rewrites:
        lines.setdefault(rewrite.kind, []).append(rewrite.line)
    parts = []
    for kind, at in lines.items():
        count = f" x{len(at)}" if len(at) > 1 else ""
        at = list(dict.fromkeys(at))  # two on one line: the line once
        where = f"line {at[0]}" if len(at) == 1 else f"lines {', '.join(map(str, at))}"
        parts.append(f"{kind}{count} at {where}")
    count = len(rewrites)
    return f"stabilize: {count} rewrite{'' if count == 1 else 's'} ({'; '.join(parts)})"


@dataclass(frozen=True)
class Folding:
    """A pattern the lowering met on constants (`log(sigmoid(-1000))`): its
    gates, innermost first and the root last, wired by placeholder names
    (the lowering gives them its temporaries' names), and the stable gate
    whose number tells whether folding them would lose it."""

    eqns: tuple[Eqn, ...]
    gate: str  # the stable gate: log_sigmoid
    operand: Const  # its input, negated already for log_sigmoid(-x)
    params: tuple[Const, ...]


def folding(root: Eqn, made: Callable[[Const], Eqn | None]) -> Folding | None:
    """Where `root`, a gate on constants only, ends a pattern whose other
    gates were computed on constants too, the pattern (else None).
    `made(c)` is the gate (on constants) that computed the constant c,
    None for a number the program wrote."""
    producers: dict[str, Eqn] = {}
    numbers: dict[str, Const] = {}

    def wired(eqn: Eqn, depth: int) -> Eqn:  # a pattern is 3 gates deep at most
        args = []
        for arg in eqn.args:
            inner = made(arg) if isinstance(arg, Const) and depth < 3 else None
            if inner is None:
                args.append(arg)
                continue
            name = f"folded{len(numbers)}"
            numbers[name] = arg
            producers[name] = wired(replace(inner, out=name), depth + 1)
            args.append(Wire(name))
        return replace(eqn, args=tuple(args))

    top = wired(root, 0)
    match = _match(top, producers)
    if match is None:
        return None
    operand = match.operand
    if isinstance(operand, Wire):
        operand = numbers[operand.name]
    if match.negated:
        operand = Const(-operand.value, f"-{operand.text}")
    eqns = [*reversed(match.inner), top]
    # The numbers outside the pattern (sigmoid(2 * -500)'s 2 * -500) go
    # back to being numbers.
    inside = {eqn.out for eqn in match.inner}
    eqns = [
        replace(
            eqn,
            args=tuple(
                (
                    numbers[a.name]
                    if isinstance(a, Wire)
                    and a.name in numbers
                    and a.name not in inside
                    else a
                )
                for a in eqn.args
            ),
        )
        for eqn in eqns
    ]
    return Folding(tuple(eqns), match.gate, operand, match.params)


def _match(eqn: Eqn, producers: dict[str, Eqn]) -> _Match | None:
    """The pattern whose root is `eqn`, if any."""
    if eqn.gate == "sub":
        made = _made(eqn.args[0], producers)
        if made is not None and made.gate == "exp" and _is_one(eqn.args[1]):
            return _Match(_EXPM1, "expm1", made.args[0], (), (made,))
        return None
    if eqn.gate == "add":  # -1 + exp(x), exp(x) + -1
        for one, other in ((0, 1), (1, 0)):
            made = _made(eqn.args[other], producers)
            if _is_one(eqn.args[one], -1.0) and made is not None and made.gate == "exp":
                return _Match(_EXPM1, "expm1", made.args[0], (), (made,))
        return None
    if eqn.gate == "log1p":
        made = _made(eqn.args[0], producers)
        if made is not None and made.gate == "exp":
            return _Match(_SOFTPLUS, "softplus", made.args[0], (), (made,))
        return None
    if eqn.gate != "log":
        return None
    made = _made(eqn.args[0], producers)
    if made is None:
        return None
    if made.gate == "sigmoid":
        return _Match(_LOG_SIGMOID, "log_sigmoid", made.args[0], (), (made,))
    if made.gate in _LOG_SOFTMAX_OF:
        gate = _LOG_SOFTMAX_OF[made.gate]
        return _Match(_LOG_SOFTMAX, gate, made.args[0], made.params, (made,))
    if made.gate in _LOGSUMEXP_OF:
        exp = _made(made.args[0], producers)
        if exp is not None and exp.gate == "exp":
            gate = _LOGSUMEXP_OF[made.gate]
            return _Match(_LOGSUMEXP, gate, exp.args[0], made.params, (made, exp))
        return None
    if made.gate == "sub" and _is_one(made.args[0]):
        sigmoid = _made(made.args[1], producers)
        if sigmoid is not None and sigmoid.gate == "sigmoid":
            inner = (made, sigmoid)
            operand = sigmoid.args[0]
            return _Match(
                _LOG_ONE_MINUS_SIGMOID, "log_sigmoid", operand, (), inner, True
            )
        return _Match(_LOG1P_OF_MINUS, "log1p", made.args[1], (), (made,), True)
    if made.gate == "add":
        for one, other in ((0, 1), (1, 0)):
            if not _is_one(made.args[one]):
                continue
            exp = _made(made.args[other], producers)
            if exp is not None and exp.gate == "exp":
                return _Match(_SOFTPLUS, "softplus", exp.args[0], (), (made, exp))
            # (a number only where the lowering asks, of 1 + 1e-20)
            return _Match(_LOG1P, "log1p", made.args[other], (), (made,))
    return None


def _made(operand: Operand, producers: dict[str, Eqn]) -> Eqn | None:
    """The gate whose output `operand` is (None for an input or a number)."""
    if isinstance(operand, Wire):
        return producers.get(operand.name)
    return None


def _is_one(operand: Operand, one: float = 1.0) -> bool:
    return isinstance(operand, Const) and operand.value == one


def _record(
    root: Eqn, match: _Match, source_names: frozenset[str], spelling: Spelling
) -> tuple[Rewrite, str]:
    """The record of one rewrite, in the source's own words: the call as the
    program spells it (`log(sigmoid(y*(w*x+b)))`), an intermediate the user
    named kept by its name (`log(s) where s = sigmoid(q)`); and the operand
    as the source spells it (`y*(w*x+b)`, else its wire's name)."""
    inner = {eqn.out: eqn for eqn in match.inner}
    named = [eqn for eqn in match.inner if eqn.out in source_names]

    def text(eqn: Eqn) -> str:  # a pattern is 3 gates deep at most: so is this
        spelled = spelling.call(eqn)
        if spelled is not None:
            return spelled
        values = {}
        gate = GATES[eqn.gate]
        for placeholder, arg in zip(gate.inputs, eqn.args):
            made = inner.get(arg.name) if isinstance(arg, Wire) else None
            expand = made is not None and made.out not in source_names
            values[placeholder] = text(made) if expand else spelling.operand(arg)
        for placeholder, param in zip(gate.params, eqn.params):
            values[placeholder] = str(param)
        return fill(gate.notation, values)

    written = text(root)
    if named:
        written += " where " + ", ".join(
            f"{eqn.out} = {text(eqn)}" for eqn in reversed(named)
        )
    one = {_LOG1P: "+", _LOG1P_OF_MINUS: "-"}.get(match.kind)
    operand = spelling.argument(root, match.inner, match.operand, one)
    operand = operand or spelling.operand(match.operand)
    gate = GATES[match.gate]
    values = {gate.inputs[0]: f"-{bracketed(operand)}" if match.negated else operand}
    values.update((p, str(c)) for p, c in zip(gate.params, match.params))
    record = Rewrite(
        line=root.line,
        column=root.column,
        written=written,
        became=fill(gate.notation, values),
        why=fill(match.kind.why, {"x": operand}),
        kind=match.kind.pattern,
    )
    return record, operand


def _reads(eqns: tuple[Eqn, ...], output: str) -> Counter:
    """How many times each wire is read (the output once more)."""
    reads: Counter = Counter()
    for eqn in eqns:
        reads.update(a.name for a in eqn.args if isinstance(a, Wire))
    reads[output] += 1
    return reads


def _dropped(eqns: list[Eqn], dropping: set[str], output: str) -> tuple[Eqn, ...]:
    """The gates, less the intermediates in `dropping` that nothing reads
    any more: one walk from the end, so that dropping one (the `1 - s` of
    `log(1 - s)`) can free the one before it (`s = sigmoid(q)`)."""
    reads = _reads(tuple(eqns), output)
    kept: list[Eqn] = []
    for eqn in reversed(eqns):
        if eqn.out in dropping and reads[eqn.out] == 0:
            reads.subtract(a.name for a in eqn.args if isinstance(a, Wire))
            continue
        kept.append(eqn)
    return tuple(reversed(kept))
