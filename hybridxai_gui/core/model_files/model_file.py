"""Reading a model file's records and tensor metadata without trusting or materialising anything.

A `.pth` file is a zip archive: `data.pkl` (a pickle of plain values in which every tensor is a reference
to a storage record) and one `data/<key>` record per storage. A hostile file can declare a tensor of 10^12
values over a one-value record (zero stride), a storage far larger than its record, a pickle that builds
millions of objects or a 2 GB memo from ten bytes, or a zip bomb. So before torch sees the file:

1. the zip's directory is read: every record stored (never compressed), none overlapping, sizes bounded;
2. `data.pkl` is scanned opcode by opcode: only the opcodes torch's weights_only unpickler accepts, memo
   indices bounded;
3. it is unpickled with globals mapped to inert records (`TensorRef`, `StorageRef`), counting the objects
   it builds as it goes (`FILE_LIMITS`): no torch function and no code from the file runs, no tensor is built;
4. a record's values are read only on request (`values`), one record at a time, after its size was checked.

`checkpoint_limits.check_model_file` judges what this reads; only then does `torch.load(weights_only=True)`
load the file for real.
"""

from __future__ import annotations

import gc
import math
import os
import pickle
import re
import struct
import sys
import zipfile
from dataclasses import dataclass, field
from typing import Any, BinaryIO

import numpy as np

from ..errors import CheckpointError

# The storage types torch writes (module torch), as numpy dtypes without byte order.
STORAGE_DTYPES = {
    "FloatStorage": "f4", "DoubleStorage": "f8", "HalfStorage": "f2", "LongStorage": "i8", "IntStorage": "i4",
    "ShortStorage": "i2", "CharStorage": "i1", "ByteStorage": "u1", "BoolStorage": "?",
}


@dataclass(frozen=True)
class FileLimits:
    """What reading a model file may cost, whatever the file claims (README, "Checkpoints")."""

    file_bytes: int = 1 << 30  # the whole file
    records: int = 10_000  # zip entries
    directory_bytes: int = 8 << 20  # the zip's central directory (torch writes ~150 bytes per record)
    small_record_bytes: int = 4096  # each entry other than data.pkl and data/<key>
    pickle_bytes: int = 16 << 20  # data.pkl: settings, names and history (200,000 names of 30 letters: 8 MB)
    pickle_objects: int = 1_000_000  # objects its pickle builds (~80 MB at most; 200,000 names need 200,000)


FILE_LIMITS = FileLimits()


@dataclass(frozen=True, slots=True)
class StorageRef:
    """A storage record a tensor refers to: `data/<key>`, `numel` values of `dtype` (numpy code)."""

    key: str
    dtype: str
    numel: int

    @property
    def itemsize(self) -> int:
        return np.dtype(self.dtype).itemsize


@dataclass(frozen=True, slots=True)
class TensorRef:
    """A tensor as the file describes it; nothing is allocated for it."""

    storage: StorageRef
    offset: int
    shape: tuple
    stride: tuple

    @property
    def dtype(self) -> str:
        return self.storage.dtype

    @property
    def numel(self) -> int:
        return math.prod(self.shape)

    @property
    def nbytes(self) -> int:
        return self.numel * self.storage.itemsize


class _Dict(dict):
    """collections.OrderedDict as read here: a plain dict that also takes the attributes torch sets on it."""


@dataclass(frozen=True, slots=True)
class _StorageType:
    dtype: str


class _Refused(Exception):
    """A global the file asks for that a model file never holds."""


def _rebuild_tensor(storage, storage_offset, size, stride, requires_grad=False, backward_hooks=None,
                    metadata=None) -> TensorRef:
    if not (isinstance(storage, StorageRef) and type(storage_offset) is int and isinstance(size, tuple)
            and isinstance(stride, tuple) and all(type(v) is int for v in (*size, *stride))):
        raise ValueError("a tensor record is malformed")
    return TensorRef(storage, storage_offset, size, stride)


def _rebuild_parameter(data, requires_grad=False, backward_hooks=None) -> TensorRef:
    if not isinstance(data, TensorRef):
        raise ValueError("a parameter record is malformed")
    return data


_GLOBALS: dict[tuple[str, str], Any] = {
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor,
    ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
    ("collections", "OrderedDict"): _Dict,
    **{("torch", name): _StorageType(code) for name, code in STORAGE_DTYPES.items()},
}


