"""How the code is laid out: imports run one way, a target says in one
place what it cannot write, and the code generator hands the compiled
object everything it needs, once."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

import pytest

import hnncompile
from hnncompile import codegen, lower, parse
from hnncompile.errors import CompileError
from hnncompile.gates import GATES, Gate
from hnncompile.ir import Const, Eqn, GateList, Wire

PACKAGE = Path(hnncompile.__file__).parent
# The study tools and the command line sit above the compiled object; the
# code generator sits below it.
ABOVE_CODEGEN = {
    "hnncompile",
    "hnncompile.__main__",
    "hnncompile.cli",
    "hnncompile.commandline",
    "hnncompile.commandline.points",
    "hnncompile.commandline.study",
    "hnncompile.compiled",
    "hnncompile.draw",
    "hnncompile.explore",
    "hnncompile.explorer",
    "hnncompile.explorer.lines",
    "hnncompile.explorer.training",
    "hnncompile.gradcheck",
    "hnncompile.slope",
    "hnncompile.trace",
}
STUDY_TOOLS = [
    "trace",
    "draw",
    "explore",
    "explorer",
    "explorer.lines",
    "explorer.training",
    "gradcheck",
    "slope",
]


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imported(name: str, source: str, known: set[str]) -> set[str]:
    """The hnncompile modules that the module `name` imports, anywhere in
    it (inside functions too), except in `if TYPE_CHECKING:` blocks."""
    is_package = name == "hnncompile" or any(k.startswith(name + ".") for k in known)
    package = name if is_package else name.rpartition(".")[0]
    found = set()
    stack: list[ast.AST] = [ast.parse(source)]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            stack.extend(node.orelse)
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                origin = ".".join([*base, *([node.module] if node.module else [])])
            else:
                origin = node.module or ""
            for alias in node.names:  # a module, or a name the module holds
                submodule = f"{origin}.{alias.name}"
                found.add(submodule if submodule in known else origin)
        stack.extend(ast.iter_child_nodes(node))
    return {module for module in found if module in known and module != name}


def import_graph() -> dict[str, set[str]]:
    known = modules()
    names = set(known)
    return {
        name: imported(name, path.read_text(encoding="utf-8"), names)
        for name, path in known.items()
    }


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the graph as a path that ends where it starts, or None
    (an explicit-stack depth-first search)."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    for start in sorted(graph):
        if start in state:
            continue
        path = [start]
        state[start] = 1
        stack = [iter(sorted(graph[start]))]
        while stack:
            successor = next(stack[-1], None)
            if successor is None:
                state[path.pop()] = 2
                stack.pop()
            elif state.get(successor) == 1:
                return path[path.index(successor) :] + [successor]
            elif successor not in state:
                state[successor] = 1
                path.append(successor)
                stack.append(iter(sorted(graph.get(successor, ()))))
    return None


def test_the_import_reader_sees_lazy_imports_and_skips_type_checking():
    known = {"hnncompile", "hnncompile.a", "hnncompile.b", "hnncompile.c"}
    source = (
        "from typing import TYPE_CHECKING\n"
        "from . import a\n"
        "if TYPE_CHECKING:\n"
        "    from .c import Thing\n"
        "def later():\n"
        "    from .b import thing\n"
    )
    assert imported("hnncompile.x", source, known) == {
        "hnncompile.a",
        "hnncompile.b",
    }
    assert imported("hnncompile.codegen.plan", "from .. import a", known) == {
        "hnncompile.a"
    }


def test_the_cycle_finder_finds_a_cycle_and_only_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None


def test_the_graph_holds_the_packages_real_imports():
    graph = import_graph()
    assert "hnncompile.loader" in graph["hnncompile.compiled"]
    assert "hnncompile.trace" in graph["hnncompile.compiled"]  # f.trace, lazily
    assert "hnncompile.codegen.plan" in graph["hnncompile.codegen.target"]
    assert "hnncompile.gates" in graph["hnncompile.codegen.plan"]


def test_hnncompiles_modules_import_each_other_without_a_cycle():
    assert find_cycle(import_graph()) is None


def test_the_code_generator_imports_nothing_above_it():
    graph = import_graph()
    for name, imports in graph.items():
        if name == "hnncompile.codegen" or name.startswith("hnncompile.codegen."):
            assert not imports & ABOVE_CODEGEN, name


@pytest.mark.parametrize("tool", STUDY_TOOLS)
def test_the_study_tools_do_not_import_the_compiled_object(tool):
    assert "hnncompile.compiled" not in import_graph()[f"hnncompile.{tool}"]


def test_each_codegen_module_says_what_it_holds_and_stays_short():
    for path in sorted((PACKAGE / "codegen").glob("*.py")):
        source = path.read_text(encoding="utf-8")
        assert ast.get_docstring(ast.parse(source)), path.name
        assert source.count("\n") <= 400, path.name


# "A module holds one idea; when one grows past a few hundred lines or
# starts to hold two, split it along the idea."
MODULE_LINES = 500
# The modules still past it, and why each is one idea all the same.
LONG_MODULES = {
    "hnncompile.layout": "a port of black's line splitting, whose parts interlock",
}
# A string this long but a docstring is a page, a style sheet or a script:
# it goes in a file of its own (as hnncompile/explorer/page.js does).
STRING_LINES = 30


def _long_strings(source: str) -> list[int]:
    """The lines where a string of more than STRING_LINES lines starts,
    docstrings (a statement that is a string and nothing else) aside."""
    tree = ast.parse(source)
    docstrings = {
        id(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
    }
    return [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and node.value.count("\n") > STRING_LINES
        and id(node) not in docstrings
    ]


def test_the_string_reader_tells_a_long_string_from_a_docstring():
    lines = "\n".join(["x"] * (STRING_LINES + 2))  # one newline too many
    assert _long_strings(f'"""{lines}"""\ndef f():\n    """{lines}"""\n') == []
    assert _long_strings(f'"""Doc."""\n\nPAGE = """{lines}"""\n') == [3]
    assert _long_strings(f'print("""{lines}""")\n') == [1]


def test_each_module_says_what_it_holds_and_stays_short():
    names = modules()
    assert "hnncompile.explorer.training" in names  # subpackages are counted too
    assert set(LONG_MODULES) <= set(names)
    for name, path in names.items():
        source = path.read_text(encoding="utf-8")
        assert ast.get_docstring(ast.parse(source)), f"{name} has no docstring"
        if name not in LONG_MODULES:
            lines = source.count("\n")
            assert (
                lines <= MODULE_LINES
            ), f"{name} has {lines} lines: split it along its ideas"
        assert _long_strings(source) == [], f"{name}: a page as a Python string"


def test_the_explorers_page_files_are_in_the_package():
    """Real files, which the wheel ships (tests/wheel_smoke.py writes a page
    from the installed wheel)."""
    for name in ("page.html", "page.css", "page.js"):
        text = (PACKAGE / "explorer" / name).read_text(encoding="utf-8")
        assert text.count("\n") >= 40, name


# The lowering, split along its ideas: lower.py walks the program and
# lowers the forms of chapters 1-2, lower_arrays.py the spellings of
# section 5, lower_functions.py inlines the program's own functions, and
# lower_words.py holds the words all of them read.
LOWERING = [
    "hnncompile.lower",
    "hnncompile.lower_arrays",
    "hnncompile.lower_functions",
    "hnncompile.lower_words",
]


def test_the_lowering_imports_run_one_way():
    graph = import_graph()
    lowering = set(LOWERING)
    assert graph["hnncompile.lower"] & lowering == {
        "hnncompile.lower_arrays",
        "hnncompile.lower_functions",
        "hnncompile.lower_words",
    }
    assert graph["hnncompile.lower_arrays"] & lowering == {"hnncompile.lower_words"}
    assert graph["hnncompile.lower_functions"] & lowering == {"hnncompile.lower_words"}
    assert not graph["hnncompile.lower_words"] & lowering
    for name in ("hnncompile.parse", "hnncompile.gates", "hnncompile.ir"):
        assert not graph[name] & lowering, name  # the stages before, the catalogue
    parsing = {name for name in graph if name.startswith("hnncompile.parse")}
    assert parsing >= {"hnncompile.parse_tokens", "hnncompile.parse_table"}
    for name in parsing:
        assert not graph[name] & lowering, name


def test_each_lowering_module_says_what_it_holds_and_stays_short():
    for name in LOWERING:
        source = modules()[name].read_text(encoding="utf-8")
        assert ast.get_docstring(ast.parse(source)), name
        assert source.count("\n") <= 500, name


# -- one place where a target refuses an operation -------------------------


@dataclass(frozen=True)
class ArrayGate(Gate):
    array_only: str | None = None


MATMUL = ArrayGate(
    name="fake_matmul",
    inputs=("x", "y"),
    forward="{x} @ {y}",
    grads=("{dout} @ {y}.T", "{x}.T @ {dout}"),
    explain="the matrix product",
    array_only="the matrix product",
)


def matmul_program() -> GateList:
    source = "c = a + b\nm = a @ b\n"
    return GateList(
        inputs=("a", "b"),
        eqns=(
            Eqn("c", "add", (Wire("a"), Wire("b")), line=1, column=5),
            Eqn("m", "fake_matmul", (Wire("a"), Wire("c")), line=2, column=5),
        ),
        output="m",
        source_names=frozenset({"a", "b", "c", "m"}),
        source=source,
    )


def test_every_gate_of_the_catalogue_is_written_by_every_target():
    """...but for the array gates, which the array target alone writes."""
    array_gates = [name for name, gate in GATES.items() if gate.array_only]
    assert "matmul" in array_gates and "add" not in array_gates
    for target in codegen.TARGETS.values():
        refused = [name for name, gate in GATES.items() if target.refuses(gate)]
        wanted = [] if target.name == "numpy" else array_gates
        if target.name == "numba":  # its loops add up sum and mean, no other
            reduces = {"logsumexp"} | {n for n in array_gates if GATES[n].reduces}
            wanted = [name for name in GATES if name in set(array_gates) | reduces]
        assert refused == wanted


@pytest.mark.parametrize("target", ["python", "js"])
def test_a_target_of_numbers_refuses_an_array_gate_where_it_is(monkeypatch, target):
    monkeypatch.setitem(GATES, "fake_matmul", MATMUL)
    assert codegen.TARGETS[target].refuses(MATMUL) == "the matrix product"
    for generate in (codegen.generate, codegen.generate_module):
        with pytest.raises(CompileError) as caught:
            generate(matmul_program(), target=target)
        assert (caught.value.line, caught.value.column) == (2, 5)
        assert caught.value.message == (
            "the matrix product needs the array target: compile with target='numpy'"
        )


def test_the_array_target_writes_an_array_gate(monkeypatch):
    monkeypatch.setitem(GATES, "fake_matmul", MATMUL)
    assert codegen.TARGETS["numpy"].refuses(MATMUL) is None
    source = codegen.generate(matmul_program(), target="numpy", comments=False)
    assert "    m = a @ c\n" in source
    assert "    dc = a.T @ dout\n" in source


# -- the generator hands everything over once ------------------------------


def gates_of(source: str):
    return lower.lower(parse.parse(source))


def test_the_generated_module_carries_what_the_compiled_object_needs():
    gates = gates_of("lambda = a * b + c\nf = sigmoid(lambda)")
    module = codegen.generate_module(gates, wrt=["c", "a"], target="js")
    assert module.source == codegen.generate(gates, wrt=["a", "c"], target="js")
    assert module.source.startswith("// Generated by hnncompile")
    assert module.runnable == codegen.generate(gates, wrt=["a", "c"], comments=False)
    assert (module.target, module.runs_as, module.wrt) == ("js", "python", ("a", "c"))
    assert dict(module.identifiers) == codegen.identifiers(gates)
    assert module.identifiers["lambda"] == "lambda_"
    python = codegen.generate_module(gates, target="numpy")
    assert python.runnable is python.source
    assert (python.runs_as, python.wrt) == ("numpy", ("a", "b", "c"))


@pytest.mark.parametrize("target", ["python", "numpy", "js"])
def test_compiling_asks_the_code_generator_once(target):
    calls = []
    real = codegen.Names.of

    def counted(gates):
        calls.append(gates)
        return real(gates)

    again = {"side_effect": AssertionError("asked again")}
    with (
        mock.patch.object(codegen, "generate", **again),
        mock.patch.object(codegen, "identifiers", **again),
        mock.patch.object(codegen.Names, "of", counted),
    ):
        f = hnncompile.compile("lambda = a * b + c\nf = sigmoid(lambda)", target=target)
    assert len(calls) == 1  # the wires are named once
    assert f(1.0, 2.0, -1.0) == pytest.approx(0.7310585786)
    assert f.backward(1.0, 2.0, -1.0) == pytest.approx(
        (0.3932238664, 0.1966119332, 0.1966119332)
    )
    assert f.forward.__name__ == "forward"


def test_the_js_target_has_no_fast_path_module_of_its_own():
    gates = gates_of("f = a * b")
    with pytest.raises(ValueError, match="js target has no value_and_grad"):
        codegen.generate_value_and_grad(gates, target="js")
    f = hnncompile.compile("f = a * b", target="js")
    assert f.value_and_grad(2.0, 3.0) == (6.0, (3.0, 2.0))
    assert "def value_and_grad(a, b, dout=1.0):" in f.value_and_grad_source
