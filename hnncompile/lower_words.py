"""The words both halves of the lowering read a program by.

The other names a program may call a gate by (`sig`), the functions that
are operators in disguise (`pow`), the spellings of the array target (its
functions, methods, reductions and their keywords), and how a literal or a
computed constant is written back into the generated code. `lower.py` (the forms of
chapters 1-2) and `lower_arrays.py` (the spellings of SPEC section 5) both
import these; this module imports neither.
"""

from __future__ import annotations

from .gates import FUNCTIONS
from .syntax import Number

# Other names a program may call a gate by (PyTorch's F.logsigmoid).
ALIASES = {"sig": "sigmoid", "logsigmoid": "log_sigmoid"}
# Functions that are operators in disguise.
OPERATOR_FUNCTIONS = {"pow": "**"}


def known_functions() -> list[str]:
    return sorted(set(FUNCTIONS) | set(ALIASES) | set(OPERATOR_FUNCTIONS))


# The array target's functions beside the known ones, for a message.
ARRAY_FUNCTIONS = sorted(
    {"dot", "matmul", "transpose", "reshape", "maximum", "minimum", "arange"}
    | {"softmax", "log_softmax", "cross_entropy"}
)
# The functions along one axis, or over all elements without one (NumPy's
# and PyTorch's words for the axis), and the gate of each over all elements.
REDUCTIONS = ("sum", "mean", "max", "min", "logsumexp", "softmax", "log_softmax")
AXIS_WORDS = ("axis", "dim")
ALL_ELEMENTS = {"max": "max_all", "min": "min_all"}
ALL_ELEMENTS |= {f: f for f in REDUCTIONS if f not in ALL_ELEMENTS}
# ... those that are so with one argument too (max(a, b) is elementwise) ...
ALONG_ALWAYS = ("sum", "mean", "logsumexp", "softmax", "log_softmax")
# ... and those whose output keeps every axis (no keepdims; the array
# target's only: a softmax of one number is 1 and teaches nothing).
KEEPING_AXES = ("softmax", "log_softmax")
# The lecture's loss: F.cross_entropy(logits, Yb).
CROSS_ENTROPY = ("cross_entropy",)
# Functions of the array target beside the elementwise ones.
MATMUL_FUNCTIONS = ("dot", "matmul")
TRANSPOSE_FUNCTIONS = ("transpose",)
RESHAPE_FUNCTIONS = ("reshape",)
RANGE_FUNCTIONS = ("range", "arange")
# NumPy's names for the elementwise max and min: np.maximum(0, x).
ELEMENTWISE_EXTREMES = {"maximum": "max", "minimum": "min"}
# Methods beside the one-argument functions and the reductions.
MATMUL_METHODS = ("dot", "matmul")
TRANSPOSE_METHODS = ("t", "transpose")
RESHAPE_METHODS = ("reshape", "view")
ATTRIBUTES = ("T", "shape", "values")
MAX_RESHAPE_RANK = 4
# The target whose language has arrays; the others refuse section 5.
ARRAY_TARGET = "numpy"


def method_names() -> list[str]:
    """The methods an array has (`x.exp()`, `x.sum(1)`), for a message."""
    one_argument = [
        name
        for name in known_functions()
        if (gate := FUNCTIONS.get(ALIASES.get(name, name))) is not None
        and len(gate.inputs) == 1
    ]
    return sorted(
        {*one_argument, "max", "min", "dot", "matmul", "t", "transpose"}
        | {"reshape", "view", "pow", *KEEPING_AXES}
    )


def number_text(value: float) -> str:
    """How the generated code writes a computed constant (black's style)."""
    if value == int(value) and abs(value) < 2**53:
        return str(int(value))
    return repr(value).replace("e+", "e")


def literal_text(number: Number) -> str:
    """A literal as the generated code writes it: `2` stays `2`, `1.0` stays
    `1.0`, and `.5`, `1e-3` or `2.5E+4` are written the way Python prints them."""
    if number.text.isdigit() and abs(number.value) < 2**53:
        return str(int(number.text))
    return repr(number.value).replace("e+", "e")
