"""The fixed list of campaign categories (slug -> label, in the reader's language)."""

from crowdfund.i18n import _l

CATEGORIES: dict[str, str] = {
    "art": _l("Art"),
    "comics": _l("Comics"),
    "crafts": _l("Crafts"),
    "design": _l("Design"),
    "fashion": _l("Fashion"),
    "film": _l("Film & Video"),
    "food": _l("Food"),
    "games": _l("Games"),
    "journalism": _l("Journalism"),
    "music": _l("Music"),
    "photography": _l("Photography"),
    "publishing": _l("Publishing"),
    "technology": _l("Technology"),
    "theater": _l("Theater"),
    "business": _l("Business & Startups"),
}


def category_label(slug: str) -> str:
    return CATEGORIES.get(slug, slug.title())
