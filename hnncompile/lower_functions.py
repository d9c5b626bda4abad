"""Functions (SPEC section 7): `def` is inlined while lowering.

The language's side of functions, in the words a user reads them in:

- `def name(p1, p2) = expr` defines a function on one line; the block form
  is `def name(p1, p2):` and, indented below it, statements `local = expr`
  ending in `return expr` (the indentation is the post-lexer's:
  parse_tokens.py). A function is defined at the top level, before the
  lines that call it, and called like a built-in: `h1 = neuron(a1, b1, c1,
  x, y)`, `f = 2 * neuron(...)`, `layer(layer(x, W1, b1), W2, b2)`, and
  inside another function's body; on every target, array programs
  included.
- A call is inlined where it stands: the parameters are bound to the
  arguments' values (each argument is computed once, however often the
  body reads it) and the body's gates are emitted in place, so the gate
  list, and everything after it (the code generator, trace, draw,
  gradcheck, forward mode), never sees a function. Each gate keeps the
  line and column of the body's text it comes from.
- Names (naming.py's rule): the value the function returns is the call's
  own wire (`h1`); a local `q` of the body is `h1_q` in the call
  `h1 = neuron(...)`, and `neuron2_q` in the second call of neuron when
  that call is part of a larger expression; a call inside a body is named
  after the body's local it computes (`h_z` for `z = layer(...)` in the
  call `h = ...`). A clash with any other name becomes `h1_q_2`.
- The mistakes, each a CompileError at its place: a function named like
  a built-in, an input or a value of the program, or defined twice; a
  body reading a name that is neither a parameter nor an earlier local
  ("neuron reads w, which is not one of its parameters"), assigning a
  parameter or a local twice; a call with the wrong number of arguments
  or with keywords; recursion, direct or mutual (inlining would never end);
  a call before the function's definition. (The parser finds the rest: a
  block without `return`, a line after it, a parameter listed twice, bad
  indentation.)

`FunctionInlining` is mixed into lower.py's lowering, before
`ArraySpellings`; it uses that lowering's `program`, `error`, `node`,
`value`, `eqns` and `source_names`. The walk over a call inside a call
inside a call is a stack of generators, one per call being inlined, run by
a loop: no recursion, however deep the calls nest.
"""

from __future__ import annotations

from typing import Generator, Iterator

from . import naming
from .ir import Eqn, Operand, Wire
from .lower_words import ARRAY_FUNCTIONS, ELEMENTWISE_EXTREMES, RANGE_FUNCTIONS
from .lower_words import REDUCTIONS, known_functions
from .syntax import (
    Attribute,
    Call,
    Expr,
    FunctionDef,
    Name,
    Statement,
    children,
    walk_postorder,
)

# A request from a walk to the loop: inline this call (node, its lowered
# arguments, the name its value gets).
_Request = tuple[Call, tuple, "str | None"]
_Walk = Generator[_Request, Operand, Operand]


def builtin_names() -> set[str]:
    """The names a function may not take: the language's own functions."""
    return (
        set(known_functions())
        | set(ARRAY_FUNCTIONS)
        | set(REDUCTIONS)
        | set(RANGE_FUNCTIONS)
        | set(ELEMENTWISE_EXTREMES)
    )


def _calls(root: Expr, functions) -> Iterator[Call]:
    """The calls of the program's functions in an expression."""
    for node in walk_postorder(root):
        if type(node) is Call and node.func in functions and _is_plain(node):
            yield node


def _is_plain(call: Call) -> bool:
    """`f(x)`: no receiver (`x.f()`) and no namespace (`np.f(x)`)."""
    return call.receiver is None and call.namespace is None


def _place(node) -> tuple[int, int]:
    return (node.line, node.column)


