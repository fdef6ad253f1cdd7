"""Shipping addresses checked per country: which fields are required and what a postal
code looks like there (docs/domain.md#shipping-addresses-by-country). A country without
rules of its own gets the generic ones: name, street and town required, a postal code
optional but plausible when given.

``check(country, values)`` returns the address cleaned (trimmed, postal code and region
code written the country's way) and the errors by field, in the reader's language; the
survey form shows them next to their fields, and the service refuses what still has one.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from crowdfund.fulfilment.regions import AU_STATES, CA_PROVINCES, US_STATES
from crowdfund.i18n import _, _l, ngettext

#: The address fields of a survey, in the order a form shows them (the country is the
#: pledge's destination, not a field).
FIELDS = ("recipient_name", "address_line1", "address_line2", "city", "region",
          "postal_code", "phone")
MAX_LENGTHS = {"recipient_name": 100, "address_line1": 200, "address_line2": 200,
               "city": 100, "region": 100, "postal_code": 12, "phone": 30}
REQUIRED, OPTIONAL = "required", "optional"
_PHONE = re.compile(r"^\+?[0-9][0-9 ().-]{5,28}$")
_GENERIC_POSTAL = re.compile(r"^[A-Z0-9][A-Z0-9 -]{0,10}[A-Z0-9]$")


@dataclass(frozen=True)
class PostalCode:
    """A country's postal codes: its name, pattern (on the code upper-cased, spaces
    squeezed), an example, and how it is written once valid."""

    label: object
    #: The message for a missing or malformed one (names the example).
    message: object
    pattern: re.Pattern
    example: str
    write: Callable[[re.Match], str] = lambda m: m.group(0)


@dataclass(frozen=True)
class Region:
    """A country's first subdivision: its name, whether it is needed, and for countries
    whose post uses codes (US, CA, AU) the codes with their names (either is accepted,
    the code is kept)."""

    label: object
    need: str
    message: object
    codes: dict[str, str] = field(default_factory=dict)
    hint: object | None = None


@dataclass(frozen=True)
class CountryRules:
    postal: PostalCode | None  # None: the country has no postal codes
    postal_need: str = REQUIRED
    region: Region | None = None  # None: not asked
    city_label: object = _l("Town or city")
    city_message: object = _l("Enter the town or city.")


def _spaced(at: int) -> Callable[[re.Match], str]:
    """A code written with one space before its last ``at`` characters ("SW1A 1AA")."""
    def write(match: re.Match) -> str:
        code = match.group(0).replace(" ", "")
        return f"{code[:-at]} {code[-at:]}"
    return write


def _japanese(match: re.Match) -> str:
    code = match.group(0).replace("-", "")
    return f"{code[:3]}-{code[3:]}"


ZIP = _l("ZIP code")
POSTCODE = _l("Postcode")
POSTAL_CODE = _l("Postal code")
FIVE_DIGITS = re.compile(r"^\d{5}$")

RULES: dict[str, CountryRules] = {
    "US": CountryRules(
        PostalCode(ZIP, _l("Enter a ZIP code such as %(example)s."),
                   re.compile(r"^\d{5}(-\d{4})?$"), "94103"),
        region=Region(_l("State"), REQUIRED,
                      _l("Enter the state: its two-letter code, such as CA."), US_STATES,
                      _l("Two-letter code, such as CA"))),
    "GB": CountryRules(
        PostalCode(POSTCODE, _l("Enter a postcode such as %(example)s."), re.compile(
            r"^(GIR ?0AA|[A-PR-UWYZ][A-HK-Y]?\d[A-Z\d]? ?\d[ABD-HJLNP-UW-Z]{2})$"),
            "SW1A 1AA", _spaced(3)),
        region=Region(_l("County"), OPTIONAL, _l("Enter the county."))),
    "CA": CountryRules(
        PostalCode(POSTAL_CODE, _l("Enter a postal code such as %(example)s."), re.compile(
            r"^[ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z] ?\d[ABCEGHJ-NPRSTV-Z]\d$"),
            "K1A 0B1", _spaced(3)),
        region=Region(_l("Province or territory"), REQUIRED,
                      _l("Enter the province or territory: its two-letter code, such as "
                         "ON."), CA_PROVINCES, _l("Two-letter code, such as ON"))),
    "DE": CountryRules(PostalCode(POSTCODE, _l("Enter a postcode such as %(example)s."),
                                  FIVE_DIGITS, "10115")),
    "FR": CountryRules(PostalCode(POSTCODE, _l("Enter a postcode such as %(example)s."),
                                  FIVE_DIGITS, "75001")),
    "CN": CountryRules(
        PostalCode(POSTAL_CODE, _l("Enter a postal code such as %(example)s."),
                   re.compile(r"^\d{6}$"), "100000"),
        region=Region(_l("Province"), REQUIRED, _l("Enter the province.")),
        city_label=_l("City"), city_message=_l("Enter the city.")),
    "JP": CountryRules(
        PostalCode(POSTAL_CODE, _l("Enter a postal code such as %(example)s."),
                   re.compile(r"^\d{3}-?\d{4}$"), "100-0001", _japanese),
        region=Region(_l("Prefecture"), REQUIRED, _l("Enter the prefecture.")),
        city_label=_l("City, ward, town or village"),
        city_message=_l("Enter the city, ward, town or village.")),
    # Hong Kong has no postal codes: the district and area say where.
    "HK": CountryRules(None, region=Region(
        _l("Area"), REQUIRED, _l("Enter the area: Hong Kong Island, Kowloon or the New "
                                 "Territories.")),
        city_label=_l("District"), city_message=_l("Enter the district.")),
    "TW": CountryRules(
        PostalCode(POSTAL_CODE, _l("Enter a postal code such as %(example)s."),
                   re.compile(r"^\d{3}(\d{2,3})?$"), "10048"),
        city_label=_l("City or county"), city_message=_l("Enter the city or county.")),
    "AU": CountryRules(
        PostalCode(POSTCODE, _l("Enter a postcode such as %(example)s."),
                   re.compile(r"^\d{4}$"), "2000"),
        region=Region(_l("State or territory"), REQUIRED,
                      _l("Enter the state or territory: NSW, VIC, QLD, WA, SA, TAS, ACT or "
                         "NT."), AU_STATES, _l("Such as NSW")),
        city_label=_l("Suburb or town"), city_message=_l("Enter the suburb or town.")),
}

#: Everywhere else.
GENERIC = CountryRules(
    PostalCode(POSTAL_CODE, _l("A postal code has 2 to 12 letters, digits, spaces or "
                               "hyphens."), _GENERIC_POSTAL, "12345"),
    postal_need=OPTIONAL,
    region=Region(_l("State, province or region"), OPTIONAL, _l("Enter the region.")))


def rules_for(country: str | None) -> CountryRules:
    return RULES.get((country or "").upper(), GENERIC)


@dataclass
class Checked:
    """An address after ``check``: its values cleaned, and the errors by field."""

    values: dict[str, str | None]
    errors: dict[str, str]

    @property
    def ok(self) -> bool:
        return not self.errors


def _clean(value: str | None) -> str:
    return " ".join((value or "").split())


def _postal(rules: CountryRules, raw: str, errors: dict[str, str]) -> str | None:
    postal = rules.postal
    if postal is None:
        return None  # not asked: whatever was sent is dropped
    code = raw.upper()
    if not code:
        if rules.postal_need == REQUIRED:
            errors["postal_code"] = str(postal.message) % {"example": postal.example}
        return None
    match = postal.pattern.match(code)
    if match is None:
        errors["postal_code"] = str(postal.message) % {"example": postal.example}
        return code[:12]
    return postal.write(match)


def _region(rules: CountryRules, raw: str, errors: dict[str, str]) -> str | None:
    region = rules.region
    if region is None:
        return None
    if not raw:
        if region.need == REQUIRED:
            errors["region"] = str(region.message)
        return None
    if not region.codes:
        return raw
    wanted = raw.upper().replace(".", "")
    for code, name in region.codes.items():
        if wanted in (code, name.upper().replace(".", "")):
            return code
    errors["region"] = str(region.message)
    return raw


def check(country: str | None, values: dict[str, str | None]) -> Checked:
    """``values`` (the form's strings) checked for an address in ``country``."""
    rules = rules_for(country)
    cleaned = {name: _clean(values.get(name)) for name in FIELDS}
    errors: dict[str, str] = {}
    for name in FIELDS:
        if len(cleaned[name]) > MAX_LENGTHS[name]:
            errors[name] = ngettext("At most %(num)s character.", "At most %(num)s characters.",
                                    MAX_LENGTHS[name])
    if not cleaned["recipient_name"]:
        errors["recipient_name"] = _("Enter the full name of the person it goes to.")
    if not cleaned["address_line1"]:
        errors["address_line1"] = _("Enter the street and number (or the building).")
    if not cleaned["city"]:
        errors["city"] = str(rules.city_message)
    if cleaned["phone"] and not _PHONE.match(cleaned["phone"]):
        errors["phone"] = _("Enter a phone number such as +1 415 555 0100, or leave it "
                            "empty.")
    result = {name: cleaned[name] or None for name in FIELDS}
    result["postal_code"] = _postal(rules, cleaned["postal_code"], errors)
    result["region"] = _region(rules, cleaned["region"], errors)
    return Checked(result, {k: errors[k] for k in FIELDS if k in errors})
