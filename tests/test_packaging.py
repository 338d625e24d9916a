"""Installing is quiet and every page has its icon: pyproject's licence and /favicon.ico."""

from __future__ import annotations

import tomllib
from pathlib import Path

from flask.testing import FlaskClient
from packaging.licenses import canonicalize_license_expression
from packaging.requirements import Requirement
from packaging.version import Version

PYPROJECT = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text())


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
