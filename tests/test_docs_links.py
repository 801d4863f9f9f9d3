"""README.md and docs/*.md link only to files and headings that exist (screenshots included)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
#: Markdown links and images: [text](target) / ![alt](target); external and mail links are not checked.
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def _anchors(document: Path) -> set[str]:
    in_code = False
    anchors = set()
    for line in document.read_text().splitlines():
        if line.startswith("```"):
            in_code = not in_code
        elif not in_code and line.startswith("#"):
            anchors.add(_slug(line.lstrip("#")))
    return anchors


def _prose(text: str) -> str:
    """The text without fenced blocks and inline code, where brackets are not links (regexes, shell)."""
    text = re.sub(r"^```.*?^```", "", text, flags=re.DOTALL | re.MULTILINE)
    return re.sub(r"`[^`\n]*`", "", text)


def _local_links(document: Path) -> list[str]:
    targets = LINK.findall(_prose(document.read_text()))
    return [target for target in targets if not re.match(r"^[a-z]+:", target)]


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda path: str(path.relative_to(ROOT)))
def test_local_links_resolve(document: Path) -> None:
    broken = []
    for target in _local_links(document):
        path_part, _, anchor = target.partition("#")
        linked = (document.parent / path_part).resolve() if path_part else document
        if not linked.exists() or (anchor and linked.suffix == ".md" and anchor not in _anchors(linked)):
            broken.append(target)
    assert broken == []


def test_readme_shows_every_screenshot() -> None:
    """The web tests save docs/screenshots/*.png; README shows each one."""
    shots = sorted(path.name for path in (ROOT / "docs" / "screenshots").glob("*.png"))
    shown = sorted(
        Path(t).name for t in _local_links(ROOT / "README.md") if t.startswith("docs/screenshots/")
    )
    assert shown == shots
