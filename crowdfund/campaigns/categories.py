"""The fixed list of campaign categories (slug -> label)."""

CATEGORIES: dict[str, str] = {
    "art": "Art",
    "comics": "Comics",
    "crafts": "Crafts",
    "design": "Design",
    "fashion": "Fashion",
    "film": "Film & Video",
    "food": "Food",
    "games": "Games",
    "journalism": "Journalism",
    "music": "Music",
    "photography": "Photography",
    "publishing": "Publishing",
    "technology": "Technology",
    "theater": "Theater",
    "business": "Business & Startups",
}


def category_label(slug: str) -> str:
    return CATEGORIES.get(slug, slug.title())
