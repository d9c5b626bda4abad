"""The gates of chapters 1-2 that a program calls by name: exp, log, sqrt,
sin, cos, tanh and sigmoid, the kinks relu, abs, max and min (with a
constant too: `maxc`, `minc`), and sum and mean, which on one number pass
it through and on an array reduce it to one. Numbers in, a number out, on
every target; written as `scalar.py`'s arithmetic is, which lists these
after its own in SCALAR_GATES.
"""

from __future__ import annotations

from .gate import Gate

ELEMENTARY_GATES = (
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
        seconds=(("{out_dot} * {dout}",),),
        second_explain="exp's slope is its output {out}, so it moves as {out} does: by {out_dot}",
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
        seconds=(("-{x_dot} / ({x} * {x}) * {dout}",),),
        second_explain="log's slope 1/{x} moves by -1/({x}*{x}) per nudge of {x}",
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
        seconds=(("-0.5 / ({out} * {out}) * {out_dot} * {dout}",),),
        second_explain=(
            "sqrt's slope 0.5/{out} moves by -0.5/({out}*{out}) times {out}'s nudge {out_dot}"
        ),
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
        seconds=(("-{out} * {x_dot} * {dout}",),),
        second_explain="sin's slope cos({x}) moves by -sin({x}), which is -{out}, per nudge of {x}",
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
        seconds=(("-{out} * {x_dot} * {dout}",),),
        second_explain="cos's slope -sin({x}) moves by -cos({x}), which is -{out}, per nudge of {x}",
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
        seconds=(("-2 * {out} * {out_dot} * {dout}",),),
        second_explain="tanh's slope 1-{out}**2 moves by -2*{out} times {out}'s nudge {out_dot}",
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
        seconds=(("(1 - 2 * {out}) * {out_dot} * {dout}",),),
        second_explain=(
            "the sigmoid's slope {out}*(1-{out}) itself moves by (1-2*{out}) times"
            " {out}'s nudge {out_dot}"
        ),
        forward_why=(
            "sigmoid in two branches, so that exp never sees a positive number:"
            " no overflow at any {x}"
        ),
        numpy_forward_why=(
            "sigmoid as e^min({x},0) / (1 + e^-|{x}|), both branches at once:"
            " exp never sees a positive number, so no overflow at any {x}"
        ),
        js_forward_why="",  # the tutorial's own line (see js_forward)
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
        seconds=(("",),),
        second_explain=(
            "the ReLU's slope is 1 or 0, a constant on each side of 0: it does not"
            " move (away from the kink)"
        ),
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
        seconds=(("",),),
        second_explain=(
            "abs's slope is 1 or -1, a constant on each side of 0: it does not move"
            " (away from the kink)"
        ),
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
        seconds=(("", ""), ("", "")),
        second_explain=(
            "max's slopes are 1 for the winner and 0 for the other, constants while"
            " the winner stays: they do not move (away from a tie)"
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
        seconds=(("",),),
        second_explain=(
            "max's slope is 1 or 0, a constant on each side of {c}: it does not move"
            " (away from the kink)"
        ),
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
        seconds=(("", ""), ("", "")),
        second_explain=(
            "min's slopes are 1 for the winner and 0 for the other, constants while"
            " the winner stays: they do not move (away from a tie)"
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
        seconds=(("",),),
        second_explain=(
            "min's slope is 1 or 0, a constant on each side of {c}: it does not move"
            " (away from the kink)"
        ),
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
        second_explain="the sum gate's slopes are all 1: they do not move",
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
        second_explain="the mean gate's slopes are all 1/n: they do not move",
    ),
)
