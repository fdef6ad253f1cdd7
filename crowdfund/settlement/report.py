"""What one settlement run did to one campaign."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Report:
    """What one run did to one campaign."""

    slug: str
    outcome: str = ""
    counts: dict[str, int] = field(default_factory=dict)

    def add(self, what: str) -> None:
        self.counts[what] = self.counts.get(what, 0) + 1

    def describe(self) -> str:
        parts = ", ".join(f"{k}: {v}" for k, v in sorted(self.counts.items()))
        return f"{self.slug}: {self.outcome}" + (f" ({parts})" if parts else "")
