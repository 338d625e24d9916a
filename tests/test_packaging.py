"""Installing is quiet, complete and every page has its icon: pyproject's licence, its
dependencies, and /favicon.ico."""

from __future__ import annotations

import ast
import importlib.metadata
import sys
import tomllib
from pathlib import Path

from flask.testing import FlaskClient
from packaging.licenses import canonicalize_license_expression
from packaging.requirements import Requirement
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_the_licence_is_an_spdx_expression_setuptools_takes_without_a_warning() -> None:
    # A table ({text = ...}) made setuptools print its deprecation banner four times.
    licence = PYPROJECT["project"]["license"]
    assert isinstance(licence, str)
    assert canonicalize_license_expression(licence) == licence
    (setuptools,) = [
        Requirement(r) for r in PYPROJECT["build-system"]["requires"] if r.startswith("setuptools")
    ]
    # The SPDX string form is understood from setuptools 77 on.
    assert not setuptools.specifier.contains(Version("76.9"))


def test_the_favicon_is_served_and_named_on_pages(client: FlaskClient) -> None:
    with client.get("/favicon.ico") as icon:
        assert icon.status_code == 200 and icon.mimetype == "image/x-icon"
        assert icon.data.startswith(b"\x00\x00\x01\x00")  # an ICO file
    assert 'rel="icon" href="/favicon.ico"' in client.get("/").get_data(as_text=True)


def test_every_module_the_package_imports_is_a_declared_dependency() -> None:
    # A module that comes only with another package (werkzeug with Flask) can go when that
    # package no longer needs it: what the code imports by name, pyproject names.
    modules = set()
    for path in (ROOT / "intake").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                modules |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules.add(node.module.split(".")[0])
    outside = sorted(modules - set(sys.stdlib_module_names) - {"intake"})
    declared = {
        Requirement(r).name.lower().replace("_", "-") for r in PYPROJECT["project"]["dependencies"]
    }
    providers = importlib.metadata.packages_distributions()
    missing = [
        module
        for module in outside
        if not any(d.lower().replace("_", "-") in declared for d in providers.get(module, []))
    ]
    assert outside and missing == []
