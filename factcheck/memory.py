"""Give freed heap memory back to the operating system (glibc's ``malloc_trim``).

A Celery task that runs the check-worthiness encoder allocates tens of MB of NumPy temporaries; glibc keeps the
freed pages in its arenas, so each pool child stays that much bigger until it is recycled. Trimming after each task
returns them (a few ms, once per task — unlike ``MALLOC_MMAP_THRESHOLD_``, which costs a system call on every large
allocation). Elsewhere than glibc it does nothing."""

import ctypes
import functools


@functools.cache
def _malloc_trim():
    """The running process's own ``malloc_trim`` (``CDLL(None)``: the symbols already loaded, libc among them;
    no library search, which on Linux would start an ``ldconfig`` subprocess)."""
    try:
        return ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):  # not glibc (musl, macOS): nothing to trim
        return None


def release_free_memory() -> bool:
    """Return the free pages of every malloc arena to the OS; ``True`` when glibc was asked (it may have found
    nothing to give back), ``False`` where there is no ``malloc_trim``."""
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)
    return True
