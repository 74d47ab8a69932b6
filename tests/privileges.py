"""Root without its file-permission overrides, so permission failures can be tested as root.

CI runs the tests as root, and root reads a 0000 folder and writes a 0444 file as if the
modes were not there. `as_ordinary_user()` drops CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH
from the calling thread's effective set (capset(2)) for the duration of the block, so the
kernel checks modes as it would for the owner of the files; they stay in the permitted
set and come back afterwards. For a non-root user it changes nothing.
"""

from __future__ import annotations

import ctypes
import os
from collections.abc import Iterator
from contextlib import contextmanager

_VERSION_3 = 0x20080522
_DAC_OVERRIDE, _DAC_READ_SEARCH = 1, 2


class _Header(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _Data(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                ("inheritable", ctypes.c_uint32)]


_libc = ctypes.CDLL(None, use_errno=True)


def _call(name: str, header: _Header, data: ctypes.Array[_Data]) -> None:
    if getattr(_libc, name)(ctypes.byref(header), data) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{name}: {os.strerror(err)}")


@contextmanager
def as_ordinary_user() -> Iterator[None]:
    """File modes apply to this thread in the block, even when it runs as root."""
    header = _Header(_VERSION_3, 0)
    data = (_Data * 2)()
    _call("capget", header, data)
    saved = data[0].effective
    data[0].effective &= ~((1 << _DAC_OVERRIDE) | (1 << _DAC_READ_SEARCH))
    _call("capset", header, data)
    try:
        yield
    finally:
        data[0].effective = saved
        _call("capset", _Header(_VERSION_3, 0), data)
