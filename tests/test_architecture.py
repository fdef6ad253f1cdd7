"""The layers the README draws (pyproject.toml, ``[tool.importlinter]``) hold."""

import ast
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 - our virtualenv's lint-imports
        [str(LINT_IMPORTS), "--no-cache"], cwd=cwd, capture_output=True, text=True,
        env={"PYTHONPATH": str(cwd), "PATH": "/usr/bin:/bin"}, timeout=300)


def test_every_package_imports_only_the_layers_below_it():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_an_import_that_breaks_the_layers_fails(tmp_path):
    """The contract is not vacuous: auth (a low layer) importing settlement is refused,
    even from inside a function."""
    shutil.copytree(ROOT / "crowdfund", tmp_path / "crowdfund",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    services = tmp_path / "crowdfund" / "auth" / "services.py"
    services.write_text(services.read_text() + "\n\ndef _later():\n"
                        "    from crowdfund.settlement import services  # noqa: F401\n")
    result = lint_imports(tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "crowdfund.auth is not allowed to import crowdfund.settlement" in result.stdout


#: Modules that serve pages, and services: their imports are at the top, where a reader
#: (and lint-imports) sees them. Wiring (create_app, the demo, the job loop, the choice of
#: gateway) may import inside functions; the README's "Architecture" says why.
PAGES_AND_SERVICES = ("services.py", "routes.py", "views.py", "studio.py", "fix_pages.py",
                      "campaign_page.py")


def _function_local_project_imports(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for inner in ast.walk(node):
                if isinstance(inner, ast.ImportFrom) and (inner.module or "").startswith(
                        "crowdfund"):
                    found.append(f"{path.relative_to(ROOT)}:{inner.lineno} {inner.module}")
                elif isinstance(inner, ast.Import) and any(
                        alias.name.startswith("crowdfund") for alias in inner.names):
                    found.append(f"{path.relative_to(ROOT)}:{inner.lineno}")
    return found


def test_services_and_pages_import_at_the_top():
    modules = [p for p in (ROOT / "crowdfund").rglob("*.py")
               if p.name in PAGES_AND_SERVICES or p.parent.name in ("studio", "operators")]
    assert len(modules) > 20
    assert [hit for p in modules for hit in _function_local_project_imports(p)] == []


def test_no_module_is_longer_than_400_lines():
    """Past that a module holds more than one subject: split it by subject (complexity is
    ruff's C901, at most 12, in ``make test``'s lint step)."""
    long = {str(p.relative_to(ROOT)): n for p in (ROOT / "crowdfund").rglob("*.py")
            if (n := len(p.read_text().splitlines())) > 400}
    assert long == {}


def test_statuses_are_compared_as_enums_not_strings():
    """``pledge.status is PledgeStatus.ACTIVE`` (Python), ``pledge.status ==
    PledgeStatus.ACTIVE`` (templates): a renamed status then fails loudly."""
    import re

    compared = re.compile(r"\.value\s*(==|!=|\bin\b|\bnot in\b)\s*[\"'(]")
    found = [f"{p.relative_to(ROOT)}:{n}" for p in [*(ROOT / "crowdfund").rglob("*.py"),
                                                   *(ROOT / "templates").rglob("*.html")]
             for n, line in enumerate(p.read_text().splitlines(), 1) if compared.search(line)]
    assert found == []


def test_test_modules_stand_alone():
    """Shared helpers live in conftest.py, factories.py, sandbox.py or browser/helpers.py;
    a test module never imports another (running one alone runs what it says)."""
    found = []
    for path in (ROOT / "tests").rglob("test_*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("tests.") \
                    and node.module.rsplit(".", 1)[-1].startswith("test_"):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.module}")
    assert found == []