class _Unpickler(pickle.Unpickler):
    """The pickle's plain values, with its few globals mapped to the inert records above."""

    def __init__(self, data: bytes, max_objects: int):
        super().__init__(_Budgeted(data, max_objects))
        self.storages: dict[str, StorageRef] = {}

    def find_class(self, module: str, name: str):
        found = _GLOBALS.get((module, name))
        if found is None:
            raise _Refused(f"{module}.{name}")
        return found

    def persistent_load(self, pid):
        if not (isinstance(pid, tuple) and len(pid) == 5 and pid[0] == "storage" and isinstance(pid[1], _StorageType)
                and isinstance(pid[2], str) and type(pid[4]) is int and pid[4] >= 0):
            raise ValueError("a storage record is malformed")
        ref = StorageRef(pid[2], pid[1].dtype, pid[4])
        if self.storages.setdefault(ref.key, ref) != ref:
            raise ValueError(f"storage {ref.key} is declared twice, differently")
        return ref


# ---- the opcode scan ---------------------------------------------------------------------------------
# Exactly the opcodes torch's weights_only unpickler accepts (protocol 2); what else a file holds, torch would
# refuse too. Runs of fixed-size opcodes are matched at C speed (the possessive `*+` never backtracks, so it
# needs no memory); strings and globals, whose size is in the data, are stepped over here. A LONG_BINPUT
# index must stay below 2**20: CPython's C unpickler sizes its memo table by the largest index (ten bytes
# asking for index 2**27 fill 2 GB), and a file with more than a million memoised values is refused anyway.
_FIXED_OPS = re.compile(
    rb"(?:[\x81Rbaesu(t\x85\x86\x87N\x89\x88)\]}\x8fQ]|[Kqh\x80].|M..|[Jj]....|r..[\x00-\x0f]\x00|G.{8})*+",
    re.DOTALL)
_BINUNICODE, _SHORT_BINSTRING, _LONG1, _GLOBAL, _LONG_BINPUT, _STOP = b"XU\x8acr."


def scan_pickle(data: bytes) -> None:
    """Walk the opcodes without building anything: ValueError for an opcode torch's weights_only unpickler
    would refuse or a malformed end, OverflowError for a memo index that would blow up the C unpickler's table."""
    pos, end = 0, len(data)
    while True:
        pos = _FIXED_OPS.match(data, pos).end()
        if pos >= end:
            raise ValueError("the pickle ends before its STOP opcode")
        op = data[pos]
        if op == _BINUNICODE:
            pos += 5 + struct.unpack_from("<I", data, pos + 1)[0]
        elif op == _SHORT_BINSTRING or op == _LONG1:
            pos += 2 + data[pos + 1]
        elif op == _GLOBAL:
            pos = data.index(b"\n", data.index(b"\n", pos + 1) + 1) + 1
        elif op == _STOP:
            break
        elif op == _LONG_BINPUT:
            raise OverflowError(f"a memo index of {struct.unpack_from('<I', data, pos + 1)[0]:,} (byte {pos})")
        else:
            raise ValueError(f"pickle opcode {op:#04x} at byte {pos}, which a model file never holds")
    if pos + 1 != end:
        raise ValueError("bytes follow the pickle's end")


class _Budgeted:
    """data.pkl as the C unpickler reads it: it takes 128 KB at a time through `peek`, and before each piece
    the objects built so far are counted (Python's small-object blocks); past the limit reading stops."""

    def __init__(self, data: bytes, max_objects: int):
        self._data, self._pos, self._max = data, 0, max_objects
        self._start = sys.getallocatedblocks()

    def _check(self) -> None:
        if sys.getallocatedblocks() - self._start > self._max:
            raise OverflowError(f"more than {self._max:,} values in its settings and names")

    def peek(self, n: int = 0) -> bytes:
        self._check()
        return self._data[self._pos:self._pos + max(n, 1)]

    def read(self, n: int = -1) -> bytes:
        self._check()
        stop = len(self._data) if n is None or n < 0 else self._pos + n
        chunk = self._data[self._pos:stop]
        self._pos += len(chunk)
        return chunk

    def readinto(self, buffer) -> int:
        chunk = self.read(len(buffer))
        buffer[:len(chunk)] = chunk
        return len(chunk)

    def readline(self) -> bytes:
        cut = self._data.find(b"\n", self._pos)
        return self.read(-1 if cut < 0 else cut + 1 - self._pos)


