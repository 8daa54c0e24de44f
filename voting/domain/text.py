"""Text as people search for it and as slugs spell it: any script folded to plain Latin
letters, lower case, so "strom" finds "Björn Ström" and "dmitrii" finds "Дмитрий".

Transliteration is anyascii's (one table for every script), not a table of our own.
"""

from __future__ import annotations

import unicodedata

from anyascii import anyascii


def fold(text: str) -> str:
    """*text* in lower-case ASCII: accents dropped, other scripts transliterated."""
    return anyascii(unicodedata.normalize("NFC", text)).lower()


def search_key(*texts: str) -> str:
    """What a search looks in: the folded texts, one space between words."""
    return " ".join(fold(" ".join(texts)).split())


def search_words(query: str) -> list[str]:
    """A query's words, folded the same way, in any order; at most ten of them."""
    return fold(query).split()[:10]
