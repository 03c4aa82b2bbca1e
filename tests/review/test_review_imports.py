"""review/ reads session folders on its own: it imports core/ and the top-level modules
(errors, portable, private_files, …), never session/, cxone/, ui/ or the servers."""

from __future__ import annotations

import ast
from pathlib import Path

import cxone_desktop

PACKAGE = Path(cxone_desktop.__file__).parent
TOP_LEVEL = {p.stem for p in PACKAGE.glob("*.py")}


def forbidden_imports(source: str) -> set[str]:
    """The cxone_desktop modules `source` imports that review/ may not."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            if node.module == "cxone_desktop":  # modules and packages, not `__version__`
                names.update(f"cxone_desktop.{a.name}" for a in node.names if a.name[0] != "_")
        elif isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
    bad = set()
    for name in names:
        parts = name.split(".")
        if parts[0] != "cxone_desktop" or len(parts) == 1 or parts[1].startswith("_"):
            continue
        if parts[1] in ("core", "review") or (len(parts) == 2 and parts[1] in TOP_LEVEL):
            continue
        bad.add(name)
    return bad


def test_the_rule_catches_session_ui_and_packages_imported_whole() -> None:
    assert forbidden_imports("from cxone_desktop.session.private_files import x") == {
        "cxone_desktop.session.private_files"
    }
    assert forbidden_imports("from cxone_desktop import session") == {"cxone_desktop.session"}
    assert forbidden_imports("import cxone_desktop.ui.theme") == {"cxone_desktop.ui.theme"}
    ok = "from cxone_desktop.core import riff\nfrom cxone_desktop import private_files, portable"
    assert forbidden_imports(ok) == set()


def test_review_imports_only_core_and_top_level_modules() -> None:
    files = sorted((PACKAGE / "review").rglob("*.py"))
    assert len(files) > 10
    for path in files:
        bad = forbidden_imports(path.read_text(encoding="utf-8"))
        assert not bad, f"{path.name} imports {sorted(bad)}"
