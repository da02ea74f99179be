"""Units and currencies: each written form mapped to the set of units it may mean.

Two quantities agree on their unit when the sets meet: ``$`` may be any dollar, ``USD`` is the
US one, ``pounds`` is sterling or weight. Units are not converted (2 TB is not 2,000 GB).
"""

from __future__ import annotations

from judge.metrics.facts.model import Unit

_DOLLARS = frozenset({"USD", "CAD", "AUD", "NZD", "HKD", "SGD"})

_GROUPS: dict[str, tuple[str, ...] | frozenset[str]] = {
    "percent": ("%", "percent", "per cent", "pct", "percentage point", "percentage points"),
    "USD": ("usd", "us$", "us dollar", "us dollars"),
    "CAD": ("cad", "c$", "canadian dollar", "canadian dollars"),
    "AUD": ("aud", "a$", "australian dollar", "australian dollars"),
    "EUR": ("eur", "€", "euro", "euros"),
    "GBP": ("gbp", "£", "sterling", "pounds sterling"),
    "JPY": ("jpy", "yen"),
    "CNY": ("cny", "rmb", "yuan", "renminbi"),
    "INR": ("inr", "₹", "rupee", "rupees"),
    "CHF": ("chf", "swiss franc", "swiss francs", "franc", "francs"),
    "cent": ("cent", "cents"),
    "second": ("s", "sec", "secs", "second", "seconds"),
    "minute": ("min", "mins", "minute", "minutes"),
    "hour": ("h", "hr", "hrs", "hour", "hours"),
    "day": ("day", "days"),
    "week": ("wk", "wks", "week", "weeks"),
    "month": ("month", "months"),
    "year": ("yr", "yrs", "year", "years"),
    "decade": ("decade", "decades"),
    "byte": ("b", "byte", "bytes"),
    "KB": ("kb", "kilobyte", "kilobytes"),
    "MB": ("mb", "megabyte", "megabytes"),
    "GB": ("gb", "gigabyte", "gigabytes"),
    "TB": ("tb", "terabyte", "terabytes"),
    "PB": ("pb", "petabyte", "petabytes"),
    "mm": ("mm", "millimetre", "millimetres", "millimeter", "millimeters"),
    "cm": ("cm", "centimetre", "centimetres", "centimeter", "centimeters"),
    "m": ("m", "metre", "metres", "meter", "meters"),
    "km": ("km", "kilometre", "kilometres", "kilometer", "kilometers"),
    "mile": ("mi", "mile", "miles"),
    "ft": ("ft", "foot", "feet"),
    "inch": ("inch", "inches"),
    "yard": ("yd", "yds", "yard", "yards"),
    "mg": ("mg", "milligram", "milligrams"),
    "g": ("g", "gram", "grams"),
    "kg": ("kg", "kgs", "kilo", "kilos", "kilogram", "kilograms"),
    "tonne": ("t", "tonne", "tonnes", "ton", "tons", "metric ton", "metric tons"),
    "lb": ("lb", "lbs"),
    "oz": ("oz", "ounce", "ounces"),
    "ml": ("ml", "millilitre", "millilitres", "milliliter", "milliliters"),
    "l": ("l", "litre", "litres", "liter", "liters"),
    "gallon": ("gal", "gallon", "gallons"),
    "km2": (
        "km2",
        "km²",
        "sq km",
        "square kilometre",
        "square kilometres",
        "square kilometer",
        "square kilometers",
    ),
    "m2": ("m2", "m²", "sq m", "square metre", "square metres", "square meter", "square meters"),
    "hectare": ("ha", "hectare", "hectares"),
    "acre": ("acre", "acres"),
    "km/h": ("km/h", "kph", "kmh", "kilometres per hour", "kilometers per hour"),
    "mph": ("mph", "miles per hour"),
    "W": ("w", "watt", "watts"),
    "kW": ("kw", "kilowatt", "kilowatts"),
    "MW": ("mw", "megawatt", "megawatts"),
    "GW": ("gw", "gigawatt", "gigawatts"),
    "kWh": ("kwh", "kilowatt-hour", "kilowatt-hours", "kilowatt hour", "kilowatt hours"),
    "MWh": ("mwh", "megawatt-hour", "megawatt-hours"),
    "Hz": ("hz", "hertz"),
    "MHz": ("mhz", "megahertz"),
    "GHz": ("ghz", "gigahertz"),
    "degC": ("°c", "celsius", "degrees celsius", "degrees c"),
    "degF": ("°f", "fahrenheit", "degrees fahrenheit", "degrees f"),
    "times": ("x", "times", "fold"),
    "ordinal": ("st", "nd", "rd", "th"),
}

UNITS: dict[str, Unit] = {
    form: frozenset({unit}) for unit, forms in _GROUPS.items() for form in forms
}
UNITS.update(
    {
        "$": _DOLLARS,
        "dollar": _DOLLARS,
        "dollars": _DOLLARS,
        "bucks": _DOLLARS,
        "pound": frozenset({"GBP", "lb"}),
        "pounds": frozenset({"GBP", "lb"}),
        "¥": frozenset({"JPY", "CNY"}),
        "degrees": frozenset({"degC", "degF"}),
        "°": frozenset({"degC", "degF"}),
        "nz$": frozenset({"NZD"}),
        "hk$": frozenset({"HKD"}),
        "s$": frozenset({"SGD"}),
    }
)

# Words that may stand between a number and its unit ("5 business days", "3 more hours").
FILLERS = frozenset(
    {"business", "working", "calendar", "more", "additional", "extra", "full", "whole",
     "consecutive", "straight", "further", "other", "us"}
)  # fmt: skip

SCALES: dict[str, float] = {
    "thousand": 1e3,
    "million": 1e6,
    "billion": 1e9,
    "trillion": 1e12,
    "mn": 1e6,
    "bn": 1e9,
}
# Short scales written after a currency amount: "$5k", "$2.3m", "€4bn".
CURRENCY_SCALES: dict[str, float] = {"k": 1e3, "m": 1e6, "mn": 1e6, "b": 1e9, "bn": 1e9}

# Forms that mean money: after a currency the short scales apply.
MONEY = frozenset(
    u for u in ("USD", "CAD", "AUD", "NZD", "HKD", "SGD", "EUR", "GBP", "JPY", "CNY", "INR", "CHF")
)


def unit_of(form: str) -> Unit | None:
    """The unit a written form means, or None."""
    return UNITS.get(form.lower())


def is_money(unit: Unit | None) -> bool:
    return unit is not None and bool(unit & MONEY)


def fits(claimed: Unit | None, found: Unit | None) -> bool:
    """Whether a number found with unit ``found`` supports one claimed with unit ``claimed``.

    A bare number is supported by the same number in any unit; a number with a unit only by
    one whose unit may be the same.
    """
    return claimed is None or (found is not None and bool(claimed & found))