class FunctionInlining:
    """The functions half of the lowering (see the module's docstring)."""

    functions: dict[str, FunctionDef] = {}
    scope: dict[str, Operand] | None = None  # the body being lowered's names

    def prepare_functions(self) -> None:
        """Check the program's functions (every mistake but those of a call
        being lowered) and get ready to inline them."""
        program = self.program
        self.functions = {}
        self.scope = None
        if not program.functions:
            return
        self.call_counts: dict[str, int] = {}
        self.taken: set[str] = set(self.source_names)
        values = {}  # the top level's names, and where each is first
        for statement in program.statements:
            if statement.target is not None:
                values.setdefault(statement.target.id, statement.target)
            for node in walk_postorder(statement.value):
                if type(node) is Name:
                    values.setdefault(node.id, node)
        builtins = builtin_names()
        for function in program.functions:
            name = function.name
            if name in builtins:
                raise self.error(
                    f"'{name}' is a built-in function: give yours another name",
                    function,
                )
            if name in self.functions:
                first = self.functions[name].line
                raise self.error(
                    f"'{name}' is defined twice (first on line {first}): give "
                    "the new function a new name",
                    function,
                )
            if name in values:
                raise self.error(
                    f"'{name}' is the name of a function and of a value of the "
                    f"program (on line {values[name].line}): give one of them "
                    "another name",
                    function,
                )
            self.functions[name] = function
        for function in program.functions:
            self.check_body(function)
        calls = {f.name: list(self.body_calls(f)) for f in program.functions}
        every_call = [c for found in calls.values() for c in found]
        for statement in program.statements:
            every_call.extend(_calls(statement.value, self.functions))
        for call in every_call:
            self.check_call(call)
        self.check_recursion(calls)
        for call in every_call:
            function = self.functions[call.func]
            if _place(call) < _place(function):
                raise self.error(
                    f"'{call.func}' is called before its definition (on line "
                    f"{function.line}): define a function above the lines that "
                    "call it",
                    call,
                )

    def body_calls(self, function: FunctionDef) -> Iterator[Call]:
        for statement in function.body:
            yield from _calls(statement.value, self.functions)
        yield from _calls(function.result.value, self.functions)

    def check_body(self, function: FunctionDef) -> None:
        """Every name a body reads is a parameter or an earlier local, and
        each local is assigned once."""
        params = {p.id for p in function.params}
        assigned: dict[str, Statement] = {}
        for statement in function.body:
            assigned.setdefault(statement.target.id, statement)
        known = set(params)
        lines: list[Statement | None] = [*function.body, None]
        for statement in lines:
            value = function.result.value if statement is None else statement.value
            for node in walk_postorder(value):
                if type(node) is not Name or node.id in known:
                    continue
                if node.id in assigned:
                    raise self.error(
                        f"'{node.id}' is used before it is assigned (on line "
                        f"{assigned[node.id].line})",
                        node,
                    )
                raise self.error(
                    f"{function.name} reads {node.id}, which is not one of its "
                    f"parameters: pass it in (def {function.name}(..., "
                    f"{node.id}))",
                    node,
                )
            if statement is None:
                break
            target = statement.target
            if target.id in params:
                raise self.error(
                    f"'{target.id}' is a parameter of {function.name}: give "
                    "the new value a new name",
                    target,
                )
            if target.id in known:
                raise self.error(
                    f"'{target.id}' is assigned twice in {function.name} (first "
                    f"on line {assigned[target.id].line}): give the new value "
                    "a new name",
                    target,
                )
            known.add(target.id)

    def check_call(self, call: Call) -> None:
        function = self.functions[call.func]
        params = ", ".join(p.id for p in function.params)
        if call.keywords:
            raise self.error(
                f"{call.func}() takes its arguments in order, without keywords: "
                f"{call.func}({params})",
                call.keywords[0],
            )
        if len(call.args) != len(function.params):
            count = len(function.params)
            plural = "argument" if count == 1 else "arguments"
            raise self.error(
                f"{call.func}() takes {count} {plural} ({params}), got "
                f"{len(call.args)}",
                call,
            )

    def check_recursion(self, calls: dict[str, list[Call]]) -> None:
        """No function reaches itself through its calls (a depth-first
        search with an explicit stack: chains of any length)."""
        state: dict[str, int] = {}  # 1: on the current path, 2: done
        for start in calls:
            if start in state:
                continue
            path = [start]
            state[start] = 1
            stack = [iter(calls[start])]
            while stack:
                call = next(stack[-1], None)
                if call is None:
                    state[path.pop()] = 2
                    stack.pop()
                    continue
                if state.get(call.func) == 1:
                    cycle = path[path.index(call.func) :]
                    raise self.error(_recursion_message(cycle), call)
                if call.func not in state:
                    state[call.func] = 1
                    path.append(call.func)
                    stack.append(iter(calls[call.func]))

    def is_value(self, name: str) -> bool:
        """In a body, every name it reads is a value (a parameter or a
        local; the checks refused the others)."""
        if self.scope is not None:
            return name in self.scope
        return super().is_value(name)  # type: ignore[misc]

    def inline_expression(self, root: Expr, name: str | None) -> Operand:
        """Lower a top-level expression whose calls may be the program's
        functions: the loop runs one walk per call being inlined."""
        frames: list[tuple[_Walk, dict | None]] = [(self.walk(root, name), None)]
        sent = None
        try:
            while True:
                walk, self.scope = frames[-1]
                try:
                    request = walk.send(sent)
                except StopIteration as done:
                    frames.pop()
                    if not frames:
                        return done.value
                    sent = done.value
                    continue
                frames.append(self.enter(*request))
                sent = None
        finally:
            self.scope = None

    def walk(self, root: Expr, name: str | None, scope=None) -> _Walk:
        """lower.py's walk over one expression, where a name is looked up in
        `scope` (a body's) and a call of a function is handed to the loop."""
        named = root
        while type(named) is Attribute and named.attr == "values":
            named = named.value
        results: dict = {}
        functions = self.functions
        for node in walk_postorder(root):
            kind = type(node)
            if kind is Name and scope is not None:
                results[node] = scope[node.id]
                continue
            out = name if node is named else None
            args = tuple(results.pop(child) for child in children(node))
            if kind is Call and node.func in functions and _is_plain(node):
                results[node] = yield (node, args, out)
            else:
                results[node] = self.node(node, args, out)
        return self.value(results[root])

    def enter(self, call: Call, args: tuple, out: str | None):
        """Start inlining `call`: its parameters bound to `args`; its value
        named `out` (None inside a larger expression)."""
        function = self.functions[call.func]
        values = tuple(self.value(arg) for arg in args)
        count = self.call_counts.get(function.name, 0) + 1
        self.call_counts[function.name] = count
        prefix = out if out is not None else naming.call_name(function.name, count)
        scope = {p.id: v for p, v in zip(function.params, values)}
        return self.body(function, prefix, out, scope), scope

    def body(self, function: FunctionDef, prefix: str, out, scope) -> _Walk:
        returned = function.result.value
        locals_ = {s.target.id for s in function.body}
        # `return z` of a local z: z is the call's own wire.
        returned_local = (
            returned.id
            if type(returned) is Name and returned.id in locals_ and out is not None
            else None
        )
        for statement in function.body:
            local = statement.target.id
            if local == returned_local:
                wire = out
            else:
                wire = naming.inlined_name(prefix, local, self.taken)
            result = yield from self.walk(statement.value, wire, scope)
            if result != Wire(wire):  # `z = x` or `z = 2`: a copy, as named
                node = statement.value
                self.eqns.append(
                    Eqn(wire, "copy", (result,), (), node.line, node.column)
                )
            scope[local] = Wire(wire)
        return (yield from self.walk(returned, None if returned_local else out, scope))


def _recursion_message(cycle: list[str]) -> str:
    """`f calls itself`, or `f calls g, which calls f`, and why that is no
    function here."""
    why = "a function is inlined where it is called, so it cannot call itself"
    if len(cycle) == 1:
        return f"{cycle[0]} calls itself: {why}"
    if len(cycle) <= _CYCLE_SHOWN:
        steps = ", which calls ".join([*cycle[1:], cycle[0]])
    else:
        steps = ", which calls ".join(cycle[1:_CYCLE_SHOWN])
        steps += f", ... (a circle of {len(cycle)} functions), which calls {cycle[0]}"
    return f"{cycle[0]} calls {steps}: {why}, even through another"


_CYCLE_SHOWN = 4  # the functions a message names, of a longer circle
