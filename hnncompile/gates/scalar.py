"""The gates of chapters 1-2: numbers in, a number out, on every target.

The add, mul and max gates of the tutorial's first chapter, the powers,
exp, log, the trigonometric functions and tanh, sigmoid and relu of its
neurons, and sum and mean, which on one number pass it through and on an
array reduce it to one. Each is written for the python target (`forward`,
`grads`) and, where the code differs, for NumPy and JavaScript beside it.
"""

from __future__ import annotations

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
    ),
    Gate(
        name="neg",
        inputs=("x",),
        forward="-{x}",
        grads=("-{dout}",),
        explain="negation flips the sign of {dout}",
        symbol="-x",
        linear=True,
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
    ),
    Gate(
        name="powc",  # an integer exponent: real for every x
        inputs=("x",),
        params=("p", "p_minus_1"),
        forward="{x}**{p}",
        grads=("{p} * {x}**{p_minus_1} * {dout}",),
        explain="pow gate: d({x}**{p})/d{x} = {p}*{x}**{p_minus_1}",
        called="pow",
        symbol="x^{p}",
        js_forward="Math.pow({x}, {p})",
        js_grads=("{p} * Math.pow({x}, {p_minus_1}) * {dout}",),
    ),
    Gate(
        name="fracpow",  # a fractional exponent: no real value below 0
        called="pow",
        inputs=("x",),
        params=("p", "p_minus_1"),
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
    ),
    Gate(
        name="exp",
        function="exp",
        inputs=("x",),
        forward="math.exp({x})",
        grads=("{out} * {dout}",),
        explain="exp is its own derivative: the local gradient is the output {out}",
        numpy_forward="np.exp({x})",
        numpy_grads=("{out} * {dout}",),
        js_forward="Math.exp({x})",
    ),
    Gate(
        name="log",
        function="log",
        inputs=("x",),
        forward="math.log({x})",
        grads=("{dout} / {x}",),
        explain="d(log {x})/d{x} = 1/{x}",
        numpy_forward="np.log({x})",
        numpy_grads=("{dout} / {x}",),
        js_forward="Math.log({x})",
    ),
    Gate(
        name="sqrt",
        function="sqrt",
        inputs=("x",),
        forward="math.sqrt({x})",
        grads=("0.5 / {out} * {dout}",),
        explain="d(sqrt {x})/d{x} = 0.5/sqrt({x}), and sqrt({x}) is the output {out}",
        numpy_forward="np.sqrt({x})",
        numpy_grads=("0.5 / {out} * {dout}",),
        js_forward="Math.sqrt({x})",
    ),
    Gate(
        name="sin",
        function="sin",
        inputs=("x",),
        forward="math.sin({x})",
        grads=("math.cos({x}) * {dout}",),
        explain="d(sin {x})/d{x} = cos({x})",
        numpy_forward="np.sin({x})",
        numpy_grads=("np.cos({x}) * {dout}",),
        js_forward="Math.sin({x})",
        js_grads=("Math.cos({x}) * {dout}",),
    ),
    Gate(
        name="cos",
        function="cos",
        inputs=("x",),
        forward="math.cos({x})",
        grads=("-math.sin({x}) * {dout}",),
        explain="d(cos {x})/d{x} = -sin({x})",
        numpy_forward="np.cos({x})",
        numpy_grads=("-np.sin({x}) * {dout}",),
        js_forward="Math.cos({x})",
        js_grads=("-Math.sin({x}) * {dout}",),
    ),
    Gate(
        name="tanh",
        function="tanh",
        inputs=("x",),
        forward="math.tanh({x})",
        grads=("(1 - {out}**2) * {dout}",),
        explain="d(tanh {x})/d{x} = 1 - tanh({x})**2, and tanh({x}) is the output {out}",
        numpy_forward="np.tanh({x})",
        numpy_grads=("(1 - {out}**2) * {dout}",),
        js_forward="Math.tanh({x})",
        js_grads=("(1 - {out} * {out}) * {dout}",),
    ),
    Gate(
        name="sigmoid",
        function="sigmoid",
        inputs=("x",),
        # exp of a negative number only, so that no x overflows: for x < 0,
        # 1/(1+e^-x) is e^x/(1+e^x). NumPy computes both branches at once:
        # e^min(x,0) / (1 + e^-|x|) is each branch's number, bit for bit,
        # at a third less time than exp(-logaddexp(0, -x)).
        forward=(
            "1 / (1 + math.exp(-{x})) if {x} >= 0"
            " else math.exp({x}) / (1 + math.exp({x}))"
        ),
        grads=("{out} * (1 - {out}) * {dout}",),
        explain="the sigmoid gate's local gradient is s*(1-s), s being its output {out}",
        numpy_forward="np.exp(np.minimum({x}, 0.0)) / (1 + np.exp(-np.abs({x})))",
        numpy_grads=("{out} * (1 - {out}) * {dout}",),
        # JavaScript's exp gives Infinity instead of failing, and 1/Infinity
        # is 0: the tutorial's own line is exact on both sides.
        js_forward="1 / (1 + Math.exp(-{x}))",
    ),
    Gate(
        name="relu",
        function="relu",
        inputs=("x",),
        forward="max({x}, 0.0)",  # NaN first: Python's max keeps a NaN only there
        grads=("{dout} if {x} > 0 else 0.0 if {x} <= 0 else math.nan",),
        explain="the ReLU passes {dout} on if {x} > 0 (it fired), else stops it",
        kink="{x}",
        numpy_forward="np.maximum({x}, 0.0)",
        # The sign of the output is the step: 0 below and at 0, 1 above, NaN
        # at NaN (the output is NaN there); a quarter of heaviside's time.
        numpy_grads=("np.sign({out}) * {dout}",),
        js_forward="Math.max({x}, 0.0)",
        js_grads=("{x} > 0 ? {dout} : {x} <= 0 ? 0.0 : NaN",),
    ),
    Gate(
        name="abs",
        function="abs",
        inputs=("x",),
        forward="abs({x})",
        grads=(
            "{dout} if {x} > 0 else -{dout} if {x} < 0"
            " else 0.0 if {x} == 0 else math.nan",
        ),
        explain="abs multiplies {dout} by the sign of {x} (0 at 0)",
        kink="{x}",
        numpy_forward="np.abs({x})",
        numpy_grads=("np.sign({x}) * {dout}",),
        js_forward="Math.abs({x})",
        js_grads=("{x} > 0 ? {dout} : {x} < 0 ? -{dout} : {x} == 0 ? 0.0 : NaN",),
    ),
    Gate(
        name="max",
        function="max",
        variadic=True,
        inputs=("x", "y"),
        # The first input attaining the extreme wins; with a NaN, none does.
        forward="{x} if {x} >= {y} else {y} if {y} > {x} else math.nan",
        grads=(
            "{dout} if {x} >= {y} else 0.0 if {x} < {y} else math.nan",
            "{dout} if {y} > {x} else 0.0 if {y} <= {x} else math.nan",
        ),
        explain="max routes {dout} to the input that won (the first, at a tie)",
        explain_inputs=(
            "max passes {dout} on to {x} if {x} won, else 0",
            "max passes {dout} on to {y} if {y} won, else 0",
        ),
        kink="{x} - {y}",
        numpy_forward="np.maximum({x}, {y})",
        # Steps of the difference: NaN at NaN, as the value is; a tie is a
        # difference of 0, at an infinity too (where inf - inf is NaN).
        numpy_grads=(
            "np.heaviside(np.where({x} == {y}, 0.0, {x} - {y}), 1.0) * {dout}",
            "np.heaviside(np.where({x} == {y}, 0.0, {y} - {x}), 0.0) * {dout}",
        ),
        js_forward="Math.max({x}, {y})",
        js_grads=(
            "{x} >= {y} ? {dout} : {x} < {y} ? 0.0 : NaN",
            "{y} > {x} ? {dout} : {y} <= {x} ? 0.0 : NaN",
        ),
    ),
    Gate(
        name="maxc",  # with a constant, which wins a tie
        called="max",
        inputs=("x",),
        params=("c",),
        forward="max({x}, {c})",  # NaN first: Python's max keeps a NaN only there
        grads=("{dout} if {x} > {c} else 0.0 if {x} <= {c} else math.nan",),
        explain=(
            "max passes {dout} on to {x} if {x} > {c}, else 0"
            " (the constant wins a tie)"
        ),
        kink="{x} - {c}",
        symbol="max(x, {c})",
        numpy_forward="np.maximum({x}, {c})",
        numpy_grads=("np.heaviside({x} - {c}, 0.0) * {dout}",),
        js_forward="Math.max({x}, {c})",
        js_grads=("{x} > {c} ? {dout} : {x} <= {c} ? 0.0 : NaN",),
    ),
    Gate(
        name="min",
        function="min",
        variadic=True,
        inputs=("x", "y"),
        # The first input attaining the extreme wins; with a NaN, none does.
        forward="{x} if {x} <= {y} else {y} if {y} < {x} else math.nan",
        grads=(
            "{dout} if {x} <= {y} else 0.0 if {x} > {y} else math.nan",
            "{dout} if {y} < {x} else 0.0 if {y} >= {x} else math.nan",
        ),
        explain="min routes {dout} to the input that won (the first, at a tie)",
        explain_inputs=(
            "min passes {dout} on to {x} if {x} won, else 0",
            "min passes {dout} on to {y} if {y} won, else 0",
        ),
        kink="{x} - {y}",
        numpy_forward="np.minimum({x}, {y})",
        numpy_grads=(  # as max's, the other way round
            "np.heaviside(np.where({x} == {y}, 0.0, {y} - {x}), 1.0) * {dout}",
            "np.heaviside(np.where({x} == {y}, 0.0, {x} - {y}), 0.0) * {dout}",
        ),
        js_forward="Math.min({x}, {y})",
        js_grads=(
            "{x} <= {y} ? {dout} : {x} > {y} ? 0.0 : NaN",
            "{y} < {x} ? {dout} : {y} >= {x} ? 0.0 : NaN",
        ),
    ),
    Gate(
        name="minc",  # with a constant, which wins a tie
        called="min",
        inputs=("x",),
        params=("c",),
        forward="min({x}, {c})",  # NaN first: Python's min keeps a NaN only there
        grads=("{dout} if {x} < {c} else 0.0 if {x} >= {c} else math.nan",),
        explain=(
            "min passes {dout} on to {x} if {x} < {c}, else 0"
            " (the constant wins a tie)"
        ),
        kink="{x} - {c}",
        symbol="min(x, {c})",
        numpy_forward="np.minimum({x}, {c})",
        numpy_grads=("np.heaviside({c} - {x}, 0.0) * {dout}",),
        js_forward="Math.min({x}, {c})",
        js_grads=("{x} < {c} ? {dout} : {x} >= {c} ? 0.0 : NaN",),
    ),
    Gate(
        name="sum",
        function="sum",
        inputs=("x",),
        forward="{x}",
        grads=("{dout}",),
        explain="the sum gate passes {dout} back to every element it added",
        reduces=True,
        numpy_forward="np.sum({x})",
        numpy_grads=("{dout} * np.ones_like({x})",),
        linear=True,
    ),
    Gate(
        name="mean",
        function="mean",
        inputs=("x",),
        forward="{x}",
        grads=("{dout}",),
        explain="the mean gate passes {dout}/n back to each of its n elements",
        reduces=True,
        numpy_forward="np.mean({x})",
        # n as a Python int, which keeps float32 float32 (np.prod would not)
        numpy_grads=("{dout} * np.ones_like({x}) / np.ones_like({x}).size",),
        linear=True,
    ),
)
