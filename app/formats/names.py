"""Folding names and typed queries into search keys.

`fold("O'Neil")` and `fold("oneil")` are both "oneil"; `fold("Zoë")` is "zoe": Unicode NFKD
drops the accents, then only ASCII letters and digits are kept, lower-cased. Stored keys and
typed queries go through the same function, so matching is an index range scan.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

_KEEP = re.compile(r"[^a-z0-9]")
_US_DATE = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_COMPACT_DATE = re.compile(r"^(\d{2})(\d{2})(\d{4})$")


# Latin letters with no combining-mark decomposition (NFKD would drop them): map by hand.
_UNDECOMPOSED = str.maketrans({
    "ß": "ss", "ẞ": "ss", "æ": "ae", "Æ": "ae", "œ": "oe", "Œ": "oe", "ø": "o", "Ø": "o",
    "ł": "l", "Ł": "l", "đ": "d", "Đ": "d", "ð": "d", "Ð": "d", "þ": "th", "Þ": "th",
    "ħ": "h", "Ħ": "h", "ı": "i", "ĸ": "k", "ŋ": "n", "Ŋ": "n", "ŧ": "t", "Ŧ": "t",
})


def fold(text: str) -> str:
    text = text.translate(_UNDECOMPOSED)
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return _KEEP.sub("", plain.lower())


def next_prefix(key: str) -> str:
    """The smallest string greater than every string starting with `key` (for range scans)."""
    return key[:-1] + chr(ord(key[-1]) + 1)


def parse_typed_date(text: str) -> date | None:
    """A date as a US clerk types it (MM/DD/YYYY, M/D/YYYY, MMDDYYYY) or ISO (YYYY-MM-DD)."""
    text = text.strip()
    for pattern, order in ((_US_DATE, "mdy"), (_ISO_DATE, "ymd"), (_COMPACT_DATE, "mdy")):
        m = pattern.match(text)
        if m:
            parts = dict(zip(order, (int(g) for g in m.groups()), strict=True))
            try:
                return date(parts["y"], parts["m"], parts["d"])
            except ValueError:
                return None
    return None


def name_tokens(query: str) -> list[str]:
    """The folded words of a name query: "O'Neil, Zoë" → ["oneil", "zoe"]."""
    return [t for t in (fold(w) for w in re.split(r"[\s,]+", query)) if t]
