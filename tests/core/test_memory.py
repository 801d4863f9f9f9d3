"""Freed heap memory goes back to the kernel (glibc's malloc_trim), so RSS follows what is held."""

from __future__ import annotations

import psutil

from conectafy.memory import release_free_memory

MIB = 2**20


def test_freed_heap_memory_in_the_middle_of_the_heap_goes_back_to_the_kernel() -> None:
    process = psutil.Process()
    blocks = [bytes(16 * 1024) for _ in range(8_000)]  # 125 MiB from malloc (pymalloc stops at 512 B)
    del blocks[::2]  # every other block freed: holes that the top of the heap cannot give back
    before = process.memory_info().rss
    assert release_free_memory()
    assert process.memory_info().rss < before - 20 * MIB
    del blocks
