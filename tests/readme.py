"""The README's runnable examples: every fenced block that follows a ``<!-- runnable -->`` line.

``bash`` blocks are commands run from the repository root (tests/test_readme_commands.py); ``sql``
blocks start with ``-- duckdb -readonly data/published/<file>.duckdb`` and are run by the released
DuckDB CLI against that published file (tests/publish/test_released_cli.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"
MARK = "<!-- runnable -->"
FENCE = re.compile(r"^```(\w+)\s*$")
SQL_FILE = re.compile(r"^-- duckdb -readonly data/published/(\w+\.duckdb)\s*$")


@dataclass(frozen=True)
class Block:
    language: str
    text: str
    line: int  # of the opening fence, 1-based

    @property
    def where(self) -> str:
        return f"README.md:{self.line}"


def runnable_blocks(language: str, path: Path = README) -> list[Block]:
    """The marked blocks of ``language``; a mark not followed by a fenced block is an error."""
    lines = path.read_text().splitlines()
    blocks = []
    for i, line in enumerate(lines):
        if line.strip() != MARK:
            continue
        fence = FENCE.match(lines[i + 1]) if i + 1 < len(lines) else None
        if not fence:
            raise ValueError(f"README.md:{i + 1}: {MARK} is not followed by a fenced block")
        end = next(j for j in range(i + 2, len(lines)) if lines[j].strip() == "```")
        if fence.group(1) == language:
            blocks.append(Block(language, "\n".join(lines[i + 2 : end]) + "\n", i + 2))
    return blocks


def sql_statements(block: Block) -> tuple[str, list[str]]:
    """The published file a ``sql`` block names on its first line, and its statements (split on a
    ``;`` that ends a line, comments kept)."""
    first, _, body = block.text.partition("\n")
    named = SQL_FILE.match(first)
    if not named:
        raise ValueError(
            f"{block.where}: a runnable sql block starts with '-- duckdb -readonly data/published/…'"
        )
    statements = [s.strip() for s in re.split(r";[ \t]*(?:--[^\n]*)?\n", body) if _has_sql(s)]
    return named.group(1), statements


def _has_sql(text: str) -> bool:
    return any(line.strip() and not line.strip().startswith("--") for line in text.splitlines())
