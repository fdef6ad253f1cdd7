"""The field messages of invalid input in the request's language.

marshmallow and webargs write their messages in English, some with values in them ("Must
be one of: live, funded, ended."). Each is matched here to a text of our catalogue and
translated when the problem is written; a message not known here stays as it is."""

from __future__ import annotations

import re

from crowdfund.i18n import _, _l

#: marshmallow's fixed messages, as its fields and schemas write them.
FIXED = {
    "Missing data for required field.": _l("This is required."),
    "Field may not be null.": _l("This cannot be null."),
    "Invalid value.": _l("This value is not valid."),
    "Not a valid string.": _l("Send text here."),
    "Not a valid utf-8 string.": _l("Send text here."),
    "Not a valid integer.": _l("Send a whole number here."),
    "Not a valid boolean.": _l("Send true or false here."),
    "Not a valid list.": _l("Send a list here."),
    "Invalid type.": _l("Send an object here."),
    "Invalid input type.": _l("Send a JSON object."),
    "Not a valid mapping type.": _l("Send an object here."),
    "Unknown field.": _l("This field is not known here."),
    "String does not match expected pattern.": _l("This value is not valid."),
    "Control characters are not allowed.": _l("Control characters are not allowed here."),
}

_PATTERNS = (
    (re.compile(r"^Must be one of: (?P<choices>.+)\.$"),
     lambda m: _("Choose one of: %(choices)s.", choices=m["choices"])),
    (re.compile(r"^Must be greater than or equal to (?P<min>-?\d+) and less than or equal to "
                r"(?P<max>-?\d+)\.$"),
     lambda m: _("Choose a number from %(min)s to %(max)s.", min=m["min"], max=m["max"])),
    (re.compile(r"^Must be greater than or equal to (?P<min>-?\d+)\.$"),
     lambda m: _("Choose a number of at least %(min)s.", min=m["min"])),
    (re.compile(r"^Longer than maximum length (?P<max>\d+)\.$"),
     lambda m: _("At most %(max)s characters.", max=m["max"])),
    (re.compile(r"^Shorter than minimum length (?P<min>\d+)\.$"),
     lambda m: _("At least %(min)s characters.", min=m["min"])),
    (re.compile(r"^Length must be between (?P<min>\d+) and (?P<max>\d+)\.$"),
     lambda m: _("From %(min)s to %(max)s characters or items.", min=m["min"], max=m["max"])),
    (re.compile(r"^Length must be (?P<equal>\d+)\.$"),
     lambda m: _("Exactly %(equal)s characters.", equal=m["equal"])),
)


def translated(message) -> str:
    """``message`` in the request's language when it is one of those above."""
    text = str(message)
    if text in FIXED:
        return str(FIXED[text])
    for pattern, make in _PATTERNS:
        if found := pattern.match(text):
            return make(found)
    return text
