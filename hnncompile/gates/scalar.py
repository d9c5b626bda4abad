"""The gates of chapters 1-2: numbers in, a number out, on every target.

The add, mul and max gates of the tutorial's first chapter, the powers,
exp, log, the trigonometric functions and tanh, sigmoid and relu of its
neurons, and sum and mean, which on one number pass it through and on an
array reduce it to one. Each is written for the python target (`forward`,
`grads`) and, where the code differs, for NumPy and JavaScript beside it.
This module holds the arithmetic and the powers; `elementary.py` the
functions a program calls by name (exp, ..., relu, max, sum), which
SCALAR_GATES lists after them.
"""

from __future__ import annotations

from .elementary import ELEMENTARY_GATES
from .gate import Gate

SCALAR_GATES = (
    Gate(
        name="copy",
        inputs=("x",),
        forward="{x}",
        grads=("{dout}",),
        explain="a copy passes {dout} through unchanged",
        symbol="=",
        linear=True,
        second_explain="a copy's slope is 1, a constant: it does not move",
    ),
    Gate(
        name="add",
        inputs=("x", "y"),
        forward="{x} + {y}",
        grads=("{dout}", "{dout}"),
        explain="the add gate passes {dout} through to both inputs",
        explain_inputs=(
            "the add gate passes {dout} through to {x}",
            "the add gate passes {dout} through to {y}",
        ),
        symbol="+",
        linear=True,
        second_explain="the add gate's slopes are 1 and 1, constants: they do not move",
    ),
    Gate(
        name="sub",
        inputs=("x", "y"),
        forward="{x} - {y}",
        grads=("{dout}", "-{dout}"),
        explain="the sub gate passes {dout} to {x} and -{dout} to {y}",
        explain_inputs=(
            "the sub gate passes {dout} to {x}",
            "the sub gate passes -{dout} to {y}",
        ),
        symbol="-",
        linear=True,
        second_explain="the sub gate's slopes are 1 and -1, constants: they do not move",
    ),
    Gate(
        name="mul",
        inputs=("x", "y"),
        forward="{x} * {y}",
        grads=("{y} * {dout}", "{x} * {dout}"),
        explain="the mul gate swaps its inputs: each gets the other times {dout}",
        explain_inputs=(
            "the mul gate sends {x} the other input, {y}, times {dout}",
            "the mul gate sends {y} the other input, {x}, times {dout}",
        ),
        symbol="*",
        seconds=(("", "{y_dot} * {dout}"), ("{x_dot} * {dout}", "")),
        second_explain=(
            "the mul gate's slope for {x} is {y}, so it moves by {y}'s nudge {y_dot}"
            " (and the slope for {y}, {x}, by {x_dot})"
        ),
    ),
    Gate(
        name="div",
        inputs=("x", "y"),
        forward="{x} / {y}",
        grads=("{dout} / {y}", "-{x} / ({y} * {y}) * {dout}"),
        explain="division's local gradient is 1/{y} on {x} and -{x}/({y}*{y}) on {y}",
        explain_inputs=(
            "division's local gradient on {x} is 1/{y}",
            "division's local gradient on {y} is -{x}/({y}*{y})",
        ),
        symbol="/",
        seconds=(
            ("", "-{y_dot} / ({y} * {y}) * {dout}"),
            (
                "-{x_dot} / ({y} * {y}) * {dout}",
                "2 * {x} / ({y} * {y} * {y}) * {y_dot} * {dout}",
            ),
        ),
        second_explain=(
            "division's slope 1/{y} moves by -1/({y}*{y}) per nudge of {y}; the slope"
            " -{x}/({y}*{y}) by -1/({y}*{y}) per nudge of {x} and 2*{x}/({y}*{y}*{y})"
            " per nudge of {y}"
        ),
    ),
    Gate(
        name="neg",
        inputs=("x",),
        forward="-{x}",
        grads=("-{dout}",),
        explain="negation flips the sign of {dout}",
        symbol="-x",
        linear=True,
        second_explain="negation's slope is -1, a constant: it does not move",
    ),
    Gate(
        name="square",
        inputs=("x",),
        forward="{x}**2",
        grads=("2 * {x} * {dout}",),
        explain="pow gate: d({x}**2)/d{x} = 2*{x}",
        called="pow",
        symbol="x²",
        js_forward="Math.pow({x}, 2)",
        fast_forward="{x} * {x}",
        seconds=(("2 * {x_dot} * {dout}",),),
        second_explain="the pow gate's slope 2*{x} moves by twice {x}'s nudge {x_dot}",
    ),
    Gate(
        name="powc",  # an integer exponent: real for every x
        inputs=("x",),
        params=("p", "p_minus_1", "p_times_p_minus_1", "p_minus_2"),
        forward="{x}**{p}",
        grads=("{p} * {x}**{p_minus_1} * {dout}",),
        explain="pow gate: d({x}**{p})/d{x} = {p}*{x}**{p_minus_1}",
        called="pow",
        symbol="x^{p}",
        js_forward="Math.pow({x}, {p})",
        js_grads=("{p} * Math.pow({x}, {p_minus_1}) * {dout}",),
        seconds=(("{p_times_p_minus_1} * {x}**{p_minus_2} * {x_dot} * {dout}",),),
        js_seconds=(
            ("{p_times_p_minus_1} * Math.pow({x}, {p_minus_2}) * {x_dot} * {dout}",),
        ),
        second_explain=(
            "the pow gate's slope {p}*{x}**{p_minus_1} moves by"
            " {p_times_p_minus_1}*{x}**{p_minus_2} per nudge of {x}"
        ),
    ),
    Gate(
        name="fracpow",  # a fractional exponent: no real value below 0
        called="pow",
        inputs=("x",),
        params=("p", "p_minus_1", "p_times_p_minus_1", "p_minus_2"),
        forward="{x}**{p} if {x} >= 0 else math.nan",
        grads=("{p} * {x}**{p_minus_1} * {dout} if {x} >= 0 else math.nan",),
        explain=(
            "pow gate: d({x}**{p})/d{x} = {p}*{x}**{p_minus_1}"
            " (NaN for {x} < 0: no real power there)"
        ),
        written="{x}**{p}",
        symbol="x^{p}",
        numpy_forward="np.power({x}, {p})",
        numpy_grads=("{p} * np.power({x}, {p_minus_1}) * {dout}",),
        js_forward="Math.pow({x}, {p})",
        js_grads=("{p} * Math.pow({x}, {p_minus_1}) * {dout}",),
        seconds=(
            (
                "{p_times_p_minus_1} * {x}**{p_minus_2} * {x_dot} * {dout}"
                " if {x} >= 0 else math.nan",
            ),
        ),
        numpy_seconds=(
            ("{p_times_p_minus_1} * np.power({x}, {p_minus_2}) * {x_dot} * {dout}",),
        ),
        js_seconds=(
            ("{p_times_p_minus_1} * Math.pow({x}, {p_minus_2}) * {x_dot} * {dout}",),
        ),
        second_explain=(
            "the pow gate's slope {p}*{x}**{p_minus_1} moves by"
            " {p_times_p_minus_1}*{x}**{p_minus_2} per nudge of {x} (NaN for {x} < 0)"
        ),
    ),
    Gate(
        name="cpow",  # a positive constant to a power
        called="pow",
        inputs=("x",),
        params=("c", "log_c"),
        forward="{c}**{x}",
        grads=("math.log({c}) * {out} * {dout}",),
        explain="pow gate: d({c}**{x})/d{x} = log({c})*{c}**{x}, and log({c}) = {log_c}",
        written="{c}**{x}",
        symbol="{c}^x",
        numpy_grads=("{log_c} * {out} * {dout}",),
        js_forward="Math.pow({c}, {x})",
        js_grads=("Math.log({c}) * {out} * {dout}",),
        seconds=(("math.log({c}) * {out_dot} * {dout}",),),
        numpy_seconds=(("{log_c} * {out_dot} * {dout}",),),
        js_seconds=(("Math.log({c}) * {out_dot} * {dout}",),),
        second_explain=(
            "the pow gate's slope log({c})*{out} moves as its output does:"
            " log({c}) times {out}'s nudge {out_dot}"
        ),
    ),
    Gate(
        name="pow",
        inputs=("x", "y"),
        # A negative base has a real power only at an integer exponent.
        forward="{x}**{y} if {x} >= 0 or {y} % 1 == 0 else math.nan",
        grads=(
            "{y} * {x} ** ({y} - 1) * {dout} if {x} >= 0 or {y} % 1 == 0 else math.nan",
            "math.log({x}) * {out} * {dout} if {x} > 0 else math.nan",
        ),
        explain=(
            "pow gate: {y}*{x}**({y}-1) flows to {x} and log({x})*{x}**{y}"
            " flows to {y} (NaN unless {x} > 0)"
        ),
        explain_inputs=(
            "pow gate: {y}*{x}**({y}-1) flows to {x}",
            "pow gate: log({x})*{x}**{y} flows to {y} (NaN unless {x} > 0)",
        ),
        written="{x}**{y}",
        numpy_forward="np.power({x}, {y})",
        numpy_grads=(
            "{y} * np.power({x}, {y} - 1) * {dout}",
            "np.log({x}) * {out} * {dout}",
        ),
        symbol="x^y",
        js_forward="Math.pow({x}, {y})",
        js_grads=(
            "{y} * Math.pow({x}, {y} - 1) * {dout}",
            "Math.log({x}) * {out} * {dout}",
        ),
        seconds=(
            (
                "{y} * ({y} - 1) * {x} ** ({y} - 2) * {x_dot} * {dout}"
                " if {x} >= 0 or {y} % 1 == 0 else math.nan",
                "{x} ** ({y} - 1) * (1 + {y} * math.log({x})) * {y_dot} * {dout}"
                " if {x} > 0 else math.nan",
            ),
            (
                "{x} ** ({y} - 1) * (1 + {y} * math.log({x})) * {x_dot} * {dout}"
                " if {x} > 0 else math.nan",
                "math.log({x}) ** 2 * {out} * {y_dot} * {dout} if {x} > 0 else math.nan",
            ),
        ),
        numpy_seconds=(
            (
                "{y} * ({y} - 1) * np.power({x}, {y} - 2) * {x_dot} * {dout}",
                "np.power({x}, {y} - 1) * (1 + {y} * np.log({x})) * {y_dot} * {dout}",
            ),
            (
                "np.power({x}, {y} - 1) * (1 + {y} * np.log({x})) * {x_dot} * {dout}",
                "np.log({x}) ** 2 * {out} * {y_dot} * {dout}",
            ),
        ),
        js_seconds=(
            (
                "{y} * ({y} - 1) * Math.pow({x}, {y} - 2) * {x_dot} * {dout}",
                "Math.pow({x}, {y} - 1) * (1 + {y} * Math.log({x})) * {y_dot} * {dout}",
            ),
            (
                "Math.pow({x}, {y} - 1) * (1 + {y} * Math.log({x})) * {x_dot} * {dout}",
                "Math.pow(Math.log({x}), 2) * {out} * {y_dot} * {dout}",
            ),
        ),
        second_explain=(
            "pow gate: the slope {y}*{x}**({y}-1) moves by {y}*({y}-1)*{x}**({y}-2)"
            " per nudge of {x} and {x}**({y}-1)*(1+{y}*log({x})) per nudge of {y};"
            " the slope log({x})*{out} by that per nudge of {x} and log({x})**2*{out}"
            " per nudge of {y}"
        ),
    ),
    *ELEMENTARY_GATES,
)
