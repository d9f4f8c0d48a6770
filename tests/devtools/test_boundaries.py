"""devtools is for developers: the platform's own packages never import it, so a deployment does not depend
on the generator (only INSTALLED_APPS names it, for its commands)."""
import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PLATFORM = ("config", "core", "insurance", "policy_rules", "claims", "fund_budget")


def test_the_platform_does_not_import_devtools():
    found = []
    for package in PLATFORM:
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                    [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else []
                found += [f"{path.relative_to(ROOT)}:{node.lineno}" for n in names if n.split(".")[0] == "devtools"]
    assert not found, f"the platform imports devtools: {found}"
