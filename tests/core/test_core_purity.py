"""core/ stays pure: importing all of it pulls in no event loop, GUI or network library."""

import json
import pkgutil
import subprocess
import sys

import cxone_desktop.core

FORBIDDEN = ("PySide6", "asyncio", "websockets", "httpx", "qasync", "aiohttp")

PROBE = """
import importlib, json, pkgutil, sys
names = []
if {whole_core}:
    import cxone_desktop.core as core
    names = sorted(m.name for m in pkgutil.iter_modules(core.__path__, "cxone_desktop.core."))
    for name in names:
        importlib.import_module(name)
else:
    import numpy
bad = sorted(m for m in sys.modules if m.split(".")[0] in {forbidden})
print(json.dumps({{"modules": names, "bad": bad}}))
"""


def _probe(whole_core: bool) -> dict[str, list[str]]:
    code = PROBE.format(whole_core=whole_core, forbidden=set(FORBIDDEN))
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_numpy_alone_does_not_pull_asyncio() -> None:
    assert _probe(whole_core=False)["bad"] == []


def test_every_core_module_imports_without_io_frameworks() -> None:
    result = _probe(whole_core=True)
    expected = {
        f"cxone_desktop.core.{m.name}" for m in pkgutil.iter_modules(cxone_desktop.core.__path__)
    }
    assert set(result["modules"]) == expected
    assert {"cxone_desktop.core.reassembler", "cxone_desktop.core.metrics"} <= expected
    assert result["bad"] == []
