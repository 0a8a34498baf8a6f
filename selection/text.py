"""Numbers and words for people: Danish first, English on request.

Danish style: thousands separator ".", decimal comma ("30.120", "25,0 %"); English: "30,120",
"25.0%".
"""

from __future__ import annotations

from collections.abc import Iterable

LANGS = ("da", "en")

# The glossary of the words users read (English code name -> Danish / English UI word).
DIMENSION_WORDS: dict[str, tuple[str, str]] = {
    "field": ("faggruppe", "trade field"),
    "sector": ("sektor", "sector"),
    "size": ("størrelse", "size"),
    "region": ("region", "region"),
}


def check_lang(lang: str) -> str:
    """Return ``lang`` if supported, else raise ``ValueError``."""
    if lang not in LANGS:
        raise ValueError(f"unsupported language {lang!r}; use one of {LANGS}")
    return lang


def number(value: float, lang: str = "da", decimals: int = 0) -> str:
    """``30120.4`` -> ``30.120`` (da) / ``30,120`` (en); ``decimals`` digits after the point."""
    text = f"{value:,.{decimals}f}"
    if lang == "da":
        text = text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    return text.replace("-", "−") if text.startswith("-") else text


def percent(share: float, lang: str = "da", decimals: int = 1) -> str:
    """``0.2499`` -> ``25,0 %`` (da) / ``25.0%`` (en)."""
    body = number(100.0 * share, lang, decimals)
    return f"{body} %" if lang == "da" else f"{body}%"


def decimal(value: float, lang: str = "da", decimals: int = 4) -> str:
    """A plain decimal such as an objective value: ``0,0123`` (da) / ``0.0123`` (en)."""
    return number(value, lang, decimals)


def pick(lang: str, da: str, en: str) -> str:
    """The Danish or the English text."""
    return en if lang == "en" else da


def join_words(items: Iterable[str], lang: str = "da") -> str:
    """``a, b og c`` (da) / ``a, b and c`` (en)."""
    words = list(items)
    if len(words) <= 1:
        return "".join(words)
    last = pick(lang, "og", "and")
    return f"{', '.join(words[:-1])} {last} {words[-1]}"


def dimension_word(dimension: str, lang: str = "da") -> str:
    """The user's word for a dimension (``field`` -> ``faggruppe``)."""
    da, en = DIMENSION_WORDS.get(dimension, (dimension, dimension))
    return pick(lang, da, en)


# Danish region codes (DAGI) and names; other codes are shown as they are.
REGION_NAMES = {
    "1081": "Region Nordjylland",
    "1082": "Region Midtjylland",
    "1083": "Region Syddanmark",
    "1084": "Region Hovedstaden",
    "1085": "Region Sjælland",
}


def region_name(code: str, lang: str = "da") -> str:
    """``1084`` -> ``Region Hovedstaden``; unknown codes as ``region 1234``."""
    return REGION_NAMES.get(code, f"region {code}" if lang == "en" else f"region {code}")
