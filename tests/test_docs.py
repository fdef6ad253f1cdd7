"""The documentation's links hold: every Markdown file that a file of the repository
names (code, templates, tests, the README, docs/) exists in the repository, with the
section named after ``#``; links within a Markdown file name sections it has; and the
README leads to docs/."""

import os
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: Folders that are not the repository's own text: virtualenvs, caches, the instance
#: folder (a machine's own state), build output.
SKIPPED_DIRS = frozenset({".git", ".venv", "venv", "instance", "node_modules", "__pycache__",
                          ".pytest_cache", ".ruff_cache", "build", "dist"})
#: Files read for references ("": Makefile, Procfile, Dockerfile, .ci/run...).
TEXT_SUFFIXES = frozenset({".py", ".md", ".html", ".txt", ".toml", ".cfg", ".ini", ".yaml",
                           ".yml", ".sh", ".js", ".css", ".json", ""})

#: A path ending in .md, maybe with a section: ``README.md``, ``docs/money.md#the-ledger``,
#: ``../README.md#deploying``.
MD_REFERENCE = re.compile(r"(?<![\w./-])([\w./-]*[\w-]\.md)(?:#([\w-]+))?(?!\w)")
#: A link to a section of the same Markdown file: ``[the numbers](#the-numbers)``.
SAME_FILE_LINK = re.compile(r"\]\(#([\w-]+)\)")
#: Addresses elsewhere (``https://github.com/.../README.md``) are not ours to check.
URL = re.compile(r"[a-z][a-z0-9+.-]*://[^\s)\"'>]+", re.IGNORECASE)
HEADING = re.compile(r" {0,3}#{1,6}\s+(.*?)\s*#*\s*$")


def text_files(root: Path):
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d not in SKIPPED_DIRS and not d.endswith(".egg-info")]
        for name in files:
            path = Path(folder) / name
            if path.suffix in TEXT_SUFFIXES and path.stat().st_size < 2_000_000:
                try:
                    yield path, path.read_text(encoding="utf-8")
                except UnicodeDecodeError:
                    continue


def slug(heading: str) -> str:
    """The anchor GitHub gives a heading: its text (links and inline code as their text),
    lower case, without punctuation but hyphens and underscores, spaces as hyphens."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)
    text = re.sub(r"<[^>]+>", "", text).replace("`", "").lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(markdown: str) -> set[str]:
    """The sections of a Markdown text (a repeated heading gets -1, -2...), and explicit
    ``<a id="...">`` anchors; headings inside code blocks are not sections."""
    found: set[str] = set()
    seen: dict[str, int] = {}
    in_code = False
    for line in markdown.splitlines():
        if line.lstrip().startswith(("```", "~~~")):
            in_code = not in_code
            continue
        if in_code:
            continue
        if match := HEADING.match(line):
            name = slug(match.group(1))
            count = seen.get(name, 0)
            seen[name] = count + 1
            found.add(name if count == 0 else f"{name}-{count}")
        found.update(re.findall(r"<a\s+(?:id|name)=\"([^\"]+)\"", line))
    return found


def resolve(root: Path, source: Path, reference: str) -> Path | None:
    """The file ``reference`` names: relative to the file that names it (a Markdown link)
    or to the repository's top (a path in code); None when neither is a file in it."""
    for base in (source.parent, root):
        candidate = (base / reference.lstrip("/")).resolve()
        if candidate.is_file() and root.resolve() in candidate.parents:
            return candidate
    return None


def dead_references(root: Path) -> list[str]:
    """Every reference to a Markdown file or section that is not in the repository, as
    ``file:line: reference``."""
    problems: list[str] = []
    sections: dict[Path, set[str]] = {}

    def sections_of(path: Path) -> set[str]:
        if path not in sections:
            sections[path] = anchors(path.read_text(encoding="utf-8"))
        return sections[path]

    for path, text in text_files(root):
        where = path.relative_to(root)
        for number, line in enumerate(text.splitlines(), 1):
            line = URL.sub(" ", line)
            for match in MD_REFERENCE.finditer(line):
                reference, section = match.groups()
                target = resolve(root, path, reference)
                if target is None:
                    problems.append(f"{where}:{number}: {match.group(0)} (no such file)")
                elif section and section not in sections_of(target):
                    problems.append(f"{where}:{number}: {match.group(0)} (no such section)")
            if path.suffix == ".md":
                for section in SAME_FILE_LINK.findall(line):
                    if section not in sections_of(path):
                        problems.append(f"{where}:{number}: #{section} (no such section)")
    return sorted(problems)


def test_every_markdown_file_and_section_named_exists():
    assert dead_references(ROOT) == []


def test_a_dead_reference_is_found(tmp_path):
    """The check is not vacuous: a note kept outside the repository, a missing section
    and a broken link within a page are found; what exists, and addresses elsewhere,
    are not."""
    md = ".md"  # kept apart, so that this file names no Markdown file itself
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / f"money{md}").write_text(
        "# Money\n\n## The ledger\n\n```\n## Not a section\n```\n\n"
        f"See [the ledger](#the-ledger), [nothing](#nowhere), [top](../README{md}#top).\n")
    (tmp_path / f"README{md}").write_text("# Top\n")
    (tmp_path / "app.py").write_text(
        f'"""Posting (docs/money{md}#the-ledger); the protocol (PAYMENTS{md});\n'
        f"the close (docs/money{md}#not-a-section); https://example.com/GUIDE{md}.\n"
        '"""\n')
    assert dead_references(tmp_path) == [
        f"app.py:1: PAYMENTS{md} (no such file)",
        f"app.py:2: docs/money{md}#not-a-section (no such section)",
        "docs/money.md:9: #nowhere (no such section)",
    ]


def test_github_anchors():
    assert slug("Rotating `SECRET_KEY`") == "rotating-secret_key"
    assert slug("The deadline: funded or failed") == "the-deadline-funded-or-failed"
    assert slug("Database migrations, per release") == "database-migrations-per-release"
    assert anchors("## Steps\n## Steps\n") == {"steps", "steps-1"}


def test_the_readme_leads_to_the_docs():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    links = re.findall(r"\]\((docs/[^)#\s]*)", readme)
    assert links, "README.md has no link into docs/"
    assert all(resolve(ROOT, ROOT / "README.md", link) for link in links), links
    index = (ROOT / "docs" / "README.md").read_text(encoding="utf-8")
    for document in ("domain", "money", "operations"):
        assert f"]({document}.md)" in index, document
