"""Pure mapping rules from 1C values to FreeSport fields (no I/O, no Django).

Kept apart from the reader and the writer so every rule the issue lists is one small,
tested function: numbers with decimal commas / NBSP / sentinels, size and color from
characteristics or the offer name, ColorMapping matching (case- and ё/е-insensitive),
deterministic slugs. Price types map through a setting (``price_types``), not through code.
"""

from __future__ import annotations

import functools
import hashlib
import re
import unicodedata
from decimal import Decimal, InvalidOperation

#: Prices at or above this are "absurd" (1C's -999 999 999,9 sentinels, typos); such a price
#: is reported and stored as NULL (no price), never as a number that would break the site.
MAX_PRICE = Decimal("10000000")
#: Stock beyond this is absurd; it is stored as 0 and reported.
MAX_QUANTITY = 10_000_000

SIZE_NAMES = ("размер", "size", "рост", "размер одежды", "размер обуви")
COLOR_NAMES = ("цвет", "color", "colour", "расцветка")
BRAND_PROPERTY_NAMES = ("бренд", "brand", "торговая марка", "марка", "производитель")

_TRANSLIT = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh", "з": "z",
    "и": "i", "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r",
    "с": "s", "т": "t", "у": "u", "ф": "f", "х": "h", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "sch",
    "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu", "я": "ya",
    # Ukrainian letters seen in UAH exports
    "і": "i", "ї": "yi", "є": "ye", "ґ": "g",
}
_SLUG_STRIP = re.compile(r"[^a-z0-9]+")
_NUM_JUNK = re.compile(r"[\s\u00a0\u202f']")


class NumberError(ValueError):
    """Text that is not a number at all (reported as a warning, stored as no value)."""


def parse_decimal(text: str | None) -> Decimal | None:
    """``"1 719,50"`` / ``"21,6"`` / ``"-999 999 999,9"`` → Decimal; empty → None."""
    if text is None:
        return None
    return _parse_decimal(text)


@functools.lru_cache(maxsize=1 << 16)
def _parse_decimal(text: str) -> Decimal | None:
    # cached: catalogs repeat the same few thousand prices and quantities a million times
    cleaned = _NUM_JUNK.sub("", text).replace(",", ".")
    if not cleaned:
        return None
    try:
        value = Decimal(cleaned)
    except InvalidOperation as exc:
        raise NumberError(f"not a number: {text!r}") from exc
    if not value.is_finite():
        raise NumberError(f"not a number: {text!r}")
    return value


def price_problem(value: Decimal) -> str | None:
    """Why a price cannot be stored as is (None when it can)."""
    if value < 0:
        return "negative price"
    if value >= MAX_PRICE:
        return f"absurd price (>= {MAX_PRICE})"
    return None


def normalize_price(value: Decimal | None) -> Decimal | None:
    """The value stored for a price: rounded to kopecks; negative or absurd → NULL."""
    if value is None or price_problem(value) is not None:
        return None
    return value.quantize(Decimal("0.01"))


def read_price(text: str | None) -> tuple[Decimal | None, str | None, Decimal | None]:
    """``(value, problem, stored)`` of a price's text in one call: ``parse_decimal``, then
    ``price_problem`` and ``normalize_price`` of the value (``NumberError`` as there)."""
    if text is None:
        return None, None, None
    return _read_price(text)


@functools.lru_cache(maxsize=1 << 16)
def _read_price(text: str) -> tuple[Decimal | None, str | None, Decimal | None]:
    # cached like _parse_decimal: the import reads ~6 prices an offer, from a few thousand distinct texts
    value = _parse_decimal(text)
    if value is None:
        return None, None, None
    problem = price_problem(value)
    return value, problem, None if problem else value.quantize(Decimal("0.01"))


def quantity_problem(value: Decimal) -> str | None:
    if value < 0:
        return "negative quantity"
    if abs(value) >= MAX_QUANTITY:
        return f"absurd quantity (>= {MAX_QUANTITY})"
    return None


