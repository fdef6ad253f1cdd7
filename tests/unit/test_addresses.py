"""Shipping addresses checked per country (the survey's address, ``fulfilment.addresses``):
the fields each country requires, its postal-code format and how the code is written once
valid, region codes where the post uses them, and the generic rule everywhere else."""

import pytest

from crowdfund.fulfilment.addresses import check, rules_for

STREET = {"recipient_name": "Grace Hopper", "address_line1": "1 Main Street"}


def _checked(app, country, **values):
    with app.test_request_context("/"):
        return check(country, {**STREET, **values})


#: (country, what the backer types, what is kept): one valid address per country.
VALID = [
    ("US", {"city": "San Francisco", "region": "ca", "postal_code": "94105-1234"},
     {"region": "CA", "postal_code": "94105-1234"}),
    ("US", {"city": "Boston", "region": "Massachusetts", "postal_code": "02108"},
     {"region": "MA", "postal_code": "02108"}),
    ("GB", {"city": "London", "postal_code": "sw1a1aa"}, {"postal_code": "SW1A 1AA",
                                                          "region": None}),
    ("GB", {"city": "Manchester", "region": "Greater Manchester", "postal_code": "M1 1AE"},
     {"postal_code": "M1 1AE", "region": "Greater Manchester"}),
    ("CA", {"city": "Ottawa", "region": "Ontario", "postal_code": "k1a0b1"},
     {"region": "ON", "postal_code": "K1A 0B1"}),
    ("DE", {"city": "Berlin", "postal_code": "10115", "region": "Berlin"},
     {"postal_code": "10115", "region": None}),
    ("FR", {"city": "Paris", "postal_code": "75001"}, {"postal_code": "75001"}),
    ("CN", {"city": "深圳市", "region": "广东省", "postal_code": "518000"},
     {"region": "广东省", "postal_code": "518000"}),
    ("JP", {"city": "千代田区", "region": "東京都", "postal_code": "1000001"},
     {"region": "東京都", "postal_code": "100-0001"}),
    ("HK", {"city": "Mong Kok", "region": "Kowloon", "postal_code": "999077"},
     {"region": "Kowloon", "postal_code": None}),  # no postal codes: dropped
    ("TW", {"city": "台北市", "postal_code": "10048"}, {"postal_code": "10048"}),
    ("TW", {"city": "台北市", "postal_code": "100"}, {"postal_code": "100"}),
    ("AU", {"city": "Sydney", "region": "nsw", "postal_code": "2000"},
     {"region": "NSW", "postal_code": "2000"}),
    ("NZ", {"city": "Wellington", "postal_code": "6011"}, {"postal_code": "6011"}),
    ("NZ", {"city": "Wellington"}, {"postal_code": None}),  # generic: optional
]


@pytest.mark.parametrize(("country", "typed", "kept"), VALID,
                         ids=[f"{v[0]}-{i}" for i, v in enumerate(VALID)])
def test_a_valid_address_is_kept_written_the_countrys_way(app, country, typed, kept):
    checked = _checked(app, country, **typed)
    assert checked.errors == {}
    for name, value in kept.items():
        assert checked.values[name] == value


#: (country, what the backer types, the field refused, the message).
INVALID = [
    ("US", {"city": "Boston", "region": "MA", "postal_code": "0210"}, "postal_code",
     "Enter a ZIP code such as 94103."),
    ("US", {"city": "Boston", "postal_code": "02108"}, "region",
     "Enter the state: its two-letter code, such as CA."),
    ("US", {"city": "Boston", "region": "XX", "postal_code": "02108"}, "region",
     "Enter the state: its two-letter code, such as CA."),
    ("US", {"city": "Boston", "region": "MA"}, "postal_code",
     "Enter a ZIP code such as 94103."),
    ("GB", {"city": "London", "postal_code": "12345"}, "postal_code",
     "Enter a postcode such as SW1A 1AA."),
    ("CA", {"city": "Ottawa", "region": "ON", "postal_code": "12345"}, "postal_code",
     "Enter a postal code such as K1A 0B1."),
    ("CA", {"city": "Ottawa", "postal_code": "K1A 0B1"}, "region",
     "Enter the province or territory: its two-letter code, such as ON."),
    ("DE", {"city": "Berlin", "postal_code": "1011"}, "postal_code",
     "Enter a postcode such as 10115."),
    ("FR", {"city": "Paris", "postal_code": "7500A"}, "postal_code",
     "Enter a postcode such as 75001."),
    ("FR", {"postal_code": "75001"}, "city", "Enter the town or city."),
    ("CN", {"city": "深圳市", "region": "广东省", "postal_code": "51800"}, "postal_code",
     "Enter a postal code such as 100000."),
    ("CN", {"city": "深圳市", "postal_code": "518000"}, "region", "Enter the province."),
    ("JP", {"city": "千代田区", "region": "東京都", "postal_code": "10000001"},
     "postal_code", "Enter a postal code such as 100-0001."),
    ("JP", {"city": "千代田区", "postal_code": "100-0001"}, "region",
     "Enter the prefecture."),
    ("HK", {"city": "Mong Kok"}, "region",
     "Enter the area: Hong Kong Island, Kowloon or the New Territories."),
    ("HK", {"region": "Kowloon"}, "city", "Enter the district."),
    ("TW", {"city": "台北市", "postal_code": "1004"}, "postal_code",
     "Enter a postal code such as 10048."),
    ("AU", {"city": "Sydney", "region": "NSW", "postal_code": "200"}, "postal_code",
     "Enter a postcode such as 2000."),
    ("AU", {"city": "Sydney", "region": "Queens", "postal_code": "2000"}, "region",
     "Enter the state or territory: NSW, VIC, QLD, WA, SA, TAS, ACT or NT."),
    ("NZ", {"city": "Wellington", "postal_code": "6011!"}, "postal_code",
     "A postal code has 2 to 12 letters, digits, spaces or hyphens."),
    ("NZ", {"city": "Wellington", "phone": "call me"}, "phone",
     "Enter a phone number such as +1 415 555 0100, or leave it empty."),
]


@pytest.mark.parametrize(("country", "typed", "field", "message"), INVALID,
                         ids=[f"{v[0]}-{v[2]}-{i}" for i, v in enumerate(INVALID)])
def test_a_wrong_field_is_refused_with_its_message(app, country, typed, field, message):
    checked = _checked(app, country, **typed)
    assert checked.errors == {field: message}


def test_name_and_street_are_required_everywhere(app):
    with app.test_request_context("/"):
        checked = check("DE", {"city": "Berlin", "postal_code": "10115",
                               "recipient_name": "  ", "address_line1": ""})
    assert checked.errors == {
        "recipient_name": "Enter the full name of the person it goes to.",
        "address_line1": "Enter the street and number (or the building)."}


def test_spaces_are_squeezed_and_lengths_limited(app):
    checked = _checked(app, "FR", city="  Paris   1er  ", postal_code=" 75001 ",
                       address_line2="x" * 201)
    assert checked.values["city"] == "Paris 1er" and checked.values["postal_code"] == "75001"
    assert checked.errors == {"address_line2": "At most 200 characters."}


def test_the_ten_countries_have_rules_of_their_own(app):
    generic = rules_for("NZ")
    assert rules_for("") is generic and rules_for(None) is generic
    for country in ("US", "GB", "CA", "DE", "FR", "CN", "JP", "HK", "TW", "AU"):
        assert rules_for(country) is not generic, country
        assert rules_for(country.lower()) is rules_for(country)
