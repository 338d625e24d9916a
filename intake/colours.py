"""Brand colours: is a clinic's colour readable (WCAG AA), and a darker shade that is."""

from __future__ import annotations

import re

# Normal-size text needs 4.5:1 against its background (WCAG 2.1 AA, 1.4.3).
AA_TEXT = 4.5
# The colour is used as white-on-colour (buttons) and as colour-on-paper (links).
WHITE = "#ffffff"
PAPER = "#fbfaf7"
_HEX = re.compile(r"#[0-9a-fA-F]{6}")


def luminance(colour: str) -> float:
    """The relative luminance of '#rrggbb' (WCAG's definition)."""
    channels = []
    for i in (1, 3, 5):
        c = int(colour[i : i + 2], 16) / 255
        channels.append(c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4)
    r, g, b = channels
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    """The contrast ratio of two colours, from 1 to 21."""
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def readable(colour: str) -> float:
    """The lowest contrast the colour gets where the pages use it (under white text, and as
    text on the paper)."""
    return min(contrast(colour, WHITE), contrast(colour, PAPER))


def passes(colour: str | None) -> bool:
    """Whether a colour is well-formed and readable wherever it is used (WCAG AA)."""
    return bool(colour and _HEX.fullmatch(colour)) and readable(str(colour)) >= AA_TEXT


def darker(colour: str) -> str:
    """The lightest shade of the same hue that passes (the colour itself when it does)."""
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    for step in range(101):
        scale = 1 - step / 100
        shade = "#{:02x}{:02x}{:02x}".format(*(round(c * scale) for c in (r, g, b)))
        if readable(shade) >= AA_TEXT:
            return shade
    return "#000000"
