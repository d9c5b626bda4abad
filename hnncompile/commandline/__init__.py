"""The command line's parts below cli.py (which holds the parser, main and
the compile command): what every part shares, the exit codes and the
mistake a user made (printed, then exit 2), and which --mode goes with
which --emit and --target, here; the points and shapes read from the
command line (NAME=VALUE, --shapes, --inputs POINT.npz, random points whose
data fit) in points.py; and the study commands (grad, check, trace, draw,
explore) in study.py."""

from ..codegen import FORWARD_MODE_TARGETS

EXIT_OK, EXIT_CHECK_FAILED, EXIT_BAD_INPUT = 0, 1, 2


class UserMistake(Exception):
    """Bad input from the command line: printed, then exit 2."""


def check_mode(mode: str, emit: str, target: str) -> None:
    """`compile --mode jvp|hvp` writes a module, on a target that writes one:
    otherwise a UserMistake that says what to ask for instead."""
    if mode == "backward":
        return
    if emit != "module":
        raise UserMistake(
            f"--mode {mode} picks the module to write, and --emit {emit} "
            f"writes the gate list instead (the same in every mode): drop "
            f"--mode {mode}, or --emit {emit}"
        )
    if target not in FORWARD_MODE_TARGETS:
        raise UserMistake(
            f"the {target} target writes no {mode} module (its f.{mode} runs "
            f"the numpy target's): compile with --target numpy to read it"
        )
