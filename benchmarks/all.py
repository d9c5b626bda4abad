"""Every benchmark, one after another: the tables of README's Performance.

    pip install '.[bench]'
    python benchmarks/all.py [--quick]

--quick runs the smallest size of each, as the tests do.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import array_target  # noqa: E402
import compile_time  # noqa: E402
import compile_vs  # noqa: E402
import matrices  # noqa: E402
import scalar  # noqa: E402


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    quick = parser.parse_args(argv).quick
    print("## (a) scalar value + gradient per call\n")
    scalar.main(["--rounds", "2", "--examples", "single_gate"] if quick else [])
    print("\n## (b) compile time against SymPy and JAX\n")
    compile_vs.main(["10", "--budget", "5"] if quick else [])
    print("\n## (c) the array target on 10^6 points\n")
    array_target.main(["--points", "1000", "--rounds", "1"] if quick else [])
    print("\n## (d) matrices: a 2-layer softmax classifier's gradient\n")
    matrices.main(["--batch", "256", "--rounds", "1"] if quick else [])
    print("\n## compile time by size: linear?\n")
    compile_time.main([100] if quick else [100, 1000, 10000, 100000])


if __name__ == "__main__":
    main()
