"""The compiled object: the generated module's functions, with their names.

`forward` and `backward` are the generated functions themselves, executed
from `source`, and so is `value_and_grad` after its first call; calling
them positionally runs straight-line code and nothing else, and their
errors are Python's own. Only when the generated code had to rename an
input (a Python keyword such as `lambda`) are they wrapped, so that
keywords still take the user's names. The methods that are ours (`grad`,
`bind`, `trace`, `draw`, `explore`) take every input name by keyword and
say when an array was given to a target of numbers.

The module comes from the code generator once, as a
codegen.GeneratedModule, with the wires' identifiers and, for the js
target, the Python module that runs; its functions are loaded by loader.py
(which keeps their lines visible to tracebacks).
"""

from __future__ import annotations

import html
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from . import codegen
from .ir import GateList
from .loader import load_module
from .trace import array_shape

if TYPE_CHECKING:
    from .optimize import PassResult
    from .stabilize import Rewrite
    from .trace import Trace


class CompiledFunction:
    """A compiled program: call it for the value, `.backward` for the gradients.

    Attributes:
        inputs: the input names, in order of first appearance in the source.
        output: the output's name (`out` for a bare final expression).
        wrt: the inputs `backward` returns gradients for, in input order.
        source: the generated module, a standalone file.
        gates: the flat gate list the module was generated from.
        rewrites: a record of each rewrite the stability pass made (what the
            source wrote, what it became, the line and why; stabilize.py).
        passes: each pass's gate list (see hnncompile.compile).
        forward(*inputs) -> value.
        backward(*inputs, dout=1.0) -> tuple of gradients, one per `wrt` input.
        value_and_grad(*inputs, dout=1.0) -> (value, gradients) in one pass
            (generated on its first call).
        jvp(*inputs, tangents) -> (value, tangent of the value): forward
            mode, one tangent per `wrt` input; hvp(*inputs, v) -> the
            Hessian times v, one entry per `wrt` input; hessian(*inputs) ->
            the Hessian as a list of lists (numbers only). Their modules
            (jvp_source, hvp_source) are generated on first use.
        The gradient from above, dout, is the argument after the inputs, or
        the keyword `dout` unless an input has that name (then `dout=` is
        the input). Every input may be given by keyword, `self` included.
        comments: whether the generated modules (source, jvp_source,
            hvp_source) carry the explanatory comments.
        target: "python" (floats), "numpy" (arrays that broadcast together)
            or "js" (source is an ES module; the callables are the Python
            target's, which give the same numbers).
    """

    def __init__(
        self, gates: GateList, module: codegen.GeneratedModule, comments: bool = True
    ) -> None:
        self.gates = gates
        # Whether the generated modules explain themselves: the jvp and hvp
        # modules, made later, follow the one made now.
        self.comments = comments
        self.inputs: tuple[str, ...] = gates.inputs
        self.output: str = gates.output
        self.wrt: tuple[str, ...] = module.wrt
        self.source: str = module.source
        self.target: str = module.target
        # Each pass's gate list: the stability pass's where it rewrote
        # something, and with optimize=True every optimisation pass's.
        self.passes: tuple[PassResult, ...] = ()
        self.rewrites: tuple[Rewrite, ...] = ()  # each one the stability pass made
        # value_and_grad(*inputs, dout=1.0) -> (value, gradients), one pass;
        # generated on its first call.
        self.value_and_grad: Callable[..., Any] = self._build_value_and_grad
        self._value_and_grad_source: str | None = None
        self._trace: Callable[..., Any] | None = None  # see trace.py
        # mode ("jvp", "hvp") -> (its module, its function), made on first use
        self._forward_modes: dict[str, tuple[str, Callable[..., Any]]] = {}
        # The functions come from `module.runnable`: `source` itself, except
        # that a JavaScript module cannot run here, so a `js` object calls
        # the same gates' Python module.
        self._runs_as = module.runs_as
        namespace = load_module(module.runnable, self.output)
        # A module may bring its own (the numba target's, which shares its
        # compiled loops with backward).
        self._own_value_and_grad = namespace.get("value_and_grad")
        self.forward: Callable[..., Any] = namespace["forward"]
        self.backward: Callable[..., Any] = namespace["backward"]
        names = module.identifiers
        self._renamed = {
            user: names[user] for user in gates.inputs if user != names[user]
        }
        if self._renamed:
            self.forward = _taking_user_names(self.forward, self._renamed)
            self.backward = _taking_user_names(self.backward, self._renamed)
        # Calling the object is calling forward, with no method of ours in
        # between: each compiled object has a class whose __call__ is it.
        type(self).__call__ = staticmethod(self.forward)

    def __new__(cls, *args: Any, **kwargs: Any) -> CompiledFunction:
        """A new object of a class of its own (see __init__), made before the
        object: assigning `__class__` afterwards slows every attribute
        lookup (`f.value_and_grad`) by a fifth of a small program's call."""
        own = type("CompiledFunction", (cls,), {"__module__": __name__})
        return object.__new__(own)

    def __call__(self, /, *args: Any, **kwargs: Any) -> Any:
        """The value: the generated forward (each object's class replaces
        this with forward itself, see __init__)."""
        return self.forward(*args, **kwargs)

    def _build_value_and_grad(self, /, *args: Any, **kwargs: Any) -> Any:
        """`f.value_and_grad` until its first call: generate it, make it the
        attribute, and call it. Afterwards the attribute is the generated
        function itself, found in the object's dict like any value."""
        source = codegen.generate_value_and_grad(
            self.gates, wrt=self.wrt, target=self._runs_as
        )
        function = self._own_value_and_grad
        if function is None:
            function = load_module(source, self.output)["value_and_grad"]
        if self._renamed:
            function = _taking_user_names(function, self._renamed)
        self._value_and_grad_source = source
        self.value_and_grad = function
        return function(*args, **kwargs)

    @property
    def value_and_grad_source(self) -> str:
        """The code behind value_and_grad: backward's lines with every
        forward line kept (see codegen.generate_value_and_grad)."""
        if self._value_and_grad_source is None:
            return codegen.generate_value_and_grad(
                self.gates, wrt=self.wrt, target=self._runs_as
            )
        return self._value_and_grad_source

    # -- forward mode and second derivatives (codegen/forward_mode.py) -----

    def _forward_mode(self, mode: str) -> tuple[str, Callable[..., Any]]:
        """The jvp or hvp module and its function, generated on first use;
        a js object's function is the python target's, and a numba one's
        the numpy target's (the module is the object's own target's)."""
        made = self._forward_modes.get(mode)
        if made is None:
            source = runnable = self._forward_source(mode, self.target)
            runs = "numpy" if codegen.TARGETS[self.target].broadcasts else "python"
            if self.target != runs:
                runnable = self._forward_source(mode, runs)
            made = (source, load_module(runnable, self.output)[mode])
            self._forward_modes[mode] = made
        return made

    def _forward_source(self, mode: str, target: str) -> str:
        if target not in codegen.FORWARD_MODE_TARGETS:
            return ""  # no module of its own to show (see _source_of)
        return codegen.generate_forward_mode(
            self.gates, mode, wrt=self.wrt, target=target, comments=self.comments
        )

    def _source_of(self, mode: str) -> str:
        if self.target not in codegen.FORWARD_MODE_TARGETS:
            raise ValueError(
                f"the {self.target} target writes no {mode} module yet (f.{mode} "
                "runs the numpy target's): compile with target='numpy' to read it"
            )
        return self._forward_mode(mode)[0]

    @property
    def jvp_source(self) -> str:
        """The module of `jvp(*inputs, *tangents)`: forward, each line
        followed by its tangent's line (generated on first use)."""
        return self._source_of("jvp")

    @property
    def hvp_source(self) -> str:
        """The module of `hvp(*inputs, *v)`: forward with its tangents, then
        backward, each line followed by its tangent's (generated on first use)."""
        return self._source_of("hvp")

    def _with_vector(
        self, mode: str, word: str, args: tuple, kwargs: dict[str, Any]
    ) -> list[Any]:
        """The arguments of the generated jvp or hvp: the inputs (positional,
        by keyword or both), then the vector `word` (the last positional
        argument, or that keyword), one entry per wrt input."""
        listed = ", ".join(self.wrt) or "none"
        if word in kwargs and word not in self.inputs:
            vector = kwargs.pop(word)
        elif (
            len(args) == len(self.inputs)
            and not set(kwargs) & set(self.inputs)
            and not hasattr(args[-1], "__len__")
        ):
            # every input given, the last a number, and nothing after them:
            # the vector forgotten (not an input missing)
            raise TypeError(
                f"f.{mode} wants {word}, one number per wrt input ({listed}), "
                f"after the inputs: f.{mode}(*inputs, {word})"
            )
        elif args:
            args, vector = args[:-1], args[-1]
        else:
            raise TypeError(
                f"f.{mode} wants {word} after the inputs: f.{mode}(*inputs, {word})"
            )
        point = self.bind(*args, **kwargs)
        if isinstance(vector, (str, bytes)) or not hasattr(vector, "__len__"):
            raise TypeError(
                f"f.{mode}'s {word} is a sequence with one entry per wrt input "
                f"({listed}), not {type(vector).__name__}: [1.0, 0.0, ...]"
            )
        if len(vector) != len(self.wrt):
            raise ValueError(
                f"f.{mode} takes {len(self.wrt)} {word} entries, one per wrt "
                f"input ({listed}) in input order, and was given {len(vector)}"
            )
        return [*(point[name] for name in self.inputs), *vector]

    def jvp(self, /, *args: Any, **kwargs: Any) -> tuple[Any, Any]:
        """The value and its tangent (the directional derivative):
        `f.jvp(*inputs, tangents)`, `tangents` a sequence with one entry per
        wrt input, in input order; the other inputs are held constant."""
        return self._forward_mode("jvp")[1](
            *self._with_vector("jvp", "tangents", args, kwargs)
        )

    def hvp(self, /, *args: Any, **kwargs: Any) -> tuple[Any, ...]:
        """The Hessian times v, one entry per wrt input (the tangent of each
        input's gradient along v): `f.hvp(*inputs, v)`, `v` a sequence with
        one entry per wrt input, in input order."""
        return self._forward_mode("hvp")[1](
            *self._with_vector("hvp", "v", args, kwargs)
        )

    def hessian(self, /, *args: Any, **kwargs: Any) -> list[list[float]]:
        """The Hessian at a point: `H[i][j]` is d2f/dw_i dw_j over the wrt
        inputs, in input order, from one hvp per input (of the output's sum,
        where it is an array). The wrt inputs must be numbers (an array is a
        TypeError: use hvp); the others, held constant, may be arrays."""
        point = self.bind(*args, **kwargs)
        for name in self.wrt:
            shape = array_shape(point[name])
            if shape is not None:
                raise TypeError(
                    f"f.hessian takes numbers, and input {name!r} is {shape}: for "
                    "arrays use f.hvp(*inputs, v), the Hessian times v"
                )
        hvp = self._forward_mode("hvp")[1]
        values = [point[name] for name in self.inputs]
        n = len(self.wrt)
        columns = [hvp(*values, *(float(i == j) for i in range(n))) for j in range(n)]
        return [[float(columns[j][i]) for j in range(n)] for i in range(n)]

    def grad(self, /, *args: Any, **kwargs: Any) -> tuple[Any, dict[str, Any]]:
        """The value and a dict of gradients, one per `wrt` input:
        `f.grad(*inputs, dout=1.0)`, taking what value_and_grad takes.

        The gradient from above, `dout`, is the argument after the inputs,
        or the keyword `dout`; when an input is itself named `dout`, the
        keyword is that input's, and the gradient from above goes after
        the inputs: `f.grad(1.5, -0.5, 2.0)`."""
        try:
            value, grads = self.value_and_grad(*args, **kwargs)
        except (TypeError, ValueError) as error:
            self._refuse_arrays(args, kwargs, error)
            raise
        if not isinstance(value, (float, int)):  # a number costs one check
            self._refuse_arrays(args, kwargs)
        return value, dict(zip(self.wrt, grads))

    def _refuse_arrays(
        self, args: tuple, kwargs: dict[str, Any], error: Exception | None = None
    ) -> None:
        """A TypeError that says so where a target of numbers was given an
        array (or a list): the raw functions fail on it in Python's words,
        or, where the in-place `+=` of a fan-out shares arrays, give wrong
        gradients."""
        if codegen.TARGETS[self._runs_as].broadcasts:
            return
        inputs = self.inputs
        described = [(f"input {name!r}", v) for name, v in zip(inputs, args)]
        for v in args[len(inputs) : len(inputs) + 1]:
            described.append(("the gradient from above (dout)", v))
        for name, v in kwargs.items():
            what = "input" if name in inputs else "the gradient from above"
            described.append((f"{what} {name!r}", v))
        for what, value in described:
            shape = array_shape(value)
            if shape is not None:
                raise TypeError(
                    f"{what} is {shape}, and the {self.target} target takes "
                    'numbers: arrays want target="numpy", as in '
                    'hnncompile.compile(source, target="numpy")'
                ) from error

    def bind(self, /, *args: Any, **kwargs: Any) -> dict[str, Any]:
        """The inputs of a call, given positionally, by keyword or both, as a
        dict by input name; a TypeError like a call's for a wrong one, and
        for an array where the target takes numbers."""
        inputs = self.inputs
        if len(args) > len(inputs):
            raise TypeError(f"expected at most {len(inputs)} inputs, got {len(args)}")
        point = dict(zip(inputs, args))
        for name, value in kwargs.items():
            if name not in inputs:
                raise TypeError(
                    f"{name!r} is not an input; the inputs are {', '.join(inputs)}"
                )
            if name in point:
                raise TypeError(f"input {name!r} given twice")
            point[name] = value
        missing = [name for name in inputs if name not in point]
        if missing:
            raise TypeError(f"missing values for inputs: {', '.join(missing)}")
        self._refuse_arrays((), point)
        return point

    def trace(self, /, *args: Any, **kwargs: Any) -> Trace:
        """Every wire's value and gradient at one point; see hnncompile.trace
        (an input not given is 1; the upstream gradient is `dout=`, or one
        more value after every input)."""
        from .trace import trace

        return trace(self, *args, **kwargs)

    def draw(self, path: str | PathLike[str], /, *args: Any, **kwargs: Any) -> Path:
        """Draw the circuit to `path` (.svg, .png or .dot). Given a point, as
        to `trace` (positionally, by keyword or both; an input not given is
        1; `dout=` or one more value for the upstream gradient), each wire
        shows its value and gradient; given none, only its name. Needs
        Graphviz (see hnncompile/draw.py)."""
        from .draw import draw
        from .trace import point_of

        if not args and not kwargs:
            return draw(self, path)
        point, dout = point_of(self, args, kwargs)
        return draw(self, path, point, dout)

    def explore(self, path: str | PathLike[str], /, *args: Any, **kwargs: Any) -> Path:
        """Write a page to play with this program's inputs (see
        hnncompile/explore.py), starting at a point given as to `trace`
        (inputs not given start at 1). Needs Graphviz. With `train=DATA`
        (and data=, score=, step=, seed=), the page trains this cost on
        DATA: see hnncompile.explore.training."""
        from .explore import refuse_matrices, write, write_training
        from .trace import point_of

        refuse_matrices(self)  # before the point, which has no arrays to take
        if "train" in kwargs and "train" not in self.inputs:
            return write_training(self, path, args, kwargs)
        point, _ = point_of(self, args, kwargs, upstream=False)
        return write(self, path, point)

    def _repr_html_(self) -> str:
        """What Jupyter shows for a compiled object: its circuit, when
        Graphviz is installed and the program is small enough to read, and
        its generated code."""
        from .draw import DrawingUnavailable, circuit, render, too_large_to_draw

        parts = [f"<p><code>{html.escape(repr(self))}</code></p>"]
        refused = too_large_to_draw(self)
        if refused is not None:
            parts.append(f"<p><i>No drawing: {html.escape(refused)}.</i></p>")
        else:
            try:
                svg = render(circuit(self), "svg").decode("utf-8")
                parts.append(f"<div>{svg[svg.index('<svg'):]}</div>")
            except DrawingUnavailable as missing:
                parts.append(f"<p><i>{html.escape(str(missing))}</i></p>")
        parts.append(f"<pre><code>{html.escape(self.source)}</code></pre>")
        return "\n".join(parts)

    def __repr__(self) -> str:
        return (
            f"<hnncompile.CompiledFunction {self.output}({', '.join(self.inputs)}), "
            f"{_count(len(self.gates.eqns), 'gate')}>"
        )


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _taking_user_names(function: Callable, renamed: dict[str, str]) -> Callable:
    """Wrap `function` so keyword arguments may use the source's names."""

    def call(*args: Any, **kwargs: Any) -> Any:
        return function(*args, **{renamed.get(k, k): v for k, v in kwargs.items()})

    call.__name__ = function.__name__
    call.__doc__ = function.__doc__
    return call
