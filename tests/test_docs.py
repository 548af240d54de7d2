"""The project explains itself: its documentation lives in docs/, and nothing in the tree
points at a document that is not in the repository."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
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


def test_every_error_code_is_documented():
    spec = importlib.util.spec_from_file_location("error_codes", ROOT / "tests" / "error_codes.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclass looks itself up there
    spec.loader.exec_module(module)
    error_codes = module.error_codes

    documented = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "docs").glob("*.md"))
    codes = error_codes()
    missing = sorted(code for code in codes if f"`{code}`" not in documented)
    assert len(codes) > 100
    assert missing == [], f"add these to docs/errors.md (python tests/error_codes.py): {missing}"
