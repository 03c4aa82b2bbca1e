"""Finds files from `resources/` whether installed from a wheel or run from a checkout.

The wheel carries `resources/` as `cxone_desktop/resources/` (see pyproject.toml),
found through `importlib.resources`; a source checkout or editable install
finds the top-level `resources/` folder beside the package. PyInstaller builds
put it at `cxone_desktop/resources` inside the bundle too.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def resource_path(name: str) -> Path:
    """Path of resources/`name`; raises FileNotFoundError naming where it looked."""
    packaged = resources.files("cxone_desktop") / "resources" / name
    candidates = [Path(str(packaged)), Path(__file__).resolve().parent.parent / "resources" / name]
    for path in candidates:
        if path.exists():
            return path
    raise FileNotFoundError(f"resource {name!r} not found in: " + ", ".join(map(str, candidates)))
