"""The numerically stable gates (SPEC section 6): finite wherever the math is.

A learner who writes `log(1 + exp(x))` meets `exp(800)`, which is too large
for a float, although the answer, about 800, is not. Each gate here computes
such a number without the intermediate that overflows (or that rounds to 0
before a log), and each template says how in its comment:
  - softplus, log(1+e^x): `max(x, 0) + log1p(e^-|x|)`, the same number,
    where e^-|x| is at most 1, so it never overflows, and log1p keeps the
    digits that log(1 + tiny) would round away;
  - log_sigmoid, log(sigmoid(x)) = -softplus(-x): the same two pieces;
  - log1p and expm1, log(1+x) and e^x - 1 without the rounding of 1 + x
    and of e^x - 1 near 0;
  - logsumexp, log(sum(e^x)), over all elements or along an axis: NumPy's
    `np.logaddexp.reduce`, which adds the exponentials in log space two at
    a time, logaddexp(a, b) = max(a, b) + log1p(e^-|a-b|): the maximum is
    taken out of every step, so no exp overflows;
  - softmax and log_softmax, e^x / sum(e^x) and its log, as `x - logsumexp`;
  - cross_entropy(logits, Y), the mean over rows of logsumexp(row) minus
    the logit of the row's label Y (data: it gets no gradient).

The elementwise four and logsumexp over all elements exist on every
target (on one number logsumexp is that number, as `sum` is); the others
are the array target's only. None of these gates has a kink.
"""

from __future__ import annotations

from .gate import Gate

# sigmoid(x) as the sigmoid gate's array form writes it: e^min(x,0) over
# 1 + e^-|x|, the exp of a number <= 0 only. The local gradient of softplus.
_SIGMOID = "{exp}({min}({x}, 0.0)) / (1 + {exp}(-{abs}({x})))"
# ... and sigmoid(-x) = 1 - sigmoid(x), the local gradient of log_sigmoid.
_SIGMOID_OF_MINUS = "{exp}(-{max}({x}, 0.0)) / (1 + {exp}(-{abs}({x})))"
# The words of each target's language for the pieces above.
_WORDS = {
    "python": {"exp": "math.exp", "min": "min", "max": "max", "abs": "abs"},
    "numpy": {
        "exp": "np.exp",
        "min": "np.minimum",
        "max": "np.maximum",
        "abs": "np.abs",
    },
    "js": {"exp": "Math.exp", "min": "Math.min", "max": "Math.max", "abs": "Math.abs"},
}
_LOG1P = {"python": "math.log1p", "numpy": "np.log1p", "js": "Math.log1p"}


def _spelled(template: str, target: str) -> str:
    """`template` in `target`'s words, `{x}` left for the gate's input."""
    return template.format(x="{x}", **_WORDS[target])


def _softplus(target: str, sign: str) -> str:
    """softplus(x) (`sign` "+") or log_sigmoid(x) = -softplus(-x) (`sign`
    "-"): the larger of x and 0, then the log1p of e^-|x| <= 1."""
    words = _WORDS[target]
    extreme = words["max"] if sign == "+" else words["min"]
    return (
        f"{extreme}({{x}}, 0.0) {sign} "
        f"{_LOG1P[target]}({words['exp']}(-{words['abs']}({{x}})))"
    )


def _bell(target: str, sign: str) -> str:
    """sigmoid(x) * sigmoid(-x), the slope of sigmoid (`sign` "", softplus's
    second derivative) or its negative (`sign` "-", log_sigmoid's), written
    e^-|x| / (1 + e^-|x|)^2: exp only ever sees a number <= 0."""
    words = _WORDS[target]
    small = f"{words['exp']}(-{words['abs']}({{x}}))"
    square = f"Math.pow(1 + {small}, 2)" if target == "js" else f"(1 + {small}) ** 2"
    return f"{sign}{small} / {square} * {{x_dot}} * {{dout}}"


