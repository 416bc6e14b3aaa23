"""Every packing real AIS arrives in unpacks to the same bytes; a damaged one says so by name."""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from backports.zstd import compress as zstd_compress

from ais_ingest.decoder import read_chunks
from ais_ingest.errors import PackingError
from ais_ingest.packed import open_packed, zipped_layer

DATA = b"!AIVDM,1,1,,A,13HOI:0P0000VOHLCnHQKwvL05Ip,0*23\r\n" * 2000


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, body in members.items():
            z.writestr(name, body)
    return buf.getvalue()


PACKINGS: dict[str, Callable[[bytes], bytes]] = {
    "gzip": gzip.compress,
    "bzip2": bz2.compress,
    "xz": lzma.compress,
    # two frames, as a log appended to with `zstd >>` has
    "zstd": lambda d: zstd_compress(d[:1000]) + zstd_compress(d[1000:]),
    # MarineCadastre's and the DMA's zips hold one file; macOS adds shadows and a folder
    "zip": lambda d: _zip(
        {"AIS_2022_06_01.csv": d, "__MACOSX/._AIS_2022_06_01.csv": b"x", ".DS_Store": b"x"}
    ),
}


@pytest.mark.parametrize("packing", PACKINGS)
def test_each_packing_gives_the_file_s_bytes_whatever_its_name(
    tmp_path: Path, packing: str
) -> None:
    path = tmp_path / "capture.txt"  # a name that says nothing: the content decides
    path.write_bytes(PACKINGS[packing](DATA))
    with open_packed(path) as f:
        assert f.read() == DATA
    lines = [line for chunk in read_chunks(path, 333, block=4096) for line in chunk]
    assert lines == DATA.decode().splitlines()


def test_a_zip_in_a_folder_of_its_own_is_read(tmp_path: Path) -> None:
    path = tmp_path / "day.zip"
    path.write_bytes(_zip({"aisdk/": b"", "aisdk/aisdk-2024-01-01.csv": DATA}))
    with open_packed(path) as f:
        assert f.read() == DATA


def test_a_zip_of_several_files_is_refused_naming_them(tmp_path: Path) -> None:
    path = tmp_path / "two.zip"
    path.write_bytes(_zip({"a.nmea": DATA, "b.nmea": DATA}))
    with pytest.raises(PackingError, match=r"two.zip: a zip of 2 files \(a.nmea, b.nmea\)"):
        open_packed(path)
    with pytest.raises(OSError):  # what every reader already says "cannot read" for
        open_packed(path)


@pytest.mark.parametrize("packing", PACKINGS)
def test_damaged_packed_data_is_an_os_error_naming_the_file(tmp_path: Path, packing: str) -> None:
    packed = PACKINGS[packing](DATA)
    path = tmp_path / f"cut.{packing}"
    if packing == "zip":  # a byte flipped inside the member: its CRC is wrong
        body = bytearray(packed)
        body[len(body) // 3] ^= 0xFF
        path.write_bytes(bytes(body))
    else:  # cut short, as a copy interrupted
        path.write_bytes(packed[: len(packed) // 2])
    with pytest.raises(OSError, match=rf"cut.{packing}: damaged packed data"):
        for _ in read_chunks(path, 100, block=4096):
            pass


def test_a_file_that_only_starts_like_a_zip_is_a_packing_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.zip"
    path.write_bytes(b"PK\x03\x04" + b"\x00" * 40)
    with pytest.raises(PackingError, match="bad.zip: a damaged zip"):
        open_packed(path)


def test_a_zipped_shapefile_is_a_layer_gdal_reads_inside_the_zip(tmp_path: Path) -> None:
    path = tmp_path / "fixes.zip"
    members = {f"fixes/fixes.{s}": b"x" for s in ("shp", "shx", "dbf", "prj")}
    path.write_bytes(_zip(members))
    assert zipped_layer(path) == f"/vsizip/{path.resolve()}/fixes/fixes.shp"
    plain = tmp_path / "plain.zip"
    plain.write_bytes(PACKINGS["zip"](DATA))
    assert zipped_layer(plain) is None
    two = tmp_path / "layers.zip"
    two.write_bytes(_zip({"a.shp": b"x", "b.gpkg": b"x"}))
    with pytest.raises(PackingError, match="a zip of 2 GIS layers"):
        zipped_layer(two)
