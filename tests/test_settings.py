"""Settings declared once: every setting the project's code reads is declared in config/settings.py with a
comment line above it, none is read with a fallback default, every variable settings.py reads from the
environment is in README's configuration table, and a value of the wrong type stops the settings."""
import ast
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.settings import env_bool, env_choice, env_int, env_list, env_str

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = ROOT / "config" / "settings.py"
SKIP = {".git", ".venv", "venv", "node_modules", "migrations", "staticfiles", "__pycache__", ".ruff_cache",
        "build", "dist"}
ENV_READERS = {"env_str", "env_bool", "env_int", "env_list", "env_choice"}


def project_sources() -> list[Path]:
    return [p for p in ROOT.rglob("*.py")
            if not any(part in SKIP or part.endswith(".egg-info") for part in p.relative_to(ROOT).parts[:-1])]


def settings_reads(tree: ast.AST) -> tuple[set[str], list[int]]:
    """Names read as settings.NAME or overridden with override_settings(NAME=...), and the lines of any
    getattr(settings, ...) (a read with a fallback that hides an undeclared setting)."""
    names, getattrs = set(), []
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "settings"
                and node.attr.isupper()):
            names.add(node.attr)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            if node.func.id == "getattr" and node.args and isinstance(node.args[0], ast.Name) \
                    and node.args[0].id == "settings":
                getattrs.append(node.lineno)
            elif node.func.id == "override_settings":
                names.update(k.arg for k in node.keywords if k.arg)
    return names, getattrs


def declarations() -> dict[str, list[int]]:
    """Every upper-case name config/settings.py assigns, with the lines it is assigned on."""
    out: dict[str, list[int]] = {}
    for node in ast.walk(ast.parse(SETTINGS.read_text(encoding="utf-8"))):
        targets = node.targets if isinstance(node, ast.Assign) else \
            [node.target] if isinstance(node, ast.AnnAssign | ast.AugAssign) else []
        for t in targets:
            if isinstance(t, ast.Name) and t.id.isupper():
                out.setdefault(t.id, []).append(node.lineno)
    return out


def environment_variables() -> set[str]:
    """The variables config/settings.py reads: env_*("NAME", ...) and os.environ.get("NAME")."""
    out = set()
    for node in ast.walk(ast.parse(SETTINGS.read_text(encoding="utf-8"))):
        if not (isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant)):
            continue
        func = node.func
        if (isinstance(func, ast.Name) and func.id in ENV_READERS) or (
                isinstance(func, ast.Attribute) and func.attr in ("get", "getenv")
                and ast.unparse(func.value) in ("os.environ", "os")):
            out.add(node.args[0].value)
    return out


def readme_configuration_rows() -> dict[str, str]:
    """README's configuration table: each `VARIABLE` of a row's first cell → the row."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Configuration", 1)[1].split("\n#", 1)[0]
    rows = {}
    for line in section.splitlines():
        if line.startswith("|") and not line.startswith("|---"):
            for name in re.findall(r"`([A-Z][A-Z0-9_]+)`", line.split("|")[1]):
                rows[name] = line
    return rows


def test_every_setting_the_code_reads_is_declared_once_with_a_comment():
    declared = declarations()
    lines = SETTINGS.read_text(encoding="utf-8").splitlines()
    used: dict[str, set[str]] = {}
    fallbacks = []
    for path in project_sources():
        names, getattrs = settings_reads(ast.parse(path.read_text(encoding="utf-8"), str(path)))
        rel = str(path.relative_to(ROOT))
        for name in names:
            used.setdefault(name, set()).add(rel)
        fallbacks += [f"{rel}:{line}" for line in getattrs]
    assert used.keys() >= {"DAILY_JOB_CHUNKS", "APPEAL_WINDOW_DAYS", "TIME_ZONE"}  # the scan sees the code
    assert not fallbacks, f"read settings as settings.NAME, declared in config/settings.py: {fallbacks}"
    missing = {n: sorted(files) for n, files in used.items() if n not in declared}
    assert not missing, f"settings read but not declared in config/settings.py: {missing}"
    twice = {n: at for n, at in declared.items() if len(at) > 1}
    assert not twice, f"settings assigned more than once: {twice}"
    uncommented = [n for n, (at,) in declared.items() if not lines[at - 2].lstrip().startswith("#")]
    assert not uncommented, f"settings without a comment line above them: {uncommented}"


def test_readme_lists_every_variable_the_settings_read():
    variables = environment_variables()
    assert {"DATABASE_URL", "DAILY_JOB_BULK", "FUND_STATEMENT_CUTOFF_LAG_MINUTES"} <= variables
    rows = readme_configuration_rows()
    assert not variables - rows.keys(), f"missing from README's configuration table: {variables - rows.keys()}"
    # and every row says something about its default and meaning
    assert all(row.count("|") >= 4 for row in rows.values())


def test_environment_values_are_read_by_type(monkeypatch):
    monkeypatch.delenv("YIBAO_TEST_SETTING", raising=False)
    assert env_int("YIBAO_TEST_SETTING", 7) == 7 and env_bool("YIBAO_TEST_SETTING", True) is True
    assert env_str("YIBAO_TEST_SETTING", "x") == "x" and env_list("YIBAO_TEST_SETTING", "a, b,") == ["a", "b"]
    monkeypatch.setenv("YIBAO_TEST_SETTING", " 12 ")
    assert env_int("YIBAO_TEST_SETTING", 7, minimum=0, maximum=23) == 12
    monkeypatch.setenv("YIBAO_TEST_SETTING", "")
    assert env_int("YIBAO_TEST_SETTING", 7) == 7 and env_str("YIBAO_TEST_SETTING", "x") == "x"
    assert env_bool("YIBAO_TEST_SETTING", True) is False  # set but empty: off, as before
    for word, value in (("ON", True), ("yes", True), ("1", True), ("off", False), ("0", False), ("No", False)):
        monkeypatch.setenv("YIBAO_TEST_SETTING", word)
        assert env_bool("YIBAO_TEST_SETTING", not value) is value
    monkeypatch.setenv("YIBAO_TEST_SETTING", "warning")
    assert env_choice("YIBAO_TEST_SETTING", "INFO", ("INFO", "WARNING")) == "WARNING"
    for reader, value in ((env_int, "eight"), (env_int, "2.5"), (env_bool, "maybe")):
        monkeypatch.setenv("YIBAO_TEST_SETTING", value)
        with pytest.raises(ImproperlyConfigured, match="YIBAO_TEST_SETTING"):
            reader("YIBAO_TEST_SETTING", 1)
    monkeypatch.setenv("YIBAO_TEST_SETTING", "24")
    with pytest.raises(ImproperlyConfigured, match="between 0 and 23"):
        env_int("YIBAO_TEST_SETTING", 2, minimum=0, maximum=23)
    monkeypatch.setenv("YIBAO_TEST_SETTING", "verbose")
    with pytest.raises(ImproperlyConfigured, match="one of INFO, WARNING"):
        env_choice("YIBAO_TEST_SETTING", "INFO", ("INFO", "WARNING"))


def test_a_wrong_value_stops_the_settings():
    env = {**os.environ, "DEBUG": "1", "DAILY_JOB_CHUNKS": "eight"}
    done = subprocess.run([sys.executable, "-c", "import config.settings"], cwd=ROOT, env=env,
                          capture_output=True, text=True)
    assert done.returncode != 0 and "DAILY_JOB_CHUNKS must be a whole number, not 'eight'" in done.stderr
