"""Landing-file checks before anything is loaded: empty, truncated, encoding, delimiter, header.

One pass over each file's bytes gives its checksum (a file delivered twice is loaded once), its
encoding (the configured one; with the default UTF-8, Windows-1252/latin-1 is recognised too, the
usual French retail export; anything else is refused) and its line count. The file's layout
(format, delimiter, header or ``file_columns``) is the retailer configuration's ``SourceDelivery``.
Every problem is a ``LandingFileError`` naming the file, the line where there is one, and the problem.
A file whose name ends in ``.gz`` is gzip-compressed: every check reads its decompressed text (the
checksum is of the bytes as delivered), and a file cut short or not gzip at all is refused.

A file read line by line by DuckDB (NDJSON whose malformed lines are quarantined: the web analytics
export, tens of millions of lines) gets a light scan instead (``scan_lines_file``): the checksum of
its bytes as delivered (compressed, for gzip), its header from its first JSON object; DuckDB checks
the rest as it reads (a gzip stream cut short, a byte that is not UTF-8, a NUL byte), and a file it
cannot read gets this full scan for the precise error (``landing/loader.py``).
"""

from __future__ import annotations

import codecs
import gzip
import hashlib
import json
import zlib
from dataclasses import dataclass
from pathlib import Path

from platform_assets.landing.contracts import SourceContract
from platform_assets.lib.retailer import SourceDelivery

DELIMITERS = (",", ";", "\t", "|")
# Bytes Windows-1252 leaves undefined: a file holding them is not cp1252 text either.
_CP1252_UNDEFINED = frozenset(b"\x81\x8d\x8f\x90\x9d")


class LandingFileError(ValueError):
    """A landing file that cannot be loaded; the message names the file and the problem."""


@dataclass(frozen=True)
class FileScan:
    path: Path
    sha256: str
    bytes: int
    encoding: str  # "utf-8", "cp1252" (recognised) or the configured encoding
    header: tuple[str, ...]  # the file's column names (its header, or the configured file_columns)


def is_gzip(path: Path) -> bool:
    return path.name.lower().endswith(".gz")


def open_bytes(path: Path):
    """The file's content as a binary stream: decompressed when its name ends in ``.gz``."""
    return gzip.open(path, "rb") if is_gzip(path) else path.open("rb")


def open_text(path: Path, encoding: str):
    """The file's content as text in ``encoding`` (decompressed when gzip), line ends kept."""
    return (
        gzip.open(path, "rt", encoding=encoding, newline="")
        if is_gzip(path)
        else path.open("r", encoding=encoding, newline="")
    )


def _line_at(path: Path, offset: int) -> int:
    """1-based line holding byte ``offset`` (counted only when an error needs it)."""
    with open_bytes(path) as handle:
        return handle.read(offset).count(b"\n") + 1


def scan_bytes(path: Path, encoding: str = "utf-8") -> tuple[str, int, str, bool]:
    """(sha256, size, encoding, ends with a line break) of the content (decompressed when gzip),
    streaming the file once. A configured encoding other than UTF-8 is taken as given (decoding
    errors surface when the file is read)."""
    try:
        return _scan_bytes(path, encoding)
    except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
        raise LandingFileError(
            f"{path}: not a complete gzip file ({exc}): it looks truncated or is not gzip-compressed"
        ) from None


