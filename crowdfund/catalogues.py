"""The gettext catalogues: extract the marked texts, update each language, compile, check.

    python -m crowdfund.catalogues update      # what `make translations` runs
    python -m crowdfund.catalogues check       # what the test suite asks (exit 1: stale)
    python -m crowdfund.catalogues init zh_Hant
    python -m crowdfund.catalogues fill zh_Hans translated.json   # {English: translation}
    python -m crowdfund.catalogues hant        # zh_Hant made from zh_Hans (OpenCC, s2twp)

``update`` extracts every text marked in the code (``_``, ``_l``, ``gettext``,
``lazy_gettext``, ``ngettext``) and templates (``{{ _('...') }}``, ``{% trans %}``) into
``crowdfund/translations/messages.pot``, merges it into each language's
``messages.po`` (new texts come in empty, texts gone from the code are dropped; nothing is
matched fuzzily: a changed English text is translated again) and compiles the ``.mo``
files the running app reads. ``check`` says what is wrong without writing: a template out
of date with the code, a text missing or untranslated or fuzzy in a language, a
placeholder that differs from the English, a compiled file older than its catalogue.
docs/i18n.md tells the whole workflow.
"""

from __future__ import annotations

import io
import re
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "crowdfund" / "translations"
TEMPLATE = TRANSLATIONS / "messages.pot"
#: The functions whose first arguments are texts to translate (and ngettext's second).
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None,
            "lazy_gettext": None, "lazy_ngettext": (1, 2), "_n": (1, 2),
            "pgettext": ((1, "c"), 2), "lazy_pgettext": ((1, "c"), 2),
            "npgettext": ((1, "c"), 2, 3)}
_PLACEHOLDER = re.compile(r"%\((\w+)\)[sdif]|%[sdif]")
_HEADER = "crowdfund"
#: Written as the catalogues' dates, so that updating unchanged catalogues changes nothing
#: (git shows what the texts changed, not the clock).
_DATE = datetime(2026, 12, 7, tzinfo=UTC)


def extract() -> Catalog:
    """Every marked text of the code and templates, as a catalogue (no translations)."""
    with open(ROOT / "babel.cfg", encoding="utf-8") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    catalog = Catalog(project=_HEADER, charset="utf-8", fuzzy=False)
    found = extract_from_dir(str(ROOT), method_map, options_map, keywords=KEYWORDS,
                             comment_tags=("TRANSLATORS:",), strip_comment_tags=True,
                             directory_filter=_walked)
    for filename, lineno, message, comments, context in found:
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments,
                    context=context)
    return catalog


def _walked(path: str) -> bool:
    """Every folder but hidden ones, caches and the virtual environment (Babel's own
    filter would also skip ``templates/_macros``)."""
    name = Path(path).name
    return not name.startswith((".", "__")) and name not in {"node_modules", "build", "dist"}


def languages() -> list[str]:
    """The languages that have a catalogue (English is the source: it has none)."""
    return sorted(p.parent.parent.name for p in TRANSLATIONS.glob("*/LC_MESSAGES/messages.po"))


def _po_path(locale: str) -> Path:
    return TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po"


def _read(path: Path, locale: str | None = None) -> Catalog:
    with open(path, "rb") as f:
        return read_po(f, locale=locale)


def _po_bytes(catalog: Catalog) -> bytes:
    catalog.creation_date = catalog.revision_date = _DATE
    catalog.msgid_bugs_address = ""
    catalog.last_translator = "crowdfund"
    catalog.language_team = "crowdfund"
    out = io.BytesIO()
    write_po(out, catalog, width=100, sort_output=True, include_lineno=False,
             ignore_obsolete=True)
    return out.getvalue()


def _mo_bytes(catalog: Catalog) -> bytes:
    out = io.BytesIO()
    write_mo(out, catalog, use_fuzzy=False)
    return out.getvalue()


def update() -> None:
    """Write the template, merge it into every catalogue, compile them all."""
    template = extract()
    TEMPLATE.parent.mkdir(parents=True, exist_ok=True)
    TEMPLATE.write_bytes(_po_bytes(template))
    for locale in languages():
        path = _po_path(locale)
        catalog = _read(path, locale)
        catalog.update(template, no_fuzzy_matching=True)
        path.write_bytes(_po_bytes(catalog))
    compile_all()


def compile_all() -> None:
    for locale in languages():
        path = _po_path(locale)
        path.with_suffix(".mo").write_bytes(_mo_bytes(_read(path, locale)))


def init(locale: str) -> None:
    """Start a catalogue for a new language from the template."""
    path = _po_path(locale)
    if path.exists():
        raise SystemExit(f"{path} exists already")
    path.parent.mkdir(parents=True, exist_ok=True)
    template = _read(TEMPLATE)
    catalog = Catalog(locale=locale, project=_HEADER, charset="utf-8", fuzzy=False)
    catalog.update(template, no_fuzzy_matching=True)
    path.write_bytes(_po_bytes(catalog))
    compile_all()


