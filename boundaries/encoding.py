"""Text encodings of shapefile attribute tables (.dbf) and CSV files from Chinese offices.

Offices export shapefiles in GBK without a .cpg; GDAL then decodes them silently as Latin-1
(名称 -> Ãû³Æ). We read the raw bytes ourselves and decide: UTF-8 if every value decodes as
UTF-8, else GB18030 (a superset of GBK and GB2312) if every value decodes as GB18030 and contains
Chinese, else we refuse and ask the user to state the encoding. Latin-1 is never a fallback, since
every byte string decodes as Latin-1. ``looks_mis_decoded`` catches text already mangled upstream.
"""
from __future__ import annotations

import re
import struct
from dataclasses import dataclass
from pathlib import Path

_SAMPLE_BYTES = 4 * 1024 * 1024
_MIN_GB2312_SHARE = 0.8
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_HIGH_LATIN = re.compile(r"[\u0080-\u00ff\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc\u2013-\u203a\u20ac\u2122]")
# dBASE language driver ids that mean a Chinese code page (936 = GBK, 950 = Big5).
_LDID_CHINESE = {0x4D: "GB18030", 0x7A: "GB18030", 0x78: "BIG5", 0x4F: "BIG5"}


@dataclass(frozen=True)
class Detected:
    """The encoding to use and how it was decided (shown to the user as provenance)."""

    encoding: str | None          # None: the text is plain ASCII, any encoding reads it
    how: str                      # 'stated', '.cpg', 'detected', 'ascii'
    message: str = ""


class EncodingUnknown(ValueError):
    """The bytes are neither UTF-8 nor GB18030: the user must state the encoding."""


def gb2312_share(raw: bytes) -> float:
    """Share of double-byte characters inside the GB2312 block (both bytes 0xA1-0xFE).

    Chinese names are written almost entirely with GB2312 characters, while Western text in cp1252 that
    happens to decode as GBK pairs an accented letter with an ASCII one (0xE8 0x76 in "Genève"),
    which lands in the rarely used GBK extension area.
    """
    double = in_block = 0
    i = 0
    while i < len(raw) - 1:
        lead = raw[i]
        if lead < 0x81:
            i += 1
            continue
        trail = raw[i + 1]
        double += 1
        if 0xA1 <= lead <= 0xF7 and 0xA1 <= trail <= 0xFE:
            in_block += 1
        i += 4 if 0x30 <= trail <= 0x39 else 2  # GB18030 four-byte sequences
    return in_block / double if double else 0.0


def has_chinese(text: str) -> bool:
    return bool(_CJK.search(text))


def _decodes(chunks: list[bytes], encoding: str) -> str | None:
    try:
        return "".join(chunk.decode(encoding) for chunk in chunks)
    except UnicodeDecodeError:
        return None


def decide(chunks: list[bytes], *, where: str) -> Detected:
    """Pick UTF-8 or GB18030 for these separately decodable byte strings, or raise EncodingUnknown."""
    non_ascii = [chunk for chunk in chunks if any(b >= 0x80 for b in chunk)]
    if not non_ascii:
        return Detected(None, "ascii")
    if _decodes(non_ascii, "utf-8") is not None:
        return Detected("UTF-8", "detected", f"{where}: text detected as UTF-8")
    text = _decodes(non_ascii, "gb18030")
    if text is not None and has_chinese(text) and gb2312_share(b"".join(non_ascii)) >= _MIN_GB2312_SHARE:
        return Detected("GB18030", "detected",
                        f"{where}: text detected as GBK/GB18030 (no encoding declared)")
    raise EncodingUnknown(
        f"{where}: cannot tell the text encoding (neither UTF-8 nor GBK/GB18030); "
        "state it with encoding='...' (e.g. 'GB18030', 'BIG5', 'UTF-8')")


