"""Clinic logos: check an upload by its content and make SVG safe to show anywhere."""

from __future__ import annotations

import functools
import io
import re
import warnings
from xml.etree.ElementTree import Element, register_namespace, tostring

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring
from PIL import Image, UnidentifiedImageError

MAX_BYTES = 256 * 1024
MAX_PIXELS = 4096 * 4096
# An SVG's cost to draw is bounded by its structure, checked before it is stored and again
# before each render (for logos stored earlier): a 1.6 KB chain of <use> elements that each
# draw the previous one twice would otherwise hold a brief render for minutes.
MAX_DEPTH = 24
MAX_ELEMENTS = 2000
# Elements drawn once every <use> and url(#...) reference is followed to what it draws.
MAX_DRAWN = 5000
MAX_REFERENCE_DEPTH = 8
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
    "stroke-linejoin", "stroke-miterlimit", "opacity", "transform",
    "stroke-dashoffset", "offset", "stop-color", "stop-opacity", "gradientunits",
    "gradienttransform", "font-family", "font-size", "font-weight", "text-anchor", "clip-path",
    "clip-rule",
    "mask", "version", "href", "dx", "dy", "letter-spacing", "style", "fx", "fy",
    "spreadmethod", "maskunits", "clippathunits",
}  # fmt: skip
# url(#local) references are fine; any other url(), imports or escapes are not. Dash
# patterns are refused too: a tiny dash on a long path is millions of dashes to draw.
UNSAFE_VALUE = re.compile(r"url\s*\(\s*[^#\s)]|@import|expression|javascript:|\\|dasharray", re.I)
LOCAL_REFERENCE = re.compile(r"url\(\s*#([^)\s]+)\s*\)")

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
    _check_size(root)
    _clean(root)
    check_drawing(root)
    for name in list(root.attrib):
        if _local(name) in ("width", "height") and UNSAFE_VALUE.search(root.attrib[name]):
            del root.attrib[name]
    return tostring(root, encoding="unicode").encode("utf-8")


def _check_size(root: Element) -> None:
    """Refuse deep nesting and too many elements (counted without recursion)."""
    count, stack = 0, [(root, 1)]
    while stack:
        element, depth = stack.pop()
        count += 1
        if depth > MAX_DEPTH:
            raise LogoError(f"The SVG is nested too deeply (more than {MAX_DEPTH} levels).")
        if count > MAX_ELEMENTS:
            raise LogoError(f"The SVG has too many elements (more than {MAX_ELEMENTS}).")
        stack.extend((child, depth + 1) for child in element)


def check_drawing(root: Element) -> None:
    """Refuse <use> chains, references in a loop, and drawings that grow too large once
    every <use> and url(#...) is followed (LogoError says which)."""
    by_id = {el.get("id"): el for el in root.iter() if el.get("id")}
    drawn: dict[int, int] = {}

    def targets(element: Element) -> list[Element]:
        found = []
        for name, value in element.attrib.items():
            if _local(name) == "href" and value.startswith("#"):
                found.append(value[1:])
            found.extend(LOCAL_REFERENCE.findall(value))
        return [by_id[i] for i in found if i in by_id]

    def size(element: Element, path: tuple[int, ...]) -> int:
        key = id(element)
        if key in path:
            raise LogoError("The SVG refers to itself in a loop; please simplify it.")
        if len(path) > MAX_REFERENCE_DEPTH + MAX_DEPTH:
            raise LogoError("The SVG's references go too deep; please simplify it.")
        if key not in drawn:
            total = 1
            for child in element:
                total += size(child, (*path, key))
            for target in targets(element):
                if _local(str(element.tag)) == "use" and any(
                    _local(str(e.tag)) == "use" for e in target.iter()
                ):
                    raise LogoError(
                        "The SVG uses <use> elements that point at other <use> elements;"
                        " please flatten the drawing (for example, export it again)."
                    )
                total += size(target, (*path, key))
            if total > MAX_DRAWN:
                raise LogoError("The SVG is too complex to draw quickly; please simplify it.")
            drawn[key] = total
        return drawn[key]

    size(root, ())


@functools.lru_cache(maxsize=64)
def too_complex(data: bytes) -> str | None:
    """Why a stored SVG logo must not be drawn (stored before these checks), or None."""
    try:
        root = fromstring(data, forbid_dtd=True)
        _check_size(root)
        check_drawing(root)
    except LogoError as exc:
        return str(exc)
    except (ParseError, DefusedXmlException, ValueError):
        return "The SVG file could not be read as XML."
    return None


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
