"""How client names are searched: folded for accents and case, and split into words.

"María López" is found by "maria", "MARIA", "lopez" or "lóp": each word of a search must
begin a word of the name. Pure, so the lifecycle service (which stores the words) and the
dashboard (which looks them up) fold alike.
"""

from __future__ import annotations

import re
import unicodedata

# Longer words are cut here in the index, and searches with them cut alike.
WORD_MAX = 64
_WORD = re.compile(r"\w+")


def fold(text: str) -> str:
    """Text without accents and case: 'María Ñúñez' -> 'maria nunez', 'Straße' -> 'strasse'."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return unicodedata.normalize("NFKC", bare).casefold()


def words(text: str) -> list[str]:
    """The distinct folded words of a name or a search, in order."""
    seen: dict[str, None] = {}
    for word in _WORD.findall(fold(text).replace("_", " ")):
        seen.setdefault(word[:WORD_MAX], None)
    return list(seen)


def prefix_range(word: str) -> tuple[str, str]:
    """The half-open range [low, high) of words beginning with word, in code-point order
    (SQLite's BINARY and PostgreSQL's "C" collation), so a plain index serves it."""
    return word, word[:-1] + chr(min(ord(word[-1]) + 1, 0x10FFFF))
