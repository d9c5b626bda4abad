"""The language of SPEC.md section 5 (vectors and matrices), down to the
gate list: parsing, lowering, data inputs, the refusals on the python and
js targets, the mistakes, and that every program of before lowers as it
did."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hnncompile.lower import lower
from hnncompile.parse import parse

HERE = Path(__file__).parent
ROOT = HERE.parent
# str(gates) of every program of the tests and examples, lowered by main
# before the matrix language existed.
BEFORE = json.loads((HERE / "data" / "lowered_before_matrices.json").read_text())


@pytest.mark.parametrize("key", sorted(BEFORE))
def test_every_program_of_before_lowers_to_the_same_gate_list(key):
    entry = BEFORE[key]
    if "source" in entry:
        source, filename = entry["source"], "<string>"
    else:
        source, filename = (ROOT / key).read_text(encoding="utf-8"), key
    assert str(lower(parse(source, filename))) == entry["gates"]
