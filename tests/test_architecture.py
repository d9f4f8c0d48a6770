"""The shape of the house, checked on every run: the import contracts (pyproject's [tool.importlinter]: a pure
engine and write plan, one direction between apps and rooms, no cycles), modules under 600 lines, and no
import of the project's own modules inside a function unless a comment on that line says why."""
import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("config", "core", "insurance", "policy_rules", "claims", "review", "fund_budget", "devtools", "portal")
MAX_LINES = 600


def _modules():
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" not in path.parts:
                yield path


def test_import_contracts_are_kept():
    run = subprocess.run([str(Path(sys.executable).parent / "lint-imports"), "--no-cache", "--no-logo"], cwd=ROOT,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "0 broken" in run.stdout


def test_modules_stay_under_600_lines():
    large = {str(p.relative_to(ROOT)): n for p in _modules() if (n := p.read_text().count("\n") + 1) > MAX_LINES}
    assert large == {}


def test_no_unexplained_imports_inside_functions():
    hidden = []
    for path in _modules():
        text = path.read_text()
        lines = text.splitlines()
        for node in ast.walk(ast.parse(text)):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for sub in ast.walk(node):
                if isinstance(sub, ast.ImportFrom):
                    names = [sub.module or ""] if not sub.level else ["."]
                elif isinstance(sub, ast.Import):
                    names = [a.name for a in sub.names]
                else:
                    continue
                ours = any(n == "." or n.split(".")[0] in PACKAGES for n in names)
                explained = "#" in lines[sub.lineno - 1] or lines[sub.lineno - 2].strip().startswith("#")
                if ours and not explained:
                    hidden.append(f"{path.relative_to(ROOT)}:{sub.lineno}")
    assert hidden == []
