"""Clinic logos: check an upload by its content and make SVG safe to show anywhere."""

from __future__ import annotations

import io
import re
import warnings
from xml.etree.ElementTree import Element, register_namespace, tostring

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring
from PIL import Image, UnidentifiedImageError

MAX_BYTES = 256 * 1024
MAX_PIXELS = 4096 * 4096
SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"

# Shapes, text, groups and gradients: enough for any logo; nothing that runs or fetches.
SVG_ELEMENTS = {
    "svg", "g", "path", "rect", "circle", "ellipse", "line", "polyline", "polygon", "text",
    "tspan", "title", "desc", "defs", "lineargradient", "radialgradient", "stop", "use",
    "clippath", "mask", "symbol",
}  # fmt: skip
SVG_ATTRIBUTES = {
    "id", "class", "d", "x", "y", "x1", "y1", "x2", "y2", "cx", "cy", "r", "rx", "ry",
    "width", "height", "viewbox", "preserveaspectratio", "points", "fill", "fill-opacity",
    "fill-rule", "stroke", "stroke-width", "stroke-opacity", "stroke-linecap",
    "stroke-linejoin", "stroke-miterlimit", "stroke-dasharray", "opacity", "transform",
    "offset", "stop-color", "stop-opacity", "gradientunits", "gradienttransform",
    "font-family", "font-size", "font-weight", "text-anchor", "clip-path", "clip-rule",
    "mask", "version", "href", "dx", "dy", "letter-spacing", "style", "fx", "fy",
    "spreadmethod", "maskunits", "clippathunits",
}  # fmt: skip
# url(#local) references are fine; any other url(), imports or escapes are not.
UNSAFE_VALUE = re.compile(r"url\s*\(\s*[^#\s)]|@import|expression|javascript:|\\", re.I)

register_namespace("", SVG_NS)
register_namespace("xlink", XLINK_NS)


class LogoError(ValueError):
    """An upload that is not an acceptable logo; the message is for the person."""


def validate(data: bytes) -> tuple[bytes, str]:
    """The bytes to store and their MIME type, or LogoError saying what is wrong."""
    if len(data) > MAX_BYTES:
        raise LogoError(
            f"The logo is {len(data) // 1024} KB; the limit is {MAX_BYTES // 1024} KB."
        )
    if not data:
        raise LogoError("The file is empty.")
    if data.startswith(b"\x89PNG\r\n\x1a\n") or data.startswith(b"\xff\xd8\xff"):
        return data, _raster(data)
    if b"<svg" in data[:4096]:
        return sanitize_svg(data), "image/svg+xml"
    raise LogoError("Please upload a PNG, JPEG or SVG image.")


def _raster(data: bytes) -> str:
    """Check a PNG or JPEG really decodes, within a sane size."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                if image.format not in ("PNG", "JPEG"):
                    raise LogoError("Please upload a PNG, JPEG or SVG image.")
                if image.width * image.height > MAX_PIXELS:
                    raise LogoError("The image is too large; please use one under 4096×4096.")
                image.verify()
                return "image/png" if image.format == "PNG" else "image/jpeg"
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombWarning,
            Image.DecompressionBombError) as exc:  # fmt: skip
        raise LogoError("The image file is damaged or not a real PNG/JPEG.") from exc


def sanitize_svg(data: bytes) -> bytes:
    """An SVG with only allowed elements and attributes: no scripts, handlers or fetches."""
    try:
        root = fromstring(data, forbid_dtd=True)
    except (ParseError, DefusedXmlException, ValueError) as exc:
        raise LogoError("The SVG file could not be read as XML.") from exc
    if root.tag != "{" + SVG_NS + "}svg":
        raise LogoError("The file is not an SVG image (it needs the SVG namespace).")
    _clean(root)
    for name in list(root.attrib):
        if _local(name) in ("width", "height") and UNSAFE_VALUE.search(root.attrib[name]):
            del root.attrib[name]
    return tostring(root, encoding="unicode").encode("utf-8")


def _clean(element: Element) -> None:
    """Drop disallowed children and attributes, recursively."""
    for child in list(element):
        if not isinstance(child.tag, str) or _local(child.tag) not in SVG_ELEMENTS:
            element.remove(child)
            continue
        if not child.tag.startswith("{" + SVG_NS + "}"):
            element.remove(child)  # elements from other namespaces (e.g. embedded HTML)
            continue
        _clean(child)
    for name in list(element.attrib):
        value = element.attrib[name]
        local = _local(name).lower()
        namespaced_ok = not name.startswith("{") or name.startswith("{" + XLINK_NS + "}")
        if (
            local not in SVG_ATTRIBUTES
            or not namespaced_ok
            or UNSAFE_VALUE.search(value)
            or (local == "href" and not value.startswith("#"))
        ):
            del element.attrib[name]


def _local(tag: str) -> str:
    """A tag or attribute name without its namespace."""
    return tag.rsplit("}", 1)[-1].lower()
