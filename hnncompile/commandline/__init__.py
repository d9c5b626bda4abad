"""The command line's parts below cli.py (which holds the parser, main and
the compile command): what every part shares, the exit codes and the
mistake a user made (printed, then exit 2), here; the points and shapes
read from the command line (NAME=VALUE, --shapes, --inputs POINT.npz,
random points whose data fit) in points.py; and the study commands (grad,
check, trace, draw, explore) in study.py."""

EXIT_OK, EXIT_CHECK_FAILED, EXIT_BAD_INPUT = 0, 1, 2


class UserMistake(Exception):
    """Bad input from the command line: printed, then exit 2."""
