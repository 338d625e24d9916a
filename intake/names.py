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


def prefixes(text: str) -> list[str]:
    """Every prefix of every folded word of a name: what a search word may match."""
    out: dict[str, None] = {}
    for word in words(text):
        for end in range(1, len(word) + 1):
            out.setdefault(word[:end], None)
    return list(out)
