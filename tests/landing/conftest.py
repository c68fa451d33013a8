import duckdb
import pytest


@pytest.fixture
def conn():
    """An in-memory warehouse for one test."""
    with duckdb.connect() as c:
        yield c
