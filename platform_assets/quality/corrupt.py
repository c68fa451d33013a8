"""Corruption injector: damages a copy of landing data in known ways, for tests and benchmarks.

    python -m platform_assets.quality.corrupt --src data/demo/landing --out /tmp/corrupt --seed 7

copies ``--src`` (a landing directory, never modified) to ``--out/landing`` and damages the copy:
  * row-level damage, each on rows that are otherwise clean, one quarantine rule per row (see
    ``DAMAGE``): unparseable numbers and dates, missing keys, future dates, return signs, unknown
    products and stores, exact duplicate lines;
  * the lines of a damaged receipt or order then lose their parent: they are counted as expected
    ``unknown_parent`` quarantines;
  * one monthly file delivered twice under another name (loaded once), and the CRM export
    re-encoded in Windows-1252 (read correctly, nothing quarantined; letters Windows-1252 lacks,
    such as Polish ones, become '?' as in a real legacy export).
It writes ``--out/corruption.json``: the expected quarantined rows per source and rule, and every
damaged row (file, row number, rule, column, original and damaged value), so a test can assert an
exact reconciliation. Same input and seed, same damage.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import random
import shutil
import sys
from collections import defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path

from platform_assets.landing.contracts import CONTRACTS_BY_TABLE, SourceContract
from platform_assets.landing.loader import source_files
from platform_assets.lib.retailer import DEMO_RETAILER, load_retailer
from platform_assets.quality.rules import REFERENCES


@dataclass(frozen=True)
class Damage:
    table: str
    rule: str
    column: str | None  # None: the whole row (a duplicate)
    value: str | None  # the damaged value (None for a duplicate)


# (source, rule, column, damaged value): ROWS_PER_DAMAGE rows each.
DAMAGE = (
    Damage("pos_receipt_lines", "unparseable_number", "qty", "2,5"),
    Damage("pos_receipt_lines", "missing_required", "sku", ""),
    Damage("pos_receipt_lines", "sign_inconsistent", "is_return", "Y"),  # a sale flagged as a return
    Damage("pos_receipt_lines", "unknown_product", "sku", "99999999"),
    Damage("pos_receipt_lines", "duplicate_row", None, None),
    Damage("pos_receipts", "unknown_store", "store_code", "XX999"),
    Damage("pos_receipts", "future_date", "ticket_ts", "2031-06-01T10:00:00"),
    Damage("ecommerce_orders", "unparseable_date", "ordered_at", "31/02/2026 10:00"),
    Damage("ecommerce_order_lines", "sign_inconsistent", "line_type", "return"),
    Damage("ecommerce_order_lines", "unknown_product", "sku", "00000000"),
    Damage("crm_contacts", "unparseable_date", "created_at", "2026-02-31 10:00:00"),
    Damage("crm_contacts", "missing_required", "contact_id", ""),
    Damage("emailing_events", "future_date", "event_at", "2031-01-01T00:00:00Z"),
    Damage("emailing_events", "duplicate_row", None, None),
    Damage("marketing_spend", "unparseable_number", "spend", "12.3.4"),
    Damage("consent_preferences", "missing_required", "status", ""),
)
ROWS_PER_DAMAGE = 3
RESENT_TABLE = "pos_receipts"  # its last monthly file is delivered a second time
REENCODED_TABLE = "crm_contacts"  # re-encoded in Windows-1252


def _layout(contract: SourceContract):
    """The demo's file layout of the source (the injector damages demo landing data)."""
    return load_retailer(DEMO_RETAILER).sources[contract.table]


