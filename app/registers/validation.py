"""Validation and normalisation of handler inputs (BSN, Dutch address parts)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from app.registers.errors import InvalidInput

POSTCODE = re.compile(r"^[1-9][0-9]{3}\s?[A-Z]{2}$")
HUISLETTER = re.compile(r"^[a-zA-Z]$")
TOEVOEGING = re.compile(r"^[a-zA-Z0-9 \-]{1,4}$")


def elfproef(number: str) -> bool:
    """The BSN eleven test: 9*d1 + 8*d2 + ... + 2*d8 - 1*d9 is a non-zero multiple of 11."""
    if len(number) != 9 or not number.isdigit():
        return False
    digits = [int(c) for c in number]
    total = sum(weight * digit for weight, digit in zip(range(9, 1, -1), digits[:8], strict=True))
    total -= digits[8]
    return total != 0 and total % 11 == 0


def is_absent(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def bsn(value: Any, field: str = "bsn") -> str:
    if is_absent(value):
        raise InvalidInput(field, "burgerservicenummer ontbreekt")
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise InvalidInput(field, "burgerservicenummer moet tekst van 9 cijfers zijn")
    text = str(value).strip().replace(" ", "").replace(".", "")
    if isinstance(value, int):
        text = text.zfill(9)  # a number loses its leading zero
    if len(text) != 9 or not text.isdigit():
        raise InvalidInput(field, "een burgerservicenummer bestaat uit precies 9 cijfers")
    if not elfproef(text):
        raise InvalidInput(field, "dit is geen geldig burgerservicenummer (elfproef)")
    return text


def postcode(value: Any, field: str = "postcode") -> str:
    """'1234 ab' -> '1234AB'; the check uses the capitals form of the spec's pattern."""
    if is_absent(value):
        raise InvalidInput(field, "postcode ontbreekt")
    if not isinstance(value, str):
        raise InvalidInput(field, "postcode moet tekst zijn, zoals 1234 AB")
    text = value.strip().upper()
    if not POSTCODE.match(text):
        raise InvalidInput(field, "postcode moet de vorm 1234 AB hebben")
    return re.sub(r"\s", "", text)


def huisnummer(value: Any, field: str = "huisnummer") -> int:
    if is_absent(value):
        raise InvalidInput(field, "huisnummer ontbreekt")
    if isinstance(value, bool):
        raise InvalidInput(field, "huisnummer moet een geheel getal zijn")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if not isinstance(value, int):
        raise InvalidInput(field, "huisnummer moet een geheel getal zijn (zonder huisletter)")
    if not 1 <= value <= 99999:
        raise InvalidInput(field, "huisnummer moet tussen 1 en 99999 liggen")
    return value


def huisletter(value: Any, field: str = "huisletter") -> str | None:
    if is_absent(value):
        return None
    if not isinstance(value, str) or not HUISLETTER.match(value.strip()):
        raise InvalidInput(field, "huisletter is precies één letter")
    return value.strip().upper()


def toevoeging(value: Any, field: str = "toevoeging") -> str | None:
    if is_absent(value):
        return None
    if not isinstance(value, (str, int)) or isinstance(value, bool):
        raise InvalidInput(field, "huisnummertoevoeging moet tekst zijn")
    text = str(value).strip()
    if not TOEVOEGING.match(text):
        raise InvalidInput(field, "huisnummertoevoeging is 1 tot 4 letters, cijfers of streepjes")
    return text.upper()


@dataclass(frozen=True)
class Adres:
    """A Dutch address as the BRP searches it (postcode without space, capitals)."""

    postcode: str
    huisnummer: int
    huisletter: str | None = None
    toevoeging: str | None = None

    def same_number(self, other: Adres) -> bool:
        return (self.postcode, self.huisnummer) == (other.postcode, other.huisnummer)

    def label(self) -> str:
        """Postcode and number for messages, e.g. '1234AB 12A-2'."""
        number = f"{self.huisnummer}{self.huisletter or ''}"
        return f"{self.postcode} {number}{'-' + self.toevoeging if self.toevoeging else ''}"


def adres(
    inputs: dict[str, Any], letter_key: str = "huisletter", extra_key: str = "toevoeging"
) -> Adres:
    return Adres(
        postcode(inputs.get("postcode")),
        huisnummer(inputs.get("huisnummer")),
        huisletter(inputs.get(letter_key), letter_key),
        toevoeging(inputs.get(extra_key), extra_key),
    )


def optional_adres(inputs: dict[str, Any]) -> Adres | None:
    """Postcode and huisnummer together, or neither; one without the other is an error."""
    has_postcode = not is_absent(inputs.get("postcode"))
    has_number = not is_absent(inputs.get("huisnummer"))
    if not has_postcode and not has_number:
        return None
    if not has_postcode:
        raise InvalidInput("postcode", "ontbreekt, terwijl huisnummer wel is opgegeven")
    if not has_number:
        raise InvalidInput("huisnummer", "ontbreekt, terwijl postcode wel is opgegeven")
    return Adres(postcode(inputs.get("postcode")), huisnummer(inputs.get("huisnummer")))
