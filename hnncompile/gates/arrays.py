"""The gates of vectors and matrices (SPEC section 5): the array target only.

The forward templates are NumPy's; these gates have no python or js form
(lowering refuses them there, with `array_only`'s words). Their
parameters (an axis, an index, a dimension) are constants written into
the templates as the program wrote them: `x.sum(1)` is `sum_axis x 1`.
"""

from __future__ import annotations

from .gate import Gate


def _axis_gate(name: str, called: str, forward: str, grad: str, explain: str, **more):
    return Gate(
        name=name,
        called=called,
        inputs=("x",),
        params=("axis",),
        forward=forward,
        grads=(grad,),
        explain=explain,
        array_only="a reduction over an axis",
        symbol=f"{called}(axis={{axis}})",
        **more,
    )


def _reduction_gates(reduction: str, scale: str, why: str) -> tuple[Gate, ...]:
    """`sum` or `mean` over one axis, without and with keepdims."""
    return (
        _axis_gate(
            f"{reduction}_axis",
            reduction,
            f"{{x}}.{reduction}({{axis}})",
            f"np.expand_dims({{dout}}, {{axis}}) * np.ones_like({{x}}){scale}",
            f"the {reduction} gate {why}: {{dout}} lacks axis {{axis}}, so it "
            f"gets it back (size 1) and is stretched along it to {{x}}'s shape",
            linear=True,
            second_explain=f"the {reduction} gate's slopes are constants: they do not move",
        ),
        _axis_gate(
            f"{reduction}_keepdims",
            reduction,
            f"{{x}}.{reduction}({{axis}}, keepdims=True)",
            f"np.ones_like({{x}}) * {{dout}}{scale}",
            f"the {reduction} gate {why}: {{dout}} kept axis {{axis}} (size 1), "
            f"so it broadcasts along it to {{x}}'s shape",
            linear=True,
            second_explain=f"the {reduction} gate's slopes are constants: they do not move",
        ),
    )


def _first_extreme(x: str, extreme: str, axis: str) -> str:
    """1 at the first element along `axis` that equals `extreme`, else 0."""
    return f"({x} == {extreme}) * (np.cumsum({x} == {extreme}, axis={axis}) == 1)"


def _extreme_gates(extreme: str) -> tuple[Gate, ...]:
    """`max` or `min` over one axis, without and with keepdims."""
    winner = (
        "the gradient goes to the element that attains the {extreme} along "
        "axis {{axis}} (the first, at a tie): a mask of {{x}}'s shape"
    ).format(extreme="maximum" if extreme == "max" else "minimum")
    kept = f"{{x}}.{extreme}({{axis}}, keepdims=True)"
    # The mask of the winning elements: it changes where the winner does.
    kink = _first_extreme("{x}", kept, "{axis}")
    flat = (
        f"the {extreme}'s slopes are 1 at the winner and 0 elsewhere, constants "
        "while the winner stays: they do not move (away from a tie)"
    )
    return (
        _axis_gate(
            f"{extreme}_axis",
            extreme,
            f"{{x}}.{extreme}({{axis}})",
            _first_extreme("{x}", "np.expand_dims({out}, {axis})", "{axis}")
            + " * np.expand_dims({dout}, {axis})",
            f"the {extreme} gate: {winner}; {{dout}} gets axis {{axis}} back "
            "(size 1) to fit it",
            kink=kink,
            # The output's nudge is the winner's: the mask picks it out.
            tangents=(
                "("
                + _first_extreme("{x}", "np.expand_dims({out}, {axis})", "{axis}")
                + " * {x_dot}).sum({axis})",
            ),
            seconds=(("",),),
            second_explain=flat,
        ),
        _axis_gate(
            f"{extreme}_keepdims",
            extreme,
            kept,
            _first_extreme("{x}", "{out}", "{axis}") + " * {dout}",
            f"the {extreme} gate: {winner}; {{dout}} kept axis {{axis}} (size 1), "
            "so it broadcasts over it",
            kink=kink,
            tangents=(
                "("
                + _first_extreme("{x}", "{out}", "{axis}")
                + " * {x_dot}).sum({axis}, keepdims=True)",
            ),
            seconds=(("",),),
            second_explain=flat,
        ),
        Gate(
            name=f"{extreme}_all",
            called=extreme,
            inputs=("x",),
            forward=f"np.{extreme}({{x}})",
            grads=(
                "({x} == {out}) * (np.cumsum({x} == {out}).reshape(np.shape({x}))"
                " == 1) * {dout}",
            ),
            explain=(
                f"the {extreme} gate over all elements: the gradient goes to the "
                "element that attains it (the first, in reading order, at a tie): "
                "a mask of {x}'s shape times the one number {dout}"
            ),
            reduces=True,
            kink="({x} == np.%s({x})) * (np.cumsum({x} == np.%s({x})).reshape("
            "np.shape({x})) == 1)" % (extreme, extreme),
            array_only=f"the {extreme} over all elements",
            symbol=extreme,
            tangents=(
                "np.sum(({x} == {out}) * (np.cumsum({x} == {out}).reshape("
                "np.shape({x})) == 1) * {x_dot})",
            ),
            seconds=(("",),),
            second_explain=flat,
        ),
    )


