"""The translations are part of the code: `make test` fails when a marked text is missing
from the catalogues, untranslated, fuzzy, has other placeholders than its English, or
when a compiled catalogue is older than its source (run `make translations`)."""

from __future__ import annotations

from crowdfund import catalogues


def test_the_catalogues_are_up_to_date_with_the_code_and_complete():
    problems = catalogues.check()
    assert not problems, "\n".join(problems[:50])


def test_every_language_offered_has_its_catalogue():
    from crowdfund.i18n import LANGUAGES

    assert set(catalogues.languages()) == set(LANGUAGES) - {"en"}


def test_the_check_finds_what_it_must(tmp_path, monkeypatch):
    """A catalogue with a missing text, a fuzzy one, a wrong placeholder and a stale .mo
    is reported for each."""
    from babel.messages.catalog import Catalog

    template = Catalog(project="crowdfund")
    for text in ("Hello %(name)s", "Bye", "Gone soon"):
        template.add(text)
    folder = tmp_path / "translations"
    (folder / "xx" / "LC_MESSAGES").mkdir(parents=True)
    monkeypatch.setattr(catalogues, "TRANSLATIONS", folder)
    monkeypatch.setattr(catalogues, "TEMPLATE", folder / "messages.pot")
    monkeypatch.setattr(catalogues, "extract", lambda: template)
    (folder / "messages.pot").write_bytes(catalogues._po_bytes(template))
    po = Catalog(locale="zh_Hans", project="crowdfund")
    po.add("Hello %(name)s", "你好 %(who)s")
    po.add("Bye", "再见", flags=["fuzzy"])
    (folder / "xx" / "LC_MESSAGES" / "messages.po").write_bytes(catalogues._po_bytes(po))
    problems = "\n".join(catalogues.check())
    assert "'Gone soon' is missing" in problems
    assert "'Bye' is fuzzy" in problems
    assert "placeholders ['who'] differ from the English ['name']" in problems
    assert "messages.mo is not compiled" in problems
