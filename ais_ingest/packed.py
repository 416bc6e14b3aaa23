"""Captures and tables however they are packed: gzip, bzip2, xz, Zstandard, or a zip of one file.

Real AIS rarely arrives as a bare file. MarineCadastre's US extracts are a zip of one CSV
(2015-2023) and Zstandard CSV (2024 on); the Danish Maritime Authority's days are a zip of
one CSV; receiver logs are rotated to gzip, bzip2 or xz. Every reader of a file (`mare detect`,
`mare decode`, `mare ingest`, the live service's file sources, the table readers) opens it here,
so that all of them accept the same files and none reads a packed one as garbled text.

The content decides, not the name: captures get renamed, and ``.gz`` files that are not
compressed exist. A zip must hold one file (macOS's ``__MACOSX/`` shadows and hidden files
aside), or be a zipped GIS layer, which GDAL reads itself (`zipped_layer`): which of several
members is the capture cannot be guessed, and reading them one after another would take each
table's header for a row.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import IO, Final, cast

from ais_ingest.errors import PackingError

ZIP_MAGIC: Final = b"PK\x03\x04"
ZSTD_MAGIC: Final = b"\x28\xb5\x2f\xfd"
#: Bytes that tell every packing apart.
MAGIC_BYTES: Final = 6
#: Members of a zip that hold a GIS layer GDAL can read from inside the zip.
LAYER_MEMBER_SUFFIXES: Final = frozenset({".shp", ".gpkg", ".geojson", ".fgb"})


# Each unpacker is imported only for a file that needs it: zipfile and zstandard alone cost
# `mare decode` 20 ms of start-up on a plain capture.


def _gzip(path: str) -> IO[bytes]:
    import gzip

    return cast("IO[bytes]", gzip.GzipFile(path, "rb"))


def _bzip2(path: str) -> IO[bytes]:
    import bz2

    return cast("IO[bytes]", bz2.BZ2File(path))


def _xz(path: str) -> IO[bytes]:
    import lzma

    return cast("IO[bytes]", lzma.LZMAFile(path))


def _zstd(path: str) -> IO[bytes]:
    # The standard library's module from Python 3.14 (PEP 784), its backport before: a file
    # API as gzip's, several frames read as one stream, data ending inside a frame an EOFError.
    if sys.version_info >= (3, 14):
        from compression.zstd import ZstdFile
    else:
        from backports.zstd import ZstdFile

    return cast("IO[bytes]", ZstdFile(path))


_OPENERS: Final[tuple[tuple[bytes, Callable[[str], IO[bytes]]], ...]] = (
    (b"\x1f\x8b", _gzip),
    (b"BZh", _bzip2),
    (b"\xfd7zXZ\x00", _xz),
    (ZSTD_MAGIC, _zstd),
)


def _head(path: str | Path) -> bytes:
    with open(path, "rb") as probe:
        return probe.read(MAGIC_BYTES)


def is_zip(path: str | Path) -> bool:
    """Whether ``path`` is a zip archive (by its first bytes)."""
    return _head(path).startswith(ZIP_MAGIC)


def zip_members(path: str | Path) -> list[str]:
    """Return the files a zip holds, without directories, ``__MACOSX/`` shadows and hidden files."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as archive:
            names = [i.filename for i in archive.infolist() if not i.is_dir()]
    except zipfile.BadZipFile as exc:
        raise PackingError(f"{path}: a damaged zip: {exc}") from None
    return [
        n for n in names
        if not n.startswith("__MACOSX/") and not PurePosixPath(n).name.startswith(".")
    ]  # fmt: skip


def zipped_layer(path: str | Path) -> str | None:
    """Return the GIS layer a zip holds (a zipped Shapefile, ...) as a GDAL path, or None.

    `PackingError` for a zip of several layers: which one holds the fixes cannot be guessed.
    """
    if not is_zip(path):
        return None
    layers = [
        n for n in zip_members(path) if PurePosixPath(n).suffix.lower() in LAYER_MEMBER_SUFFIXES
    ]
    if len(layers) > 1:
        raise PackingError(
            f"{path}: a zip of {len(layers)} GIS layers ({', '.join(layers[:5])}); "
            "unzip it and give the layer that holds the fixes"
        )
    return f"/vsizip/{Path(path).resolve()}/{layers[0]}" if layers else None


def _zip_member(path: str) -> IO[bytes]:
    members = zip_members(path)
    if len(members) != 1:
        listed = ", ".join(members[:5]) + (", ..." if len(members) > 5 else "")
        raise PackingError(
            f"{path}: a zip of {len(members)} files ({listed or 'none'}); Mare reads a zip of one "
            "capture or table, or a zipped GIS layer: unzip it and give the files"
        )
    import zipfile

    archive = zipfile.ZipFile(path)
    # The member keeps the archive's file open after the archive is closed (zipfile counts
    # references), so closing the member closes the file.
    member = archive.open(members[0])
    archive.close()
    return member


def open_packed(path: str | Path) -> io.BufferedIOBase:
    """Open a file for reading bytes, unpacked whatever its packing (see the module docstring).

    `PackingError` for a zip that does not hold exactly one file; an `OSError` as `open` gives.
    Damaged packed data is an `OSError` too when read, whatever the unpacker raised, so that a
    reader handles one kind of error for every packing.
    """
    name = str(path)
    head = _head(name)
    if head.startswith(ZIP_MAGIC):
        return _Unpacked(_zip_member(name), name)
    for magic, opener in _OPENERS:
        if head.startswith(magic):
            return _Unpacked(opener(name), name)
    return open(name, "rb")  # noqa: SIM115 - the caller closes it


#: Each unpacker's module and its exception for damaged data.
_DAMAGE: Final = (
    ("zlib", "error"),
    ("lzma", "LZMAError"),
    ("zipfile", "BadZipFile"),
    ("backports.zstd", "ZstdError"),
    ("compression.zstd", "ZstdError"),
)


def _damage_errors() -> tuple[type[Exception], ...]:
    """Return what the unpackers loaded so far raise on damaged data."""
    errors: list[type[Exception]] = [EOFError]  # gzip's and bz2's "ended before the end"
    for module, name in _DAMAGE:
        if (loaded := sys.modules.get(module)) is not None:
            errors.append(getattr(loaded, name))
    return tuple(errors)


class _Unpacked(io.BufferedIOBase):
    """An unpacker's stream whose damaged data is an `OSError` naming the file.

    gzip says damage as an OSError, a zlib.error or an EOFError, xz as an LZMAError, a zip
    member's bad CRC as a BadZipFile, Zstandard as a ZstdError. Reads are of blocks (a MiB for
    `read_chunks`, 256 KiB for the live sources), so the wrapping costs nothing per line.
    """

    def __init__(self, inner: IO[bytes], path: str) -> None:
        super().__init__()
        self._inner = inner
        self._path = path

    def _damaged(self, exc: Exception) -> OSError:
        return OSError(f"{self._path}: damaged packed data: {exc or type(exc).__name__}")

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1, /) -> bytes:
        try:
            return self._inner.read(-1 if size is None else size)
        except _damage_errors() as exc:
            raise self._damaged(exc) from exc

    def read1(self, size: int = -1, /) -> bytes:
        try:
            data: bytes = self._inner.read1(size)  # type: ignore[attr-defined]  # all have it
            return data
        except _damage_errors() as exc:
            raise self._damaged(exc) from exc

    def close(self) -> None:
        if not self.closed:
            self._inner.close()
        super().close()
