"""The country select: checked in a set, rendered from a cache, exactly as WTForms would."""

import pytest
from wtforms import SelectField
from wtforms.validators import Optional

from crowdfund.forms import BaseForm, CountryField, country_select_choices


class Ours(BaseForm):
    destination = CountryField("Ship to", validators=[Optional()])


class WTForms(BaseForm):
    destination = SelectField("Ship to", validators=[Optional()])


@pytest.mark.parametrize("data", [{"destination": "FR"}, {"destination": ""}, None,
                                  {"destination": "<script>"}, {"destination": "ZZ"}])
def test_it_renders_what_a_plain_select_renders(app, data):
    with app.test_request_context("/", method="POST" if data else "GET", data=data):
        ours, theirs = Ours(), WTForms()
        theirs.destination.choices = country_select_choices()
        attrs = {"aria-describedby": "hint", "class": "wide"}
        assert str(ours.destination(**attrs)) == str(theirs.destination(**attrs))


@pytest.mark.parametrize(("code", "valid"), [("FR", True), ("", True), ("ZZ", False),
                                             ("fr", False), ("FRA", False)])
def test_only_listed_countries_pass(app, code, valid):
    with app.test_request_context("/", method="POST", data={"destination": code}):
        form = Ours()
        assert form.validate() is valid
        if not valid:
            assert form.destination.errors == ["Choose a country from the list."]