def _reshape_gate(rank: int) -> Gate:
    sizes = tuple(f"s{k}" for k in range(1, rank + 1))
    return Gate(
        name=f"reshape{rank}",
        called="reshape",
        inputs=("x", *sizes),
        forward="{x}.reshape(%s)" % ", ".join("{%s}" % s for s in sizes),
        grads=("{dout}.reshape({x}.shape)", *("" for _ in sizes)),
        explain=(
            "reshape only regroups the elements, in the same order: "
            "{dout} reshaped back has {x}'s shape"
        ),
        data_inputs=tuple(range(1, rank + 1)),
        array_only="reshape",
        symbol="reshape",
        linear=True,
        second_explain="reshape's slopes are 1 for each element: they do not move",
    )


ARRAY_GATES = (
    Gate(
        name="matmul",
        inputs=("x", "y"),
        forward="{x} @ {y}",
        grads=("{dout} @ {y}.T", "{x}.T @ {dout}"),
        vector_grads=(
            "np.multiply.outer({dout}, {y})",
            "np.multiply.outer({x}, {dout})",
        ),
        explain=(
            "the matrix product sends {dout} @ {y}.T to {x}, (n, k) @ (k, m) is "
            "{x}'s (n, m), and {x}.T @ {dout} to {y}, (m, n) @ (n, k) is {y}'s (m, k)"
        ),
        explain_inputs=(
            "the matrix product sends {dout} @ {y}.T to {x}: (n, k) @ (k, m) is "
            "{x}'s shape (n, m)",
            "the matrix product sends {x}.T @ {dout} to {y}: (m, n) @ (n, k) is "
            "{y}'s shape (m, k)",
        ),
        array_only="the matrix product",
        symbol="@",
        tangents=("{x_dot} @ {y}", "{x} @ {y_dot}"),
        seconds=(("", "{dout} @ {y_dot}.T"), ("{x_dot}.T @ {dout}", "")),
        vector_seconds=(
            ("", "np.multiply.outer({dout}, {y_dot})"),
            ("np.multiply.outer({x_dot}, {dout})", ""),
        ),
        second_explain=(
            "the matrix product is linear in each operand: {x}'s rule {dout} @ {y}.T "
            "moves by {dout} @ {y_dot}.T, and {y}'s rule {x}.T @ {dout} by "
            "{x_dot}.T @ {dout}"
        ),
    ),
    Gate(
        name="transpose",
        inputs=("x",),
        forward="{x}.T",
        grads=("{dout}.T",),
        explain=(
            "a transpose only swaps the axes: {dout} transposed back has "
            "{x}'s shape, (m, n) to (n, m)"
        ),
        array_only="a transpose",
        symbol=".T",
        linear=True,
        second_explain="a transpose only moves elements: its slopes do not move",
    ),
    *_reduction_gates("sum", "", "passes {dout} back to every element it added"),
    *_reduction_gates(
        "mean",
        " / {x}.shape[{axis}]",
        "passes {dout}/n back to each of the n elements along axis {axis}",
    ),
    *_extreme_gates("max"),
    *_extreme_gates("min"),
    Gate(
        name="index",
        inputs=("x",),
        params=("index",),
        forward="{x}[{index}]",
        grads=("{dout}",),
        explain=(
            "indexing picks some elements of {x}: {dout} goes back to those "
            "places, in zeros of {x}'s shape, and the rest get 0"
        ),
        scatter="{index}",
        array_only="indexing",
        symbol="[{index}]",
        linear=True,
        second_explain="indexing only moves elements: its slopes do not move",
    ),
    Gate(
        name="take",
        inputs=("x", "i"),
        forward="{x}[{i}]",
        grads=("{dout}", ""),
        explain=(
            "a lookup takes a row of {x} for each element of {i}: each row of "
            "{dout} is added back to the row of {x} it came from, in zeros of "
            "{x}'s shape (a row taken twice gets both)"
        ),
        data_inputs=(1,),
        scatter="{i}",
        scatter_repeats=True,
        array_only="indexing",
        symbol="[i]",
        linear=True,
        second_explain="a lookup only moves elements: its slopes do not move",
    ),
    Gate(
        name="pick",
        inputs=("x", "n", "i"),
        forward="{x}[np.arange({n}), {i}]",
        grads=("{dout}", "", ""),
        explain=(
            "a pick takes one element of each row of {x}, at column {i}: "
            "{dout}, one number per row, goes back to those places, in zeros "
            "of {x}'s shape"
        ),
        data_inputs=(1, 2),
        scatter="np.arange({n}), {i}",
        array_only="indexing",
        symbol="[range(n), i]",
        linear=True,
        second_explain="a pick only moves elements: its slopes do not move",
    ),
    Gate(
        name="dim",
        inputs=("x",),
        params=("k",),
        forward="{x}.shape[{k}]",
        grads=("",),
        explain="a size is data: no gradient flows through it",
        array_only="a shape",
        symbol=".shape[{k}]",
    ),
    *(_reshape_gate(rank) for rank in range(1, 5)),
)
