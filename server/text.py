"""Normalised forms for sorting and search: NFKC (half-width kana and full-width ASCII become
their standard forms), katakana folded to hiragana, spaces removed, ASCII lower-cased.

"ﾔﾏﾀﾞ ﾀﾛｳ", "ヤマダ タロウ" and "やまだたろう" all normalise to "やまだたろう".
"""
from __future__ import annotations

import unicodedata

_KATA_START, _KATA_END = 0x30A1, 0x30F6  # ァ .. ヶ
_SHIFT = 0x60


def to_hiragana(text: str) -> str:
    return "".join(chr(ord(c) - _SHIFT) if _KATA_START <= ord(c) <= _KATA_END else c for c in text)


def normalise(text: str | None) -> str:
    if not text:
        return ""
    folded = to_hiragana(unicodedata.normalize("NFKC", text)).lower()
    return "".join(folded.split())


def clean(text: str | None, limit: int) -> str:
    """Trim, collapse inner whitespace runs, drop control characters, cut at `limit`."""
    if not text:
        return ""
    text = "".join(c for c in text if unicodedata.category(c)[0] != "C" or c in "\n")
    return " ".join(text.split())[:limit]