def normalize_quantity(value: Decimal | None) -> int | None:
    """Stock stored as an int: negative (1C allows it) → 0, absurd → 0; None stays unknown."""
    if value is None:
        return None
    if quantity_problem(value) is not None:
        return 0
    return int(value)


# ------------------------------------------------------------------ colors / sizes
def normalize_key(name: str) -> str:
    """Case-, ё/е- and whitespace-insensitive key (same rule as ColorMapping matching)."""
    return " ".join(name.replace("ё", "е").replace("Ё", "Е").casefold().split())


def attribute_kind(name: str) -> str | None:
    """``"size"`` / ``"color"`` for a characteristic or property name, else None."""
    key = normalize_key(name)
    if key in SIZE_NAMES or key.startswith("размер"):
        return "size"
    if key in COLOR_NAMES or key.startswith("цвет"):
        return "color"
    return None


def split_offer_name(offer_name: str, product_name: str | None = None) -> tuple[str | None, str | None]:
    """(color, size) encoded in a variant offer's name, e.g. ``"Кимоно …, синий (А5 (2XL))"``.

    1C 3.1 packages often carry the characteristic only in the offer name: the product name,
    then ``", <color>"`` and/or a trailing parenthesised size (which may itself contain
    parentheses). Text that is part of the product's own name is never taken as an attribute.
    """
    text = offer_name.strip()
    if product_name and text.startswith(product_name.strip()):
        rest = text[len(product_name.strip()):]
    else:
        rest = text
    size = None
    if rest.endswith(")"):
        depth = 0
        for i in range(len(rest) - 1, -1, -1):
            ch = rest[i]
            if ch == ")":
                depth += 1
            elif ch == "(":
                depth -= 1
                if depth == 0:
                    size = rest[i + 1 : -1].strip() or None
                    rest = rest[:i].rstrip()
                    break
    color = None
    if "," in rest:
        candidate = rest.rsplit(",", 1)[1].strip()
        if candidate and len(candidate) <= 40 and not any(ch.isdigit() for ch in candidate):
            color = candidate
    return color, size


class ColorMatcher:
    """Match 1C color names to ColorMapping names, ignoring case and ё/е."""

    def __init__(self, names: list[str]) -> None:
        self._by_key = {normalize_key(n): n for n in names}
        self._seen: dict[str, str] = {}  # a catalog repeats a few hundred colors 100k times

    def canonical(self, color: str | None) -> str:
        """The ColorMapping spelling when the color is known, else the 1C spelling (trimmed)."""
        if not color:
            return ""
        found = self._seen.get(color)
        if found is None:
            trimmed = " ".join(color.split())
            found = self._by_key.get(normalize_key(trimmed), trimmed)
            if len(self._seen) < 100_000:
                self._seen[color] = found
        return found

    def is_known(self, color: str) -> bool:
        return normalize_key(color) in self._by_key


# ------------------------------------------------------------------ slugs
_TRANSLIT_TABLE = str.maketrans(_TRANSLIT)


def transliterate(text: str) -> str:
    """Russian (and Ukrainian) letters to Latin, anything else to ASCII or ``-``: a slug base."""
    latin = text.lower().translate(_TRANSLIT_TABLE)
    if not latin.isascii():
        latin = unicodedata.normalize("NFKD", latin).encode("ascii", "ignore").decode("ascii").lower()
    return _SLUG_STRIP.sub("-", latin).strip("-")


def short_id(onec_id: str, length: int = 10) -> str:
    return hashlib.sha1(onec_id.encode("utf-8")).hexdigest()[:length]


def make_slug(name: str, onec_id: str, max_length: int = 255) -> str:
    """Transliterated name + a short hash of the 1C id: deterministic, URL-safe, unique."""
    suffix = short_id(onec_id)
    base = transliterate(name)[: max_length - len(suffix) - 1].strip("-") or "item"
    return f"{base}-{suffix}"
