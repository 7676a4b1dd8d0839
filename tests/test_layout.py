"""The package's shape: no import cycle, imports only run down the stages, `import whisper_viz` stays cheap."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "whisper_viz"
# a module may import from its own folder and from folders of a lower rank only
RANKS = {"constants": 0, "errors": 0, "lazy": 0, "jit": 0, "results": 1, "heads": 1, "budget_cache": 1,
         "weights": 2, "alignment": 2, "engine": 3, "evaluation": 4, "experiments": 5,
         "figures": 6, "export": 6, "cli": 7, "ui": 7, "__init__": 8, "__main__": 8}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """Every whisper_viz module `path` imports (top level and inside functions), resolved to module names."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("whisper_viz")}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if not target.startswith("whisper_viz"):
                continue
            for alias in node.names:  # `from . import x` may name a module
                sub = f"{target}.{alias.name}"
                found.add(sub if (PACKAGE.parent / (sub.replace(".", "/") + ".py")).exists()
                          or (PACKAGE.parent / sub.replace(".", "/")).is_dir() else target)
    return found


GRAPH = {module_name(p): imports_of(p) for p in PACKAGE.rglob("*.py")}


def stage(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def test_the_package_has_no_import_cycle():
    state, cycles = {}, []

    def visit(node, trail):
        state[node] = "open"
        for nxt in sorted(GRAPH.get(node, ())):
            if nxt not in GRAPH:
                continue
            if state.get(nxt) == "open":
                cycles.append(trail[trail.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt, trail + [nxt])
        state[node] = "done"

    for node in sorted(GRAPH):
        if node not in state:
            visit(node, [node])
    assert not cycles, cycles


def test_the_cycle_check_finds_a_planted_cycle(monkeypatch):
    planted = dict(GRAPH)
    planted["whisper_viz.errors"] = GRAPH["whisper_viz.errors"] | {"whisper_viz.results"}
    planted["whisper_viz.results"] = GRAPH["whisper_viz.results"] | {"whisper_viz.errors"}
    monkeypatch.setitem(globals(), "GRAPH", planted)
    with pytest.raises(AssertionError, match="whisper_viz.errors"):
        test_the_package_has_no_import_cycle()


def test_imports_only_run_down_the_stages():
    upward = [(m, t) for m, targets in GRAPH.items() for t in targets
              if stage(t) != stage(m) and RANKS[stage(t)] >= RANKS[stage(m)]]
    assert not upward, upward
    assert set(RANKS) >= {stage(m) for m in GRAPH}, "a new stage needs a rank"


def test_streamlit_is_imported_only_by_the_ui():
    for path in PACKAGE.rglob("*.py"):
        if stage(module_name(path)) != "ui":
            assert "streamlit" not in path.read_text(), path


@pytest.mark.parametrize("code", [
    "import whisper_viz, sys; whisper_viz.HeadSet; assert not {'torch', 'numba', 'streamlit'} & set(sys.modules)",
    "import sys; from whisper_viz.cli.main import build_parser; build_parser(); assert 'torch' not in sys.modules",
])
def test_light_imports_do_not_load_torch(code):
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_help_answers_without_torch():
    out = subprocess.run([sys.executable, "-X", "importtime", "-m", "whisper_viz", "--help"], capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0 and "analyze" in out.stdout
    assert " torch" not in out.stderr and " numba" not in out.stderr


def test_lazy_exports_resolve_and_list():
    import whisper_viz as wv

    assert wv.load_model.__module__ == "whisper_viz.engine.loading"
    assert {"analyze", "align_words", "HeadSet", "AnalysisResult"} <= set(dir(wv))
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        wv.nope


def test_every_package_says_its_stage_in_two_lines():
    for init in PACKAGE.rglob("__init__.py"):
        doc = ast.get_docstring(ast.parse(init.read_text()), clean=False)
        assert doc and (init.parent == PACKAGE or len(doc.strip().splitlines()) == 2), init
