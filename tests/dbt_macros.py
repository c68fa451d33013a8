"""The project's dbt macros rendered outside dbt, as dbt renders them for an adapter (DuckDB by default):
``adapter.dispatch`` picks ``<adapter>__<name>``, else ``default__<name>``; ``return`` gives its value."""

import re
from pathlib import Path

import jinja2

MACROS_DIR = Path(__file__).resolve().parents[1] / "dbt_project" / "macros"
FILES = ("standardise.sql", "portable.sql")


class _Adapter:
    def __init__(self, adapter_type: str):
        self.adapter_type = adapter_type
        self.macros: dict = {}

    def type(self) -> str:
        return self.adapter_type

    def dispatch(self, name: str, macro_namespace: str | None = None):
        return self.macros.get(f"{self.adapter_type}__{name}") or self.macros[f"default__{name}"]


def render_macro(name: str, *args: str, adapter_type: str = "duckdb") -> str:
    """The SQL of macro ``name`` called with ``args`` (SQL expressions), on one line."""
    adapter = _Adapter(adapter_type)
    text = "".join((MACROS_DIR / f).read_text(encoding="utf-8") for f in FILES)
    env = jinja2.Environment(extensions=["jinja2.ext.do"])
    module = env.from_string(text).make_module({"adapter": adapter, "return": lambda value: value})
    adapter.macros = {n: getattr(module, n) for n in dir(module) if not n.startswith("_")}
    return re.sub(r"\s+", " ", str(getattr(module, name)(*args))).strip()