def _elementwise(name: str, gradient: str, explain: str, second: str, why: str) -> Gate:
    """softplus or log_sigmoid, written the same way on every target."""
    sign = "+" if name == "softplus" else "-"
    bell = "" if name == "softplus" else "-"
    return Gate(
        name=name,
        function=name,
        inputs=("x",),
        forward=_softplus("python", sign),
        grads=(_spelled(gradient, "python") + " * {dout}",),
        explain=explain,
        numpy_forward=_softplus("numpy", sign),
        numpy_grads=(_spelled(gradient, "numpy") + " * {dout}",),
        js_forward=_softplus("js", sign),
        js_grads=(_spelled(gradient, "js") + " * {dout}",),
        seconds=((_bell("python", bell),),),
        numpy_seconds=((_bell("numpy", bell),),),
        js_seconds=((_bell("js", bell),),),
        second_explain=second,
        forward_why=why,
    )


# Along an axis: logsumexp kept as a size-1 axis, which broadcasts against x.
_KEPT = "np.logaddexp.reduce({x}, axis={axis}, keepdims=True)"


def _along(name: str, called: str, **fields) -> Gate:
    """A gate of one array along one axis (the param `axis`)."""
    return Gate(
        name=name,
        called=called,
        inputs=("x",),
        params=("axis",),
        array_only=fields.pop("array_only", called),
        symbol=f"{called}(axis={{axis}})",
        **fields,
    )


