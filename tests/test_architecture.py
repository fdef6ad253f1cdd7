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


#: The only modules that may import project modules inside functions, and why (README,
#: "Architecture"). Everywhere else imports are at the top, where a reader and
#: lint-imports see them: an import inside a function hides a cycle or a missing event.
WIRING = {
    "crowdfund/__init__.py": "create_app: the order features are registered in; importing "
                             "any module never imports every feature",
    "crowdfund/demo/__init__.py": "the demo seeder draws on every feature, only when run",
    "crowdfund/demo/scenes.py": "the demo's scenes, the same",
    "crowdfund/payments/__init__.py": "the Stripe library is imported only when configured",
}


def _function_local_project_imports(path: Path, root: Path = ROOT) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            for inner in ast.walk(node):
                if isinstance(inner, ast.ImportFrom) and (
                        inner.level or (inner.module or "").split(".")[0] == "crowdfund"):
                    found.add(f"{path.relative_to(root)}:{inner.lineno} {inner.module}")
                elif isinstance(inner, ast.Import) and any(
                        alias.name.split(".")[0] == "crowdfund" for alias in inner.names):
                    found.add(f"{path.relative_to(root)}:{inner.lineno}")
    return found


def test_modules_import_at_the_top():
    """Every module of crowdfund/ but the wiring above: no project import in a function."""
    modules = sorted((ROOT / "crowdfund").rglob("*.py"))
    assert len(modules) > 100
    hidden = sorted(hit for p in modules if str(p.relative_to(ROOT)) not in WIRING
                    for hit in _function_local_project_imports(p))
    assert hidden == []
    # The list only shrinks: a module that no longer needs its exception loses it.
    assert [m for m in WIRING if not _function_local_project_imports(ROOT / m)] == []


def test_a_function_local_import_is_found(tmp_path):
    """The check is not vacuous: the import the outbox once hid in a function (a cycle with
    account_emails), a nested one, a relative one and a plain ``import`` are all found."""
    module = tmp_path / "crowdfund" / "notifications" / "outbox.py"
    module.parent.mkdir(parents=True)
    module.write_text("import json\n\n\ndef _message(row):\n"
                      "    from crowdfund.notifications.account_emails import expand_links\n"
                      "    return expand_links(row)\n\n\n"
                      "class Mailer:\n    def send(self):\n        def later():\n"
                      "            from . import models\n"
                      "            import crowdfund.jobs\n"
                      "            import json\n")
    assert sorted(_function_local_project_imports(module, tmp_path)) == [
        "crowdfund/notifications/outbox.py:12 None", "crowdfund/notifications/outbox.py:13",
        "crowdfund/notifications/outbox.py:5 crowdfund.notifications.account_emails"]


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


#: Cycles left, each with why it may stay.
KNOWN_CYCLES = {
    frozenset({"crowdfund.demo", "crowdfund.demo.scenes"}):
        "wiring: the seeder imports its scenes when run; the scenes use its helpers",
}


def test_no_two_modules_import_each_other():
    """No import cycle between modules, function bodies included (the graph lint-imports
    checks the layers on): a cycle is a function in the wrong module or a missing event."""
    import grimp

    graph = grimp.build_graph("crowdfund", cache_dir=None)
    cycles = {frozenset({module, imported}) for module in graph.modules
              for imported in graph.find_modules_directly_imported_by(module)
              if graph.chain_exists(importer=imported, imported=module)}
    assert {cycle for cycle in cycles if cycle not in KNOWN_CYCLES} == set()


def test_every_refusal_test_names_the_refusal():
    """``pytest.raises(X, match=...)`` with X narrower than Exception: a test that takes any
    refusal of a kind passes on the wrong one (a permission refused before the rule the
    test is about, say)."""
    found = []
    for path in sorted((ROOT / "tests").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.Call) and ast.unparse(node.func) == "pytest.raises"):
                continue
            expected = ast.unparse(node.args[0]) if node.args else ""
            if not any(k.arg == "match" for k in node.keywords) or expected in (
                    "Exception", "BaseException"):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} {ast.unparse(node)}")
    assert found == []
