"""The project explains itself: its documentation lives in docs/, and nothing in the tree
points at a document that is not in the repository."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Names of documents this project once pointed at from outside the repository.
OUTSIDE = re.compile(r"\.\./shared|(?<![\w/])(DOMAIN|API|PERFORMANCE|ARCHITECTURE|STYLE)\.md")
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


def tracked_files() -> list[Path]:
    listed = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout.split()
    return [ROOT / name for name in listed if (ROOT / name).is_file()]


def test_nothing_points_outside_the_repository():
    offenders = []
    for path in tracked_files():
        if path.suffix in {".lock", ".png", ".ico"} or path.name == "test_docs.py":
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        for number, line in enumerate(text.splitlines(), 1):
            if OUTSIDE.search(line):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offenders == [], "\n".join(offenders)


def test_every_relative_link_in_the_docs_resolves():
    documents = [ROOT / "README.md", ROOT / "deploy" / "README.md", *(ROOT / "docs").glob("*.md")]
    broken = []
    for document in documents:
        for target in LINK.findall(document.read_text(encoding="utf-8")):
            if "://" in target or target.startswith("mailto:"):
                continue
            if not (document.parent / target).exists():
                broken.append(f"{document.relative_to(ROOT)} → {target}")
    assert broken == [], "\n".join(broken)
    assert {p.name for p in (ROOT / "docs").glob("*.md")} >= {
        "domain.md",
        "api.md",
        "architecture.md",
        "security.md",
        "performance.md",
    }
