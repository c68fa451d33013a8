"""Writing landing files in tests."""

from pathlib import Path


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    """``text`` written to ``path`` (folders made) in ``encoding``, byte for byte."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))
    return path