@dataclass
class SourceFile:
    """A landing file held as rows of values (CSV) or JSON objects (NDJSON)."""

    path: Path
    contract: SourceContract
    header: list[str]
    rows: list  # list[list[str]] for CSV, list[dict] for NDJSON

    @classmethod
    def read(cls, path: Path, contract: SourceContract) -> SourceFile:
        text = path.read_text(encoding="utf-8")
        if _layout(contract).format == "ndjson":
            rows = [json.loads(line) for line in text.splitlines() if line.strip()]
            return cls(path, contract, list(rows[0]) if rows else [], rows)
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=_layout(contract).delimiter))
        return cls(path, contract, records[0], records[1:])

    def get(self, row: int, column: str) -> str | None:
        record = self.rows[row]
        return record.get(column) if isinstance(record, dict) else record[self.header.index(column)]

    def set(self, row: int, column: str, value: str) -> None:
        if isinstance(self.rows[row], dict):
            self.rows[row][column] = value
        else:
            self.rows[row][self.header.index(column)] = value

    def write(self, encoding: str = "utf-8") -> None:
        if _layout(self.contract).format == "ndjson":
            text = "".join(json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n" for r in self.rows)
        else:
            buffer = io.StringIO(newline="")
            writer = csv.writer(buffer, delimiter=_layout(self.contract).delimiter, lineterminator="\n")
            writer.writerow(self.header)
            writer.writerows(self.rows)
            text = buffer.getvalue()
        # Characters Windows-1252 lacks (Polish letters) become '?', as in a real legacy export.
        self.path.write_bytes(text.encode(encoding, errors="replace"))


def _children() -> dict[str, list[tuple[str, str, str]]]:
    """parent table -> [(child table, child column, parent column)] for the unknown_parent rule."""
    children: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
    for table, refs in REFERENCES.items():
        for ref in refs:
            if ref.rule == "unknown_parent":
                children[ref.ref_table].append((table, ref.column, ref.ref_column))
    return children


def _eligible(damage: Damage, file: SourceFile, row: int) -> bool:
    """Rows where the damage breaks exactly its rule (e.g. a sale line for a fake return)."""
    if damage.rule == "sign_inconsistent" and damage.column == "is_return":
        return file.get(row, "is_return") == "N"
    if damage.rule == "sign_inconsistent" and damage.column == "line_type":
        return file.get(row, "line_type") == "sale"
    return True


def corrupt(src: Path, out: Path, seed: int) -> dict:
    """Copy ``src`` to ``out/landing``, damage the copy, return (and write) the manifest."""
    if not src.is_dir():
        raise FileNotFoundError(f"{src}: no such landing directory")
    landing = out / "landing"
    if landing.exists():
        shutil.rmtree(landing)
    shutil.copytree(src, landing)
    rng = random.Random(seed)
    files: dict[str, list[SourceFile]] = {}
    for table in sorted({d.table for d in DAMAGE} | {c[0] for v in _children().values() for c in v}):
        contract = CONTRACTS_BY_TABLE[table]
        files[table] = [SourceFile.read(p, contract) for p in source_files(landing, _layout(contract))]

    damaged_keys: dict[str, set[str]] = defaultdict(set)  # parent table -> keys of damaged rows
    taken: dict[str, set[tuple[int, int]]] = defaultdict(set)  # table -> (file index, row) used
    records = []
    expected: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    children = _children()
    # Parents first, so that lines of damaged receipts and orders are never picked for other damage.
    for damage in sorted(DAMAGE, key=lambda d: d.table not in children):
        sources = files[damage.table]
        key_column = CONTRACTS_BY_TABLE[damage.table].primary_key[0]
        parents = [
            (ref_table, child_column)
            for ref_table, kids in children.items()
            for child, child_column, _ in kids
            if child == damage.table
        ]
        picked = 0
        while picked < ROWS_PER_DAMAGE:
            f = rng.randrange(len(sources))
            row = rng.randrange(len(sources[f].rows))
            file = sources[f]
            if (f, row) in taken[damage.table] or not _eligible(damage, file, row):
                continue
            if any(file.get(row, col) in damaged_keys[parent] for parent, col in parents):
                continue
            taken[damage.table].add((f, row))
            original_key = file.get(row, key_column)
            if damage.rule == "duplicate_row":
                copy = dict(file.rows[row]) if isinstance(file.rows[row], dict) else list(file.rows[row])
                file.rows.append(copy)
                taken[damage.table].add((f, len(file.rows) - 1))
                at, original = len(file.rows) - 1, None
            else:
                at, original = row, file.get(row, damage.column)
                file.set(row, damage.column, damage.value)
            if damage.table in children:
                damaged_keys[damage.table].add(original_key)
            records.append(
                {
                    **asdict(damage),
                    "file": str(file.path.relative_to(landing)),
                    "row_number": at + 1,
                    "original": original,
                }
            )
            expected[damage.table][damage.rule] += 1
            picked += 1

    for parent, keys in damaged_keys.items():
        for child, child_column, _ in children[parent]:
            orphans = sum(
                1
                for file in files[child]
                for row in range(len(file.rows))
                if file.get(row, child_column) in keys
            )
            if orphans:
                expected[child]["unknown_parent"] += orphans

    for table, sources in files.items():
        for file in sources:
            file.write("cp1252" if table == REENCODED_TABLE else "utf-8")

    resent = source_files(landing, _layout(CONTRACTS_BY_TABLE[RESENT_TABLE]))[-1]
    copy = resent.with_name(resent.stem + "_resent" + resent.suffix)
    shutil.copyfile(resent, copy)

    manifest = {
        "source": str(src),
        "seed": seed,
        "expected_quarantine": {t: dict(sorted(r.items())) for t, r in sorted(expected.items())},
        "damaged_rows": records,
        "files_delivered_twice": [
            {"file": str(copy.relative_to(landing)), "same_as": str(resent.relative_to(landing))}
        ],
        "reencoded_cp1252": [str(f.path.relative_to(landing)) for f in files[REENCODED_TABLE]],
    }
    (out / "corruption.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--src", type=Path, required=True, help="landing directory to copy (never modified)")
    parser.add_argument(
        "--out", type=Path, required=True, help="writes <out>/landing and <out>/corruption.json"
    )
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    manifest = corrupt(args.src, args.out, args.seed)
    for table, rules in manifest["expected_quarantine"].items():
        print(f"{table:28} " + ", ".join(f"{rule} {n}" for rule, n in rules.items()))
    print(f"wrote {args.out / 'landing'} and {args.out / 'corruption.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