def _scan_bytes(path: Path, encoding: str) -> tuple[str, int, str, bool]:
    detect = codecs.lookup(encoding).name == "utf-8"
    digest = hashlib.sha256()
    decoder = codecs.getincrementaldecoder("utf-8")()
    size = 0
    utf8 = True
    last = b""
    with open_bytes(path) as handle:
        for block in iter(lambda: handle.read(1 << 22), b""):
            if size == 0 and block[:2] in (b"\xff\xfe", b"\xfe\xff"):
                raise LandingFileError(f"{path}: UTF-16 encoded; export it as UTF-8 (or latin-1)")
            if b"\x00" in block:
                at = _line_at(path, size + block.index(b"\x00"))
                raise LandingFileError(f"{path}, line {at}: NUL byte, this is not a text export")
            digest.update(block)
            # Most exports are plain ASCII: valid UTF-8 with no decoding (a cut character keeps state).
            if detect and utf8 and not (block.isascii() and not decoder.getstate()[0]):
                try:
                    decoder.decode(block)
                except UnicodeDecodeError:
                    utf8 = False
            if detect and not utf8:
                undefined = [b for b in _CP1252_UNDEFINED if bytes([b]) in block]
                if undefined:
                    bad = min(block.index(bytes([b])) for b in undefined)
                    at = _line_at(path, size + bad)
                    raise LandingFileError(
                        f"{path}, line {at}: neither UTF-8 nor Windows-1252/latin-1 text "
                        f"(byte 0x{block[bad]:02x}); export it as UTF-8"
                    )
            size += len(block)
            last = block[-1:]
    if not detect:
        return digest.hexdigest(), size, encoding, last == b"\n"
    if utf8:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:  # a cut multi-byte character: the end of the file is missing
            raise LandingFileError(
                f"{path}, line {_count_lines(path)}: ends inside a UTF-8 character, the file looks truncated"
            ) from None
    return digest.hexdigest(), size, "utf-8" if utf8 else "cp1252", last == b"\n"


def _count_lines(path: Path) -> int:
    count, last = 0, b""
    with open_bytes(path) as handle:
        for block in iter(lambda: handle.read(1 << 22), b""):
            count += block.count(b"\n")
            last = block[-1:]
    return count if last == b"\n" else count + 1


def _has_data_line(path: Path, encoding: str, delivery: SourceDelivery) -> bool:
    """A CSV needs a non-blank line after its header; NDJSON or a header-less file one non-blank line."""
    with open_text(path, encoding) as handle:
        lines = (line for line in handle if line.strip())
        needed = 1 if delivery.format == "ndjson" or not delivery.header else 2
        return sum(1 for _, _ in zip(range(needed), lines, strict=False)) == needed


def _first_line(path: Path, encoding: str) -> str:
    with open_bytes(path) as handle:
        return handle.readline().decode(encoding, errors="replace").lstrip("\ufeff").strip()


# Lines looked at for the first JSON object of a file whose malformed lines are quarantined.
FIRST_OBJECT_LINES = 1000


def _first_object_line(path: Path, encoding: str) -> str:
    """The first line of the file that is a JSON object (a malformed line before it is quarantined
    when the file is read); the first line when none of the first ``FIRST_OBJECT_LINES`` is."""
    with open_text(path, encoding) as handle:
        for n, line in enumerate(handle):
            text = line.lstrip("\ufeff").strip()
            try:
                if isinstance(json.loads(text), dict):
                    return text
            except json.JSONDecodeError:
                pass
            if n >= FIRST_OBJECT_LINES:
                break
    return _first_line(path, encoding)


def split_fields(line: str, delimiter: str) -> list[str]:
    """A line's fields: ``delimiter``, or runs of blanks for 'whitespace'."""
    return line.split() if delimiter == "whitespace" else line.split(delimiter)


def parse_header(path: Path, contract: SourceContract, first: str, delivery: SourceDelivery) -> list[str]:
    """Column names the file declares: the CSV header, or the keys of the first JSON line."""
    if delivery.format == "ndjson":
        try:
            record = json.loads(first)
        except json.JSONDecodeError as exc:
            raise LandingFileError(f"{path}, line 1: not a JSON object ({exc.msg})") from None
        if not isinstance(record, dict):
            raise LandingFileError(f"{path}, line 1: not a JSON object")
        return list(record)
    header = [name.strip().strip('"') for name in split_fields(first, delivery.delimiter)]
    if len(header) == 1:
        others = [d for d in DELIMITERS if d != delivery.delimiter and d in first]
        if others:
            raise LandingFileError(
                f"{path}, line 1: wrong delimiter, the header is separated by {others[0]!r} "
                f"but the configuration of {contract.table} says {delivery.delimiter!r}"
            )
    duplicated = sorted({name for name in header if header.count(name) > 1})
    if duplicated:
        raise LandingFileError(f"{path}, line 1: column(s) {', '.join(duplicated)} appear twice")
    return header


