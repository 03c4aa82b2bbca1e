"""The relay and the simulator are peers of the client: relay/ never imports session/, ui/ or the
client wire (cxone/); simulator/ never imports relay/; only relay/demo.py starts the push side."""

from __future__ import annotations

import ast
from pathlib import Path

import cxone_desktop

PACKAGE = Path(cxone_desktop.__file__).parent


def imports_of(folder: str) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in (PACKAGE / folder).rglob("*.py"):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                names.add(node.module)
            elif isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
        found[str(path.relative_to(PACKAGE))] = names
    return found


def test_relay_imports_neither_session_ui_nor_the_client_wire() -> None:
    for module, names in imports_of("relay").items():
        bad = {
            n
            for n in names
            if n.startswith(("cxone_desktop.session", "cxone_desktop.ui", "cxone_desktop.cxone"))
        }
        assert not bad, f"{module} imports {bad}"
        if module != "relay/demo.py":
            assert not any(n.startswith("cxone_desktop.simulator") for n in names), module


def test_simulator_never_imports_the_relay() -> None:
    for module, names in imports_of("simulator").items():
        assert not any(
            n.startswith(("cxone_desktop.relay", "cxone_desktop.session")) for n in names
        ), module
