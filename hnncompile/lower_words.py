"""The words both halves of the lowering read a program by.

The other names a program may call a gate by (`sig`), the functions that
are operators in disguise (`pow`), and how a literal or a computed
constant is written back into the generated code. `lower.py` (the forms of
chapters 1-2) and `lower_arrays.py` (the spellings of SPEC section 5) both
import these; this module imports neither.
"""

from __future__ import annotations

from .gates import FUNCTIONS
from .syntax import Number

# Other names a program may call a gate by.
ALIASES = {"sig": "sigmoid"}
# Functions that are operators in disguise.
OPERATOR_FUNCTIONS = {"pow": "**"}


def known_functions() -> list[str]:
    return sorted(set(FUNCTIONS) | set(ALIASES) | set(OPERATOR_FUNCTIONS))


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