def _delivered_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 22), b""):
            digest.update(block)
    return digest.hexdigest()


def _ends_with_newline(path: Path) -> bool:
    with path.open("rb") as handle:
        handle.seek(-1, 2)
        return handle.read(1) == b"\n"


def not_complete_gzip(path: Path, problem: str) -> LandingFileError:
    return LandingFileError(
        f"{path}: not a complete gzip file ({problem}): it looks truncated or is not gzip-compressed"
    )


def scan_lines_file(path: Path, contract: SourceContract, delivery: SourceDelivery) -> FileScan:
    """The light scan of a UTF-8 NDJSON file read line by line by DuckDB (no decompression of the
    whole file in Python): size, sha256 of the bytes as delivered, header from the first JSON object,
    a first line and a data line, and the final line break of a plain file (a gzip stream cut short
    is refused by DuckDB's reader, which checks its end). Raises ``LandingFileError``."""
    size = path.stat().st_size
    if size == 0:
        raise LandingFileError(f"{path}: the file is empty (no header line)")
    try:
        first = _first_line(path, "utf-8")
        if not first:
            raise LandingFileError(f"{path}, line 1: the first line is blank (no header)")
        header = parse_header(path, contract, _first_object_line(path, "utf-8"), delivery)
        if not contract.may_be_empty and not _has_data_line(path, "utf-8", delivery):
            raise LandingFileError(f"{path}: the file is empty (a header but no data rows)")
    except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
        raise not_complete_gzip(path, str(exc)) from None
    except UnicodeDecodeError:  # the full scan recognises Windows-1252 or names the byte
        return scan_file(path, contract, delivery)
    if not is_gzip(path) and not _ends_with_newline(path):
        raise LandingFileError(
            f"{path}, line {_count_lines(path)}: the file does not end with a line break: it looks truncated "
            "(re-deliver the complete export)"
        )
    return FileScan(path, _delivered_sha256(path), size, "utf-8", tuple(header))


def scan_file(path: Path, contract: SourceContract, delivery: SourceDelivery) -> FileScan:
    """Every check that needs no parsing of the data rows; raises ``LandingFileError``. The columns
    the contract needs are matched to the file's by ``landing.mapping``."""
    sha, size, encoding, ends_with_newline = scan_bytes(path, delivery.encoding)
    if size == 0:
        raise LandingFileError(f"{path}: the file is empty (no header line)")
    first = _first_line(path, encoding)
    if not first:
        raise LandingFileError(f"{path}, line 1: the first line is blank (no header)")
    if delivery.format == "ndjson" and contract.quarantines_malformed_lines:
        header = parse_header(path, contract, _first_object_line(path, encoding), delivery)
    elif delivery.header:
        header = parse_header(path, contract, first, delivery)
    else:
        header = list(delivery.file_columns or ())
    if not contract.may_be_empty and not _has_data_line(path, encoding, delivery):
        raise LandingFileError(f"{path}: the file is empty (a header but no data rows)")
    if not ends_with_newline:
        raise LandingFileError(
            f"{path}, line {_count_lines(path)}: the file does not end with a line break: it looks truncated "
            "(re-deliver the complete export)"
        )
    if is_gzip(path):  # the checksum of a gzip file is of its bytes as delivered (as the light scan's)
        sha = _delivered_sha256(path)
    return FileScan(path, sha, path.stat().st_size, encoding, tuple(header))
