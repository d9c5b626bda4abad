"""The other tools a user might pick, each given the same program.

From a compiled program's gate list this writes, for each tool, the
straight-line Python a user of that tool would write by hand (`t1 = a * x`,
`f = torch.sigmoid(q)`, ...), and wraps it in a function that returns the
value and the gradient on every input, the way that tool computes them:

- micrograd: Value objects, a graph built and walked on every call;
- SymPy: symbolic derivatives, `lambdify(..., cse=True)` once, then a call;
- autograd (HIPS): `value_and_grad` tracing on every call;
- PyTorch: tensors with `requires_grad`, `backward()` on every call;
- JAX: `jax.jit(jax.value_and_grad(...))`, compiled on the first call.

A tool that is not installed, or that lacks one of the program's
operations (micrograd has no exp), is left out with the reason.
"""

from __future__ import annotations

import importlib
from typing import Callable

from hnncompile import codegen
from hnncompile.gates import GATES, fill
from hnncompile.ir import GateList, Wire


class Unavailable(Exception):
    """The tool is not installed, or cannot express this program."""


# Per tool, the templates that differ from the gate's Python `forward`
# (arithmetic operators work on every tool's numbers as they are).
_MATH = {"exp", "log", "sqrt", "sin", "cos", "tanh"}
TEMPLATES: dict[str, dict[str, str]] = {
    "micrograd": {
        "relu": "{x}.relu()",
        "max": "{x} + ({y} - {x}).relu()",
        "min": "{x} - ({x} - {y}).relu()",
    },
    "sympy": {
        **{f: f"sp.{f}({{x}})" for f in _MATH},
        "sigmoid": "1 / (1 + sp.exp(-{x}))",
        "relu": "sp.Max(0, {x})",
        "abs": "sp.Abs({x})",
        "max": "sp.Max({x}, {y})",
        "min": "sp.Min({x}, {y})",
        "pow": "{x}**{y}",
    },
    "autograd": {
        **{f: f"anp.{f}({{x}})" for f in _MATH},
        "sigmoid": "1 / (1 + anp.exp(-{x}))",
        "relu": "anp.maximum(0.0, {x})",
        "abs": "anp.abs({x})",
        "max": "anp.maximum({x}, {y})",
        "min": "anp.minimum({x}, {y})",
    },
    "torch": {
        **{f: f"torch.{f}({{x}})" for f in _MATH},
        "sigmoid": "torch.sigmoid({x})",
        "relu": "torch.relu({x})",
        "abs": "torch.abs({x})",
        "max": "torch.maximum(torch.as_tensor({x}), torch.as_tensor({y}))",
        "min": "torch.minimum(torch.as_tensor({x}), torch.as_tensor({y}))",
    },
    "jax": {
        **{f: f"jnp.{f}({{x}})" for f in _MATH},
        "sigmoid": "1 / (1 + jnp.exp(-{x}))",
        "relu": "jnp.maximum(0.0, {x})",
        "abs": "jnp.abs({x})",
        "max": "jnp.maximum({x}, {y})",
        "min": "jnp.minimum({x}, {y})",
    },
}
# max and min with a constant (hnncompile's maxc, minc) are the same calls.
for _templates in TEMPLATES.values():
    for _gate in ("max", "min"):
        _templates[f"{_gate}c"] = _templates[_gate].replace("{y}", "{c}")
MODULES = {
    "micrograd": "micrograd.engine",
    "sympy": "sympy",
    "autograd": "autograd",
    "torch": "torch",
    "jax": "jax",
}
TOOLS = tuple(TEMPLATES)


def body(gates: GateList, tool: str) -> tuple[list[str], list[str], str]:
    """The program as the tool's straight-line code: (parameter names,
    lines, output name)."""
    names = codegen.identifiers(gates)
    templates = TEMPLATES[tool]
    lines = []
    for eqn in gates.eqns:
        gate = GATES[eqn.gate]
        if gate.function in _MATH | {"sigmoid"} and tool == "micrograd":
            raise Unavailable(f"micrograd has no {gate.function}")
        values = {
            p: names[a.name] if isinstance(a, Wire) else a.text
            for p, a in zip(gate.inputs, eqn.args)
        }
        values.update({p: c.text for p, c in zip(gate.params, eqn.params)})
        lines.append(
            # `written`: the plain power, without the python target's NaN test
            f"{names[eqn.out]} = "
            f"{fill(templates.get(eqn.gate, gate.written or gate.forward), values)}"
        )
    return [names[i] for i in gates.inputs], lines, names[gates.output]


def value_and_grad(gates: GateList, tool: str) -> Callable:
    """A function of the inputs returning (value, gradients) with `tool`."""
    try:
        importlib.import_module(MODULES[tool])
    except ImportError:
        raise Unavailable(f"{tool} is not installed") from None
    return globals()[f"_{tool}"](gates)


