"""Issue 22 §14 and the model-file limits a leak would raise: a zip's directory is judged from its end record
before zipfile reads it, and a file whose tensors exceed the total allowed is refused from its metadata."""

from __future__ import annotations

import struct
import zipfile

import pytest
import torch

from hybridxai_gui.core.errors import CheckpointError
from hybridxai_gui.core.model_files import checkpoint_limits
from hybridxai_gui.core.model_files.checkpoint import load_checkpoint

from hostile_models import _raw, _records, write_good


@pytest.fixture(scope="module")
def good(tmp_path_factory):
    return write_good(tmp_path_factory.mktemp("good") / "good.pth")


def _refuse_to_parse(monkeypatch):
    """zipfile must not read the directory of such a file: it builds an object per record."""
    def parse(*args, **kwargs):
        raise AssertionError("zipfile read the whole directory before the refusal")

    monkeypatch.setattr(zipfile, "ZipFile", parse)


def test_a_zip_of_too_many_records_is_refused_from_its_end_record(good, tmp_path, monkeypatch):
    path = tmp_path / "many.pth"
    with zipfile.ZipFile(path, "w") as archive:
        for info, data in _records(good):
            archive.writestr(info.filename, data)
        for i in range(10_050):
            archive.writestr(f"archive/x{i}", b"")
    _refuse_to_parse(monkeypatch)
    with pytest.raises(CheckpointError, match=r"has 10,\d{3} records, more than the 10,000 allowed"):
        load_checkpoint(path)


def test_a_zip_with_an_oversized_directory_is_refused_from_its_end_record(good, tmp_path, monkeypatch):
    path = tmp_path / "names.pth"
    with zipfile.ZipFile(path, "w") as archive:
        for info, data in _records(good):
            archive.writestr(info.filename, data)
        for i in range(150):  # 150 records with 60,000-character names: a 9 MB directory
            archive.writestr("archive/" + f"{i:03d}" * 20_000, b"")
    _refuse_to_parse(monkeypatch)
    with pytest.raises(CheckpointError, match=r"directory holds 9,\d{3},\d{3} bytes, more than the 8,388,608"):
        load_checkpoint(path)


def _sparse_record(path, name: str, size: int) -> None:
    """Append a stored record of `size` zero bytes that takes no disk: a hole in a sparse file."""
    with zipfile.ZipFile(path, "a") as archive:
        info = zipfile.ZipInfo(name)
        info.compress_type = zipfile.ZIP_STORED
        info.file_size = info.compress_size = size
        info.CRC = 0  # never read: the file is refused from its metadata
        info.header_offset = archive.start_dir
        archive.fp.seek(archive.start_dir)
        archive.fp.write(info.FileHeader(zip64=False))
        archive.fp.seek(size, 1)
        archive.start_dir = archive.fp.tell()
        archive.filelist.append(info)
        archive.NameToInfo[name] = info
        archive._didModify = True


def test_tensors_above_the_total_allowed_are_refused_from_their_metadata(good, tmp_path, monkeypatch):
    """An unknown part holding one float32 tensor of 512 MiB + 4 bytes, every record consistent: refused by the
    total-tensor-bytes limit (CONTENT_LIMITS.tensor_bytes, 512 MiB) before any value is read."""
    raw = _raw(good)
    raw["an_unknown_part"] = torch.zeros(251)  # 251: a marker in the pickle (K\xfb), replaced below
    source = tmp_path / "with_extra.pth"
    torch.save(raw, source)
    numel = (512 << 20) // 4 + 1
    records = _records(source)
    extra = next(info for info, data in records if len(data) == 251 * 4)
    out = tmp_path / "huge.pth"
    with zipfile.ZipFile(out, "w") as archive:
        for info, data in records:
            if info is extra:
                continue
            if info.filename.endswith("data.pkl"):
                assert data.count(b"K\xfb") == 2  # the storage's size and the tensor's shape
                data = data.replace(b"K\xfb", b"J" + struct.pack("<i", numel))
            archive.writestr(zipfile.ZipInfo(info.filename), data)
    _sparse_record(out, extra.filename, numel * 4)

    from hybridxai_gui.core.model_files import model_file

    def never(*args, **kwargs):
        raise AssertionError("a record was read before the refusal")

    monkeypatch.setattr(model_file.ModelFile, "values", never)
    monkeypatch.setattr(model_file.ModelFile, "verify_records", never)
    with pytest.raises(CheckpointError, match=r"its tensors hold 53\d,\d{3},\d{3} bytes, above the 536,870,912"):
        load_checkpoint(out)
    assert checkpoint_limits.CONTENT_LIMITS.tensor_bytes == 512 << 20
