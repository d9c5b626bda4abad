"""THE catalogue of gates: every primitive hnncompile knows, written once.

Each entry says how a gate computes its output going forward and, for each
input, what it sends back: the local gradient times the gradient arriving
from above (the chain rule), written as a Python template. Everything else
reads these entries: lowering (which functions exist, how many arguments),
the code generator (the lines it writes), the explanatory comments, the
gradient checker (where a gate has a kink) and the tests (every gate checked
against a numerical gradient). Adding a gate is adding one entry here, in
the module of its idea: `scalar.py` and `elementary.py` the gates of
chapters 1-2 (numbers, every target), `arrays.py` the vectors and matrices of SPEC section 5 (the
array target only), `stable.py` the numerically stable gates of section 6
(softplus, logsumexp, softmax, cross_entropy, ...); `gate.py` holds the Gate itself and `fill`, which puts
names and numbers into its templates. This module gathers them into the
lookups everything else reads: GATES by name, FUNCTIONS by the name a
program calls them.

Templates are Python (`math`) code; a gate whose NumPy form differs (the
array target: ufuncs, masks instead of `if`, real reductions) gives that
form beside it, in `numpy_forward` and `numpy_grads`, and a gate whose
JavaScript differs (the tutorial's own language: `Math.exp`, `c ? a : b`)
gives it in `js_forward` and `js_grads`.

Placeholders in the templates (the explanations may use them all too):
  {x}, {y}     the gate's inputs (a wire's name or a number)
  {out}        the gate's own output, as in the tutorial's sigmoid: s*(1-s)
  {dout}       the gradient arriving on the output from above
  {p}, {p_minus_1}  the constant exponent of `powc` and `fracpow`, and that
               minus one; {p_times_p_minus_1} and {p_minus_2}, the second
               derivative's factor and exponent, folded when lowering
  {c}, {log_c} the constant of `maxc`, `minc` and `cpow` (the base, with its
               log, so that float32 stays float32 on the array target)
and in forward mode (`Gate.tangent`, `Gate.second`: `tangent.py`):
  {x_dot}, {y_dot}  the inputs' tangents, their nudges
  {out_dot}    the output's tangent (in a second-derivative rule)

NaN in gives NaN out on every target, and a real program never returns a
complex number: where a power has no real value (a negative base, a
fractional exponent) its value and gradients are NaN, as NumPy's and
JavaScript's are. Where a template would need a test that a constant could
decide while lowering, lowering picks a gate that needs none instead: an
integer exponent (`powc`) or a fractional one (`fracpow`), a positive
constant base (`cpow`), max and min with a constant (`maxc`, `minc`).
"""

from __future__ import annotations

from .arrays import ARRAY_GATES
from .gate import Gate, fill
from .scalar import SCALAR_GATES
from .stable import STABLE_GATES

__all__ = ["FUNCTIONS", "GATES", "Gate", "fill"]

GATES: dict[str, Gate] = {
    gate.name: gate for gate in SCALAR_GATES + ARRAY_GATES + STABLE_GATES
}

# The functions a program may call, by the name it calls them.
FUNCTIONS: dict[str, Gate] = {
    gate.function: gate for gate in SCALAR_GATES + STABLE_GATES if gate.function
}