def _run(source: str, namespace: dict) -> dict:
    exec(compile(source, "<benchmark>", "exec"), namespace)  # noqa: S102
    return namespace


def _plain_function(gates, tool: str, namespace: dict) -> tuple[Callable, list[str]]:
    """The program as a Python function of its inputs in `tool`'s terms,
    returning the output (for the tools that differentiate a function),
    and its parameter names."""
    params, lines, out = body(gates, tool)
    source = "\n".join(
        [f"def f({', '.join(params)}):"]
        + [f"    {line}" for line in lines]
        + [f"    return {out}"]
    )
    return _run(source, namespace)["f"], params


def _micrograd(gates):
    from micrograd.engine import Value

    params, lines, out = body(gates, "micrograd")
    source = "\n".join(
        [f"def run({', '.join(params)}):"]
        + [f"    {p} = Value({p})" for p in params]
        + [f"    {line}" for line in lines]
        + [
            f"    {out}.backward()",
            f"    return {out}.data, ({''.join(p + '.grad, ' for p in params)})",
        ]
    )
    return _run(source, {"Value": Value})["run"]


def _sympy(gates):
    import sympy as sp

    build, params = _plain_function(gates, "sympy", {"sp": sp})
    symbols = sp.symbols(params) if len(params) > 1 else [sp.Symbol(params[0])]
    expression = build(*symbols)
    grads = [sp.diff(expression, s) for s in symbols]
    function = sp.lambdify(symbols, [expression, grads], cse=True, modules="math")

    def run(*args):
        value, gradients = function(*args)
        return value, tuple(gradients)

    return run


def _autograd(gates):
    import autograd
    import autograd.numpy as anp

    f, params = _plain_function(gates, "autograd", {"anp": anp})
    return autograd.value_and_grad(f, tuple(range(len(params))))


def _torch(gates):
    import torch

    params, lines, out = body(gates, "torch")
    source = "\n".join(
        [f"def run({', '.join(params)}):"]
        + [
            f"    {p} = torch.tensor({p}, dtype=torch.float64, requires_grad=True)"
            for p in params
        ]
        + [f"    {line}" for line in lines]
        + [f"    {out}.backward()"]
        + [
            f"    return {out}.item(), ({''.join(f'{p}.grad.item(), ' for p in params)})"
        ]
    )
    return _run(source, {"torch": torch})["run"]


def _jax(gates):
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)
    f, params = _plain_function(gates, "jax", {"jnp": jnp})
    compiled = jax.jit(jax.value_and_grad(f, tuple(range(len(params)))))

    def run(*args):
        value, grads = compiled(*args)
        value.block_until_ready()
        return value, grads

    return run


def array_value_and_grad(gates: GateList, tool: str, wrt: list[str]) -> Callable:
    """For the array target's comparison: a function of (inputs by name,
    dout) returning the value and the gradients on `wrt`, with the tool's
    own arrays (PyTorch tensors, JAX arrays under jit)."""
    try:
        importlib.import_module(MODULES[tool])
    except ImportError:
        raise Unavailable(f"{tool} is not installed") from None
    params, lines, out = body(gates, tool)
    if tool == "torch":
        import torch

        source = "\n".join(
            [f"def run({', '.join(params)}, dout):"]
            + [f"    {line}" for line in lines]
            + [f"    {out}.backward(dout)", f"    return {out}"]
        )
        run = _run(source, {"torch": torch})["run"]

        def call(values, dout):
            given = {
                name: (
                    torch.tensor(v, dtype=torch.float64, requires_grad=name in wrt)
                    if name in wrt
                    else torch.from_numpy(v)
                )
                for name, v in values.items()
            }
            value = run(**given, dout=torch.from_numpy(dout))
            return value.detach(), tuple(given[name].grad for name in wrt)

        return call
    if tool == "jax":
        import jax
        import jax.numpy as jnp

        jax.config.update("jax_enable_x64", True)
        f = _run(
            "\n".join(
                [f"def f({', '.join(params)}):"]
                + [f"    {line}" for line in lines]
                + [f"    return {out}"]
            ),
            {"jnp": jnp},
        )["f"]

        def value_and_vjp(weights, data, dout):
            value, pull_back = jax.vjp(
                lambda *w: f(**dict(zip(wrt, w)), **data), *weights
            )
            return value, pull_back(dout)

        compiled = jax.jit(value_and_vjp)

        def call(values, dout):
            weights = [values[name] for name in wrt]
            data = {k: v for k, v in values.items() if k not in wrt}
            value, grads = compiled(weights, data, dout)
            value.block_until_ready()
            return value, grads

        return call
    raise Unavailable(f"no array version for {tool}")
