"""Helpers for the quality tests: tiny landing files written in the test's own folder."""

from datetime import datetime
from pathlib import Path

import duckdb
import pytest

LOADED_AT = datetime(2026, 11, 1, 6, 0)


def write(path: Path, text: str | bytes, encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text if isinstance(text, bytes) else text.encode(encoding))
    return path


@pytest.fixture
def conn():
    with duckdb.connect() as c:
        yield c