# ---- the archive ---------------------------------------------------------------------------------------


@dataclass
class ModelFile:
    """What a model file holds, read without trusting it: the plain payload (tensors as TensorRef), the
    storage records' sizes, and the archive to read a record's values from on request."""

    name: str
    payload: Any
    records: dict[str, int]  # storage key -> record bytes
    byteorder: str  # "<" or ">"
    archive: zipfile.ZipFile = field(repr=False)
    prefix: str = ""

    def values(self, tensor: TensorRef) -> np.ndarray:
        """The tensor's values as a flat numpy array (a copy of its record; size already checked)."""
        try:
            raw = self.archive.read(f"{self.prefix}data/{tensor.storage.key}")
        except (zipfile.BadZipFile, OSError, EOFError, KeyError, ValueError) as exc:
            raise _corrupt(self.name, exc) from exc
        return np.frombuffer(raw, dtype=np.dtype(tensor.dtype).newbyteorder(self.byteorder))[:tensor.numel]

    def verify_records(self, keys: set[str] | None = None) -> None:
        """Read (and so check the stored checksum of) the records not read yet, one at a time."""
        for key in self.records if keys is None else keys:
            try:
                with self.archive.open(f"{self.prefix}data/{key}") as fh:
                    while fh.read(1 << 20):
                        pass
            except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
                raise _corrupt(self.name, exc) from exc


def _corrupt(name: str, exc: BaseException) -> CheckpointError:
    return CheckpointError(f"Cannot read model file '{name}': it is truncated or corrupt ({exc}). "
                           "Use another copy or train the model again.")


def _refuse(name: str, why: str) -> CheckpointError:
    return CheckpointError(f"Refused to open '{name}': {why}. Nothing from it was used; open a model file "
                           "saved by HybridXAI.")


def read_model_file(fh: BinaryIO, name: str, limits: FileLimits = FILE_LIMITS) -> ModelFile:
    """Read the archive's directory and its pickle, within `limits`; CheckpointError on anything else."""
    size = fh.seek(0, os.SEEK_END)
    if size == 0:
        raise CheckpointError(f"Model file '{name}' is empty: it was not saved completely. Save the model again.")
    if size > limits.file_bytes:
        raise _refuse(name, f"it is {size:,} bytes, above the {limits.file_bytes:,} a model file may have")
    fh.seek(0)
    head = fh.read(4)
    if head.startswith(b"\x80"):
        raise _refuse(name, "it is a bare pickle (PyTorch's legacy format, which HybridXAI never writes)")
    if head != b"PK\x03\x04":
        raise CheckpointError(f"'{name}' is not a HybridXAI model file (not a PyTorch .pth file at all: it starts "
                              f"with {head!r}). Open a .pth file saved by HybridXAI.")
    _check_end_record(fh, name, size, limits)  # before zipfile parses every directory entry into an object
    fh.seek(0)
    try:
        archive = zipfile.ZipFile(fh)
        entries = archive.infolist()
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise _corrupt(name, exc) from exc
    prefix, records, pickle_entry = _check_directory(entries, name, size, limits)
    try:
        with archive.open(pickle_entry) as part:
            data = part.read(limits.pickle_bytes + 1)
        order = "<"
        order_name = f"{prefix}byteorder"
        if order_name in archive.NameToInfo:
            order = {b"little": "<", b"big": ">"}.get(archive.read(order_name).strip(), "")
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise _corrupt(name, exc) from exc
    if not order:
        raise _corrupt(name, "its byte order record is neither 'little' nor 'big'")
    try:
        scan_pickle(data)
    except OverflowError as exc:
        raise _refuse(name, f"its pickle holds {exc}, beyond what a model file needs") from None
    except (ValueError, IndexError, struct.error) as exc:
        raise _refuse(name, f"its pickle is malformed ({exc})") from None
    return ModelFile(name, _unpickle(data, name, limits.pickle_objects), records, order, archive, prefix)


_END, _END64, _LOCATOR64 = b"PK\x05\x06", b"PK\x06\x06", b"PK\x06\x07"