STABLE_GATES = (
    _elementwise(
        "softplus",
        _SIGMOID,
        "softplus's local gradient is sigmoid({x}), written as e^min({x},0) / "
        "(1 + e^-|{x}|) so that exp only ever sees a number <= 0; the forward "
        "is max({x}, 0) + log1p(e^-|{x}|), the same number as log(1 + e^{x}), "
        "and e^-|{x}| <= 1 never overflows",
        "softplus's slope sigmoid({x}) moves by sigmoid({x})*sigmoid(-{x}) per "
        "nudge of {x}, written e^-|{x}| / (1 + e^-|{x}|)**2 so that exp only "
        "ever sees a number <= 0",
        "softplus as max({x}, 0) + log1p(e^-|{x}|): exp never sees a positive "
        "number, so no overflow at any {x}",
    ),
    _elementwise(
        "log_sigmoid",
        _SIGMOID_OF_MINUS,
        "log_sigmoid's local gradient is 1 - sigmoid({x}) = sigmoid(-{x}), "
        "written as e^-max({x},0) / (1 + e^-|{x}|) so that exp only ever sees "
        "a number <= 0; the forward is min({x}, 0) - log1p(e^-|{x}|), the same "
        "number as log(sigmoid({x})), and finite where sigmoid({x}) rounds to 0",
        "log_sigmoid's slope sigmoid(-{x}) moves by -sigmoid({x})*sigmoid(-{x}) "
        "per nudge of {x}, written -e^-|{x}| / (1 + e^-|{x}|)**2 so that exp "
        "only ever sees a number <= 0",
        "log_sigmoid as min({x}, 0) - log1p(e^-|{x}|): exp never sees a "
        "positive number, so no overflow at any {x}",
    ),
    Gate(
        name="log1p",
        function="log1p",
        inputs=("x",),
        forward="math.log1p({x})",
        grads=("{dout} / (1 + {x})",),
        explain=(
            "d(log(1 + {x}))/d{x} = 1/(1 + {x}); log1p({x}) keeps the digits of "
            "a small {x} that log(1 + {x}) would round away in 1 + {x}"
        ),
        numpy_forward="np.log1p({x})",
        js_forward="Math.log1p({x})",
        seconds=(("-{x_dot} / ((1 + {x}) * (1 + {x})) * {dout}",),),
        second_explain="log1p's slope 1/(1+{x}) moves by -1/((1+{x})*(1+{x})) per nudge of {x}",
    ),
    Gate(
        name="expm1",
        function="expm1",
        inputs=("x",),
        forward="math.expm1({x})",
        # e^x itself, not out + 1: near x = -40, out + 1 rounds to 0.
        grads=("math.exp({x}) * {dout}",),
        explain=(
            "d(e^{x} - 1)/d{x} = e^{x}, computed as exp({x}), since {out} + 1 "
            "would round to 0 for a very negative {x}; expm1({x}) keeps the "
            "digits of a small e^{x} - 1 that exp({x}) - 1 would round away"
        ),
        numpy_forward="np.expm1({x})",
        numpy_grads=("np.exp({x}) * {dout}",),
        js_forward="Math.expm1({x})",
        js_grads=("Math.exp({x}) * {dout}",),
        seconds=(("{out_dot} * {dout}",),),
        second_explain=(
            "expm1's slope e^{x} is its own derivative: it moves by e^{x} times {x}'s"
            " nudge, which is {out}'s nudge {out_dot}"
        ),
    ),
    Gate(
        name="logsumexp",
        function="logsumexp",
        inputs=("x",),
        # On one number, log(e^x) is x, and its gradient passes through.
        forward="{x}",
        grads=("{dout}",),
        # True of both forms: on one number the rule is dout itself.
        explain=(
            "logsumexp's local gradient is the softmax of {x}, e^({x} - {out}), "
            "of {x}'s shape: 1 on one number, whose logsumexp is the number "
            "itself, and on an array the exp of {x} - {out} <= 0, which never "
            "overflows"
        ),
        reduces=True,
        numpy_forward="np.logaddexp.reduce(np.ravel({x}))",
        numpy_grads=("np.exp({x} - {out}) * {dout}",),
        tangents=("{x_dot}",),
        numpy_tangents=("np.sum(np.exp({x} - {out}) * {x_dot})",),
        seconds=(("",),),
        numpy_seconds=(("np.exp({x} - {out}) * ({x_dot} - {out_dot}) * {dout}",),),
        second_explain=(
            "logsumexp's slope, the softmax e^({x} - {out}), moves by itself times"
            " ({x_dot} - {out_dot}), each element's nudge less the output's (on one"
            " number, 0: it is that number)"
        ),
        forward_why="the logsumexp of one number is that number: log(e^{x}) = {x}",
        numpy_forward_why=(
            "logsumexp adds e^{x} in log space, two at a time, logaddexp(a, b) ="
            " max(a, b) + log1p(e^-|a-b|): the largest is taken out of every step,"
            " so no exp overflows"
        ),
    ),
    _along(
        "logsumexp_axis",
        "logsumexp",
        forward="np.logaddexp.reduce({x}, axis={axis})",
        grads=(
            "np.exp({x} - np.expand_dims({out}, {axis}))"
            " * np.expand_dims({dout}, {axis})",
        ),
        explain=(
            "logsumexp's local gradient is the softmax of {x} along axis "
            "{axis}, e^({x} - {out}); {out} and {dout} lack axis {axis}, so they "
            "get it back (size 1) and broadcast to {x}'s shape; the forward adds "
            "e^{x} in log space (logaddexp), so no exp overflows"
        ),
        written="logsumexp({x}, axis={axis})",
        array_only="a reduction over an axis",
        tangents=(
            "(np.exp({x} - np.expand_dims({out}, {axis})) * {x_dot}).sum({axis})",
        ),
        seconds=(
            (
                "np.exp({x} - np.expand_dims({out}, {axis}))"
                " * ({x_dot} - np.expand_dims({out_dot}, {axis}))"
                " * np.expand_dims({dout}, {axis})",
            ),
        ),
        second_explain=(
            "logsumexp's slope, the softmax e^({x} - {out}) along axis {axis}, moves"
            " by itself times ({x_dot} - {out_dot}), each element's nudge less the"
            " output's"
        ),
        forward_why=(
            "logsumexp along axis {axis} adds e^{x} in log space, logaddexp(a, b) ="
            " max(a, b) + log1p(e^-|a-b|): the largest is taken out of every step,"
            " so no exp overflows"
        ),
    ),
    _along(
        "logsumexp_keepdims",
        "logsumexp",
        forward=_KEPT,
        grads=("np.exp({x} - {out}) * {dout}",),
        explain=(
            "logsumexp's local gradient is the softmax of {x} along axis "
            "{axis}, e^({x} - {out}); {out} and {dout} kept axis {axis} (size "
            "1), so they broadcast to {x}'s shape; the forward adds e^{x} in log "
            "space (logaddexp), so no exp overflows"
        ),
        written="logsumexp({x}, axis={axis}, keepdims=True)",
        array_only="a reduction over an axis",
        tangents=("(np.exp({x} - {out}) * {x_dot}).sum({axis}, keepdims=True)",),
        seconds=(("np.exp({x} - {out}) * ({x_dot} - {out_dot}) * {dout}",),),
        second_explain=(
            "logsumexp's slope, the softmax e^({x} - {out}) along axis {axis}, moves"
            " by itself times ({x_dot} - {out_dot}), each element's nudge less the"
            " output's"
        ),
        forward_why=(
            "logsumexp along axis {axis} adds e^{x} in log space, logaddexp(a, b) ="
            " max(a, b) + log1p(e^-|a-b|): the largest is taken out of every step,"
            " so no exp overflows"
        ),
    ),
    Gate(
        name="softmax",
        inputs=("x",),
        forward="np.exp({x} - np.logaddexp.reduce(np.ravel({x})))",
        grads=("{out} * ({dout} - np.sum({out} * {dout}))",),
        explain=(
            "the softmax's Jacobian is diag({out}) - {out} {out}^T, so {x} gets "
            "{out} * ({dout} - sum({out} * {dout})), of {x}'s shape; the forward "
            "is e^({x} - logsumexp({x})), the exp of a number <= 0: no overflow"
        ),
        written="softmax({x})",
        array_only="softmax",
        symbol="softmax",
        tangents=("{out} * ({x_dot} - np.sum({out} * {x_dot}))",),
        seconds=(
            (
                "{out_dot} * ({dout} - np.sum({out} * {dout}))"
                " - {out} * np.sum({out_dot} * {dout})",
            ),
        ),
        second_explain=(
            "the softmax's rule {out} * ({dout} - sum({out} * {dout})) moves as {out}"
            " does: by {out_dot} in both places {out} appears"
        ),
        forward_why=(
            "softmax as e^({x} - logsumexp({x})), the exp of a number <= 0 only:"
            " no overflow at any {x}"
        ),
    ),
    _along(
        "softmax_axis",
        "softmax",
        forward=f"np.exp({{x}} - {_KEPT})",
        grads=("{out} * ({dout} - ({out} * {dout}).sum({axis}, keepdims=True))",),
        explain=(
            "the softmax's Jacobian is diag({out}) - {out} {out}^T, so {x} gets "
            "{out} * ({dout} - sum({out} * {dout})), the sum along axis {axis} "
            "kept (size 1) to broadcast to {x}'s shape; the forward is "
            "e^({x} - logsumexp({x})), the exp of a number <= 0: no overflow"
        ),
        written="softmax({x}, axis={axis})",
        tangents=("{out} * ({x_dot} - ({out} * {x_dot}).sum({axis}, keepdims=True))",),
        seconds=(
            (
                "{out_dot} * ({dout} - ({out} * {dout}).sum({axis}, keepdims=True))"
                " - {out} * ({out_dot} * {dout}).sum({axis}, keepdims=True)",
            ),
        ),
        second_explain=(
            "the softmax's rule {out} * ({dout} - sum({out} * {dout})) moves as {out}"
            " does: by {out_dot} in both places {out} appears"
        ),
        forward_why=(
            "softmax along axis {axis} as e^({x} - logsumexp({x})), the exp of a"
            " number <= 0 only: no overflow at any {x}"
        ),
    ),
    Gate(
        name="log_softmax",
        inputs=("x",),
        forward="{x} - np.logaddexp.reduce(np.ravel({x}))",
        grads=("{dout} - np.exp({out}) * np.sum({dout})",),
        explain=(
            "log_softmax({x}) = {x} - logsumexp({x}): {dout} passes through, "
            "less softmax({x}) = e^{out} times the sum of {dout} (the gradient "
            "of logsumexp), of {x}'s shape; e^{out} <= 1 never overflows"
        ),
        written="log_softmax({x})",
        array_only="log_softmax",
        symbol="log_softmax",
        tangents=("{x_dot} - np.sum(np.exp({out}) * {x_dot})",),
        seconds=(("-np.exp({out}) * {out_dot} * np.sum({dout})",),),
        second_explain=(
            "log_softmax's rule moves only through softmax({x}) = e^{out}, which moves"
            " by e^{out} times {out}'s nudge {out_dot}"
        ),
        forward_why=(
            "log_softmax as {x} - logsumexp({x}), with no exp of {x} itself:"
            " finite where softmax({x}) rounds to 0"
        ),
    ),
    _along(
        "log_softmax_axis",
        "log_softmax",
        forward=f"{{x}} - {_KEPT}",
        grads=("{dout} - np.exp({out}) * {dout}.sum({axis}, keepdims=True)",),
        explain=(
            "log_softmax({x}) = {x} - logsumexp({x}) along axis {axis}: {dout} "
            "passes through, less softmax({x}) = e^{out} times {dout} summed "
            "along axis {axis} (kept, size 1, so it broadcasts to {x}'s shape); "
            "e^{out} <= 1 never overflows"
        ),
        written="log_softmax({x}, axis={axis})",
        tangents=("{x_dot} - (np.exp({out}) * {x_dot}).sum({axis}, keepdims=True)",),
        seconds=(("-np.exp({out}) * {out_dot} * {dout}.sum({axis}, keepdims=True)",),),
        second_explain=(
            "log_softmax's rule moves only through softmax({x}) = e^{out}, which moves"
            " by e^{out} times {out}'s nudge {out_dot}"
        ),
        forward_why=(
            "log_softmax along axis {axis} as {x} - logsumexp({x}), with no exp of"
            " {x} itself: finite where softmax({x}) rounds to 0"
        ),
    ),
    Gate(
        name="cross_entropy",
        inputs=("x", "i"),
        # Each row's loss is -log softmax at its label: logsumexp of the row
        # minus the label's logit.
        forward=(
            "np.mean(np.logaddexp.reduce({x}, axis=1)"
            " - {x}[np.arange({x}.shape[0]), {i}])"
        ),
        # The lecture's one-liner: (softmax(logits, 1) - onehot(Y)) / n, the
        # one-hot rows of the identity picked by the labels, in x's dtype.
        grads=(
            f"(np.exp({{x}} - {_KEPT.format(x='{x}', axis=1)})"
            " - np.eye({x}.shape[1], dtype={x}.dtype)[{i}])"
            " / {x}.shape[0] * {dout}",
            "",
        ),
        explain=(
            "the cross-entropy's gradient is the lecture's one-liner, "
            "(softmax({x}, 1) - onehot({i})) / n, of {x}'s shape (n, C): each "
            "row's probabilities less 1 at its label, over the n rows the "
            "mean takes; {i} is data and gets none. The forward takes each "
            "row's logsumexp less the label's logit, so no exp overflows"
        ),
        written="cross_entropy({x}, {i})",
        data_inputs=(1,),
        array_only="cross_entropy",
        symbol="cross_entropy",
        reduces=True,
        tangents=(
            "np.mean((np.exp({x} - np.logaddexp.reduce({x}, axis=1, keepdims=True)) * {x_dot}).sum(1) - {x_dot}[np.arange({x}.shape[0]), {i}])",
            "",
        ),
        seconds=(
            (
                "np.exp({x} - np.logaddexp.reduce({x}, axis=1, keepdims=True)) * ({x_dot} - (np.exp({x} - np.logaddexp.reduce({x}, axis=1, keepdims=True)) * {x_dot}).sum(1, keepdims=True))"
                " / {x}.shape[0] * {dout}",
                "",
            ),
            ("", ""),
        ),
        second_explain=(
            "the cross-entropy's rule moves through softmax({x}, 1), whose nudge is"
            " the softmax times {x_dot} less its softmax-weighted sum along the row;"
            " the labels {i} are data and do not move"
        ),
        forward_why=(
            "each row's loss, -log(softmax) at its label {i}, as the row's logsumexp"
            " less the label's logit: no exp overflows, and no log of 0"
        ),
    ),
)
