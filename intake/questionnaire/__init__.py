"""Questionnaire definitions: the format clinics write, its loader and its conditions."""

from .loader import DefinitionError, Problem, load_file, load_text
from .model import DECLINED, Definition, Item, ItemType, Page

__all__ = [
    "DECLINED",
    "Definition",
    "DefinitionError",
    "Item",
    "ItemType",
    "Page",
    "Problem",
    "load_file",
    "load_text",
]