def _check_end_record(fh: BinaryIO, name: str, size: int, limits: FileLimits) -> None:
    """The record count and directory size the zip's end record declares, judged before the directory is read:
    zipfile makes an object per entry, so a million tiny records cost most of a gigabyte before any check."""
    tail_size = min(size, 22 + 65_535)  # the end record, after which only a comment of at most 64 KB follows
    fh.seek(size - tail_size)
    tail = fh.read(tail_size)
    at = tail.rfind(_END)
    if at < 0 or at + 22 > len(tail):
        raise _corrupt(name, "no zip end record")
    count, directory = struct.unpack_from("<H", tail, at + 10)[0], struct.unpack_from("<I", tail, at + 12)[0]
    if (count == 0xFFFF or directory == 0xFFFFFFFF) and at >= 20 and tail[at - 20:at - 16] == _LOCATOR64:
        offset = struct.unpack_from("<Q", tail, at - 20 + 8)[0]
        if offset + 56 > size:
            raise _corrupt(name, "its zip64 end record lies outside the file")
        fh.seek(offset)
        record = fh.read(56)
        if record[:4] != _END64:
            raise _corrupt(name, "its zip64 end record is missing")
        count, directory = struct.unpack_from("<QQ", record, 32)
    if count > limits.records:
        raise _refuse(name, f"its archive has {count:,} records, more than the {limits.records:,} allowed")
    if directory > limits.directory_bytes:
        raise _refuse(name, f"its archive's directory holds {directory:,} bytes, more than the "
                            f"{limits.directory_bytes:,} allowed")


def _check_directory(entries, name: str, size: int, limits: FileLimits):
    if len(entries) > limits.records:
        raise _refuse(name, f"its archive has {len(entries):,} records, more than the {limits.records:,} allowed")
    pickles = [e for e in entries if e.filename.endswith("data.pkl") and e.filename.count("/") == 1]
    if len(pickles) != 1:
        raise CheckpointError(f"'{name}' is not a HybridXAI model file (its archive has no single data.pkl).")
    prefix = pickles[0].filename[: -len("data.pkl")]
    if len({e.filename for e in entries}) != len(entries):  # readers disagree on which of the two they read
        raise _refuse(name, "its archive holds a record name twice")
    records: dict[str, int] = {}
    total = 0
    for entry in entries:
        if not entry.filename.startswith(prefix):
            raise _refuse(name, f"its archive holds '{entry.filename}' outside its folder '{prefix}'")
        stored = entry.compress_type == zipfile.ZIP_STORED and entry.compress_size == entry.file_size
        if not stored or entry.flag_bits & 0x1:
            raise _refuse(name, f"its record '{entry.filename}' is compressed or encrypted (PyTorch stores "
                                "every record as it is; a compressed one can unpack to far more than the file)")
        total += entry.file_size
        inner = entry.filename[len(prefix):]
        if inner.startswith("data/"):
            records[inner[len("data/"):]] = entry.file_size
        elif entry is not pickles[0] and entry.file_size > limits.small_record_bytes:
            raise _refuse(name, f"its record '{entry.filename}' holds {entry.file_size:,} bytes, which a model "
                                "file never needs")
    if total > size:  # stored records cannot hold more than the file: they overlap (a zip bomb)
        raise _refuse(name, f"its records claim {total:,} bytes in a file of {size:,} (records overlap)")
    if pickles[0].file_size > limits.pickle_bytes:
        raise _refuse(name, f"its data.pkl holds {pickles[0].file_size:,} bytes, above the "
                            f"{limits.pickle_bytes:,} allowed for settings and names")
    return prefix, records, pickles[0]


def _unpickle(data: bytes, name: str, max_objects: int) -> Any:
    enabled = gc.isenabled()
    gc.disable()  # many small containers: the cyclic collector would rescan them all, again and again
    try:
        return _Unpickler(data, max_objects).load()
    except OverflowError as exc:
        raise _refuse(name, f"its pickle holds {exc}, beyond what a model file needs") from None
    except _Refused as exc:
        raise CheckpointError(
            f"Refused to open '{name}': it contains Python objects ({exc}) that would have to be executed to load "
            "it (not a HybridXAI model file, or a tampered one). Nothing from it was run."
        ) from None
    except (pickle.UnpicklingError, ValueError, TypeError, EOFError, IndexError, KeyError, AttributeError,
            RecursionError, MemoryError) as exc:
        raise _refuse(name, f"its pickle is malformed ({type(exc).__name__}: {exc})") from None
    finally:
        if enabled:
            gc.enable()


__all__ = ["FileLimits", "FILE_LIMITS", "ModelFile", "StorageRef", "TensorRef", "read_model_file", "scan_pickle",
           "STORAGE_DTYPES"]
