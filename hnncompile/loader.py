"""Generated source -> a namespace of functions that tracebacks can show.

`load_module` executes a generated module. Each one is also written to a
file of its own in a temporary folder (removed when the process exits),
because Python before 3.13 prints an uncaught exception's traceback from
files only: so a script that dies in a generated function shows the
generated line. The text stays in linecache and on disk while a function
from it lives, and for a few modules after (KEPT_AFTER_DEATH), so that a
traceback printed later still shows it.

A module whose compiled functions Numba keeps on disk (`cache=True`, the
numba target's) is written instead to a file that stays, named by a hash
of its text, and executed whole: Numba finds its cache beside the file, by
the file's path and time, so the next process that compiles the same
program loads the machine code instead of compiling it again.
"""

from __future__ import annotations

import atexit
import builtins
import collections
import contextlib
import hashlib
import itertools
import linecache
import os
import re
import shutil
import sys
import tempfile
import threading
import types
import weakref
from typing import Any

_module_numbers = itertools.count(1)


# How many modules whose functions are all gone keep their text in
# linecache, for the tracebacks still to be printed (a logged or saved
# exception formats its lines later), and how much text that may be at most.
KEPT_AFTER_DEATH = 16
KEPT_AFTER_DEATH_CHARACTERS = 4_000_000
_dead: collections.OrderedDict[str, int] = collections.OrderedDict()
_dead_lock = threading.RLock()  # a finalizer may run inside another's lock


# What marks a module whose compiled functions Numba caches beside its file.
NUMBA_CACHED = "@numba.njit(cache=True"


def load_module(source: str, label: str) -> dict[str, Any]:
    """Execute generated source in a fresh namespace and return it.

    The source is registered with linecache, so tracebacks and
    inspect.getsource show the generated lines, for as long as one of its
    functions lives, and afterwards while it is one of the last
    KEPT_AFTER_DEATH modules to go (a traceback may be printed after the
    object it came from is gone): so that compiling many programs does not
    keep every module's text.
    """
    cached = NUMBA_CACHED in source
    if cached:
        filename = _lasting_file(source, label)
    else:
        filename = _source_file(source, label, next(_module_numbers))
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    namespace: dict[str, Any] = {"__name__": "hnncompile_generated"}
    if cached:  # a module Numba can find again by name, to load its cache
        module = types.ModuleType(f"hnncompile_numba_{os.path.basename(filename)[:-3]}")
        module.__file__ = filename
        namespace = sys.modules.setdefault(module.__name__, module).__dict__
    for part in [source] if cached else _top_level_parts(source):
        exec(builtins.compile(part, filename, "exec"), namespace)  # noqa: S102
    functions = [v for v in namespace.values() if isinstance(v, types.FunctionType)]
    alive = [len(functions)]

    def forget_one() -> None:
        alive[0] -= 1
        if not alive[0]:
            _retire(filename, len(source))

    for function in functions:
        weakref.finalize(function, forget_one)
    return namespace


def _retire(filename: str, size: int) -> None:
    """Keep a module whose functions are gone among the last few kept,
    dropping the oldest from linecache."""
    with _dead_lock:
        _dead[filename] = size
        total = sum(_dead.values())
        while _dead and (
            len(_dead) > KEPT_AFTER_DEATH or total > KEPT_AFTER_DEATH_CHARACTERS
        ):
            oldest, oldest_size = _dead.popitem(last=False)
            total -= oldest_size
            linecache.cache.pop(oldest, None)
            if not oldest.startswith("<") and not oldest.startswith(_lasting[0]):
                with contextlib.suppress(OSError):
                    os.remove(oldest)


_folder: list[str] = []  # the temporary folder of this process's modules


def _remove_folder(folder: str, owner: int) -> None:
    if os.getpid() == owner:  # not in a forked child: the folder is its parent's
        shutil.rmtree(folder, ignore_errors=True)


def _source_file(source: str, label: str, number: int) -> str:
    """The name the module's code is compiled under: a file holding the
    source, or, where no file can be written, `<hnncompile label #n>`
    (linecache still has the text for tracebacks formatted in Python)."""
    label = re.sub(r"\W", "_", label)[:40]
    try:
        with _dead_lock:
            if not _folder:
                _folder.append(tempfile.mkdtemp(prefix="hnncompile-"))
                atexit.register(_remove_folder, _folder[0], os.getpid())
        path = os.path.join(_folder[0], f"{label}-{number}.py")
        with open(path, "w", encoding="utf-8") as file:
            file.write(source)
        return path
    except OSError:
        return f"<hnncompile {label} #{number}>"


# Where they go: $HNNCOMPILE_NUMBA_CACHE, or a folder in the system's
# temporary one (Numba writes its cache in __pycache__ beside each file).
_lasting = [
    os.environ.get("HNNCOMPILE_NUMBA_CACHE")
    or os.path.join(tempfile.gettempdir(), "hnncompile-numba-cache")
]


def _lasting_file(source: str, label: str) -> str:
    """The file of a module that Numba caches: in a folder that outlives
    the process, named by the module's text, written once (rewriting it
    would change its time, and Numba's cache would no longer match it)."""
    label = re.sub(r"\W", "_", label)[:40]
    digest = hashlib.sha256(source.encode("utf-8")).hexdigest()[:20]
    path = os.path.join(_lasting[0], f"{label}_{digest}.py")
    try:
        if not os.path.exists(path):
            os.makedirs(_lasting[0], exist_ok=True)
            partial = f"{path}.{os.getpid()}.{threading.get_ident()}"
            with open(partial, "w", encoding="utf-8") as file:
                file.write(source)
            os.replace(partial, path)  # whole, or not at all
        return path
    except OSError:
        return f"<hnncompile {label} {digest}>"


_TOP_LEVEL_DEF = re.compile(r"^(?=def )", re.MULTILINE)


def _top_level_parts(source: str) -> list[str]:
    """The module cut before each top-level `def`, each part padded with
    blank lines so that its line numbers are the module's.

    CPython's compiler holds the whole syntax tree of what it compiles: for
    a 10^5-gate module, about 1 GB, and faulting that memory in cost more
    than the compiling. One function at a time, the peak is the largest
    function's tree, and compile time stays close to linear in size.
    """
    starts = [match.start() for match in _TOP_LEVEL_DEF.finditer(source)]
    bounds = sorted({0, *starts, len(source)})
    return [
        "\n" * source.count("\n", 0, start) + source[start:end]
        for start, end in zip(bounds, bounds[1:])
    ]