def _dbf_values(raw: bytes) -> list[bytes]:
    """Field names and text values of a dBASE table, each as its own byte string."""
    if len(raw) < 32:
        return []
    n_records, header_len, record_len = struct.unpack("<IHH", raw[4:12])
    fields: list[tuple[bytes, str, int]] = []
    pos = 32
    while pos + 32 <= min(header_len, len(raw)) and raw[pos] != 0x0D:
        desc = raw[pos:pos + 32]
        fields.append((desc[:11].split(b"\x00", 1)[0], chr(desc[11]), desc[16]))
        pos += 32
    chunks = [name for name, _, _ in fields]
    offset = header_len
    for _ in range(n_records):
        record = raw[offset:offset + record_len]
        if len(record) < record_len:
            break  # sample ends mid-record
        start = 1  # deletion flag
        for _name, kind, length in fields:
            if kind in "CM":
                chunks.append(record[start:start + length].rstrip(b" \x00"))
            start += length
        offset += record_len
    return chunks


def detect_dbf(shp_path: Path, *, stated: str | None = None) -> Detected:
    """Encoding of a shapefile's .dbf: stated > .cpg > detected from the bytes."""
    if stated:
        return Detected(stated, "stated", f"{shp_path.name}: text read as {stated} (stated)")
    cpg = _sibling(shp_path, ".cpg")
    if cpg is not None:
        declared = cpg.read_text(encoding="ascii", errors="replace").strip()
        if declared:
            return Detected(declared, ".cpg", f"{shp_path.name}: text read as {declared} (.cpg)")
    dbf = _sibling(shp_path, ".dbf")
    if dbf is None:
        return Detected(None, "ascii")
    with dbf.open("rb") as handle:
        raw = handle.read(_SAMPLE_BYTES)
    detected = decide(_dbf_values(raw), where=dbf.name)
    if detected.encoding == "GB18030" and len(raw) > 29 and raw[29] in _LDID_CHINESE:
        return Detected("GB18030", "detected",
                        f"{shp_path.name}: no .cpg; text decoded as GBK/GB18030 (detected, code page 936)")
    if detected.encoding == "GB18030":
        return Detected("GB18030", "detected", f"{shp_path.name}: no .cpg; text decoded as GBK/GB18030 (detected)")
    return detected


def detect_text_file(path: Path, *, stated: str | None = None) -> Detected:
    """Encoding of a CSV/text file: stated > BOM > UTF-8 > GB18030; never Latin-1."""
    if stated:
        return Detected(stated, "stated", f"{path.name}: text read as {stated} (stated)")
    raw = path.read_bytes()[:_SAMPLE_BYTES]
    if raw.startswith(b"\xef\xbb\xbf"):
        return Detected("utf-8-sig", "detected", f"{path.name}: UTF-8 with BOM")
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return Detected("utf-16", "detected", f"{path.name}: UTF-16")
    if len(raw) == _SAMPLE_BYTES:
        # cut at the last newline so that a multi-byte character is never split
        raw = raw[: raw.rfind(b"\n") + 1] or raw
    return decide(raw.splitlines(), where=path.name)


def _sibling(path: Path, suffix: str) -> Path | None:
    for candidate in (path.with_suffix(suffix), path.with_suffix(suffix.upper())):
        if candidate.exists():
            return candidate
    return None


def looks_mis_decoded(text: str) -> str | None:
    """If ``text`` is Chinese that was decoded with a Western code page, return the repaired text."""
    if not isinstance(text, str) or not _HIGH_LATIN.search(text) or has_chinese(text):
        return None
    for western in ("latin-1", "cp1252"):
        try:
            raw = text.encode(western)
        except UnicodeEncodeError:
            continue
        for eastern in ("utf-8", "gb18030"):
            try:
                repaired = raw.decode(eastern)
            except UnicodeDecodeError:
                continue
            if eastern == "gb18030" and gb2312_share(raw) < _MIN_GB2312_SHARE:
                continue
            if has_chinese(repaired):
                return repaired
    return None