def fill(locale: str, translations: dict[str, str | list[str]]) -> int:
    """Put translations into ``locale``'s catalogue: ``{English text: translation}`` (for a
    text with a plural, keyed by its singular; a list gives each plural form). Returns how
    many texts were filled; a key the catalogue does not have is refused."""
    path = _po_path(locale)
    catalog = _read(path, locale)
    unknown = [key for key in translations if catalog.get(key) is None
               and not any(isinstance(m.id, tuple) and m.id[0] == key for m in catalog)]
    if unknown:
        raise SystemExit(f"not in the {locale} catalogue: {unknown[:10]}")
    count = 0
    for message in catalog:
        if not message.id:
            continue
        key = message.id[0] if isinstance(message.id, tuple) else message.id
        if key not in translations:
            continue
        value = translations[key]
        if isinstance(message.id, tuple):
            forms = catalog.num_plurals
            value = value if isinstance(value, list) else [value] * forms
            message.string = tuple(value[:forms])
        else:
            message.string = value if isinstance(value, str) else value[0]
        message.flags.discard("fuzzy")
        count += 1
    path.write_bytes(_po_bytes(catalog))
    compile_all()
    return count


def derive_traditional() -> int:
    """Traditional Chinese (``zh_Hant``) written from the Simplified catalogue with OpenCC's
    s2twp conversion (characters, and Taiwan's words for software, video, project...), for
    readers in Taiwan, Hong Kong and Macau; a development tool (OpenCC is in the dev
    extra). Texts a person translated by hand are kept in ``zh_Hant/overrides.json``
    ({English: translation}) and win over the conversion. Returns how many texts."""
    import json

    import opencc

    convert = opencc.OpenCC("s2twp").convert
    simplified = _read(_po_path("zh_Hans"), "zh_Hans")
    overrides_path = TRANSLATIONS / "zh_Hant" / "overrides.json"
    overrides = (json.loads(overrides_path.read_text(encoding="utf-8"))
                 if overrides_path.exists() else {})
    traditional = Catalog(locale="zh_Hant", project=_HEADER, charset="utf-8", fuzzy=False)
    count = 0
    for message in simplified:
        if not message.id:
            continue
        key = message.id[0] if isinstance(message.id, tuple) else message.id
        if isinstance(message.string, tuple | list):
            string = tuple(overrides.get(key) or convert(s) if s else s
                           for s in message.string)
        else:
            string = overrides.get(key) or (convert(message.string) if message.string else "")
        traditional.add(message.id, string, locations=message.locations,
                        auto_comments=message.auto_comments, flags=message.flags,
                        context=message.context)
        count += 1
    path = _po_path("zh_Hant")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(_po_bytes(traditional))
    compile_all()
    return count


def _ids(catalog: Catalog) -> set:
    return {(m.id if isinstance(m.id, str) else tuple(m.id), m.context)
            for m in catalog if m.id}


def placeholders(text: str) -> list[str]:
    """The ``%(name)s`` (and bare ``%s``) placeholders of a text, sorted."""
    return sorted(m.group(1) or m.group(0)[-1] for m in _PLACEHOLDER.finditer(text or ""))


def _message_problems(locale: str, message) -> Iterable[str]:
    where = f"{locale}: {message.id!r}"
    if message.fuzzy:
        yield f"{where} is fuzzy (check the translation, then remove the fuzzy flag)"
    strings = message.string if isinstance(message.string, tuple | list) else [message.string]
    if not all(strings):
        yield f"{where} is not translated"
        return
    english = message.id if isinstance(message.id, tuple | list) else [message.id]
    wanted = placeholders(english[-1])
    for string in strings:
        if placeholders(string) != wanted:
            yield (f"{where}: the placeholders {placeholders(string)} differ from the "
                   f"English {wanted}")


def check() -> list[str]:
    """Everything that makes the catalogues out of date with the code, or incomplete."""
    problems = []
    fresh = extract()
    if not TEMPLATE.exists():
        return ["crowdfund/translations/messages.pot is missing: run `make translations`"]
    template = _read(TEMPLATE)
    added, gone = _ids(fresh) - _ids(template), _ids(template) - _ids(fresh)
    for message_id, _context in sorted(added, key=str)[:20]:
        problems.append(f"messages.pot lacks {message_id!r}: run `make translations`")
    for message_id, _context in sorted(gone, key=str)[:20]:
        problems.append(f"messages.pot still has {message_id!r}, gone from the code: run "
                        "`make translations`")
    for locale in languages():
        catalog = _read(_po_path(locale), locale)
        missing = _ids(fresh) - _ids(catalog)
        problems += [f"{locale}: {message_id!r} is missing: run `make translations`"
                     for message_id, _context in sorted(missing, key=str)[:20]]
        for message in catalog:
            if message.id:
                problems += list(_message_problems(locale, message))
        mo = _po_path(locale).with_suffix(".mo")
        if not mo.exists() or mo.read_bytes() != _mo_bytes(catalog):
            problems.append(f"{locale}: messages.mo is not compiled from messages.po: run "
                            "`make translations`")
    return problems


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "check"
    if command == "update":
        update()
        if (TRANSLATIONS / "zh_Hans").exists():
            derive_traditional()
    elif command == "compile":
        compile_all()
    elif command == "hant":
        print(f"zh_Hant: {derive_traditional()} texts from zh_Hans")
    elif command == "init" and len(argv) == 2:
        init(argv[1])
    elif command == "fill" and len(argv) == 3:
        import json

        with open(argv[2], encoding="utf-8") as f:
            print(f"{fill(argv[1], json.load(f))} texts filled")
    elif command == "check":
        problems = check()
        for problem in problems:
            print(problem)
        return 1 if problems else 0
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
