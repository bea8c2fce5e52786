"""The installed package is complete: every directory with code is listed for setuptools.

An editable install finds any subpackage through the source tree, so a package missing from
``pyproject.toml`` only breaks a normal (wheel) install, which the rest of the suite never does.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_package_directory_is_listed_in_pyproject():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    listed = set(config["tool"]["setuptools"]["packages"])
    mapped = config["tool"]["setuptools"]["package-dir"]
    found = {".".join(p.parent.relative_to(ROOT).parts)
             for p in (ROOT / "sage_tui").rglob("__init__.py")}
    found |= {name for name, folder in mapped.items() if (ROOT / folder / "__init__.py").exists()}
    assert found == listed
