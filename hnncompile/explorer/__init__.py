"""The parts of the explorer page that explore.py puts together.

- this package: what every part shares, the tutorial's step and the
  refusal of a program the page cannot show (one of vectors and matrices);
- training.py: the training mode's settle-up (`Training`, `training()`:
  the data inputs, the score wire, the parameters and where they start);
- lines.py: what each line of the generated JavaScript computes, for the
  numbers beside the code, for picking a wire, and for stepping through
  backward gate by gate (read from the backward plan);
- page.html, page.css, page.js: the page's skeleton (a str.format
  template), its style sheet and its own script, shipped in the wheel.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import codegen
from ..gates import GATES

if TYPE_CHECKING:
    from ..compiled import CompiledFunction

STEP_SIZE = 0.01  # the tutorial's step in chapters 1 and 2


def refuse_matrices(f: CompiledFunction) -> None:
    """The page's sliders move numbers, and its JavaScript has no arrays: a
    program of vectors and matrices (SPEC section 5: a matrix product, an
    axis reduction, indexing, a reshape) is a ValueError that names the
    first such operation and says what to use instead."""
    js = codegen.TARGETS["js"]
    for eqn in f.gates.eqns:
        what = js.refuses(GATES[eqn.gate])
        if what is not None:
            raise ValueError(
                f"the explorer works on programs of numbers (one slider an "
                f"input), and {what} on line {eqn.line} ({eqn.out}) needs "
                "arrays: use trace or draw for a program of vectors and "
                "matrices (hnncompile trace FILE --shapes ...)"
            )
