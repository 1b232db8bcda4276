from __future__ import annotations

from core.buffer import RowBuffer


def test_a_thing_read_again_keeps_only_its_latest_reading_and_its_rows() -> None:
    buffer: RowBuffer[str, list[str]] = RowBuffer(len)
    buffer.put("DS-1", ["issue", "event"])
    buffer.put("DS-2", ["issue"])
    buffer.put("DS-1", ["issue", "event", "comment"])
    assert buffer.readings == {"DS-2": ["issue"], "DS-1": ["issue", "event", "comment"]}
    assert buffer.rows == 4  # 1 (DS-2) + 3 (DS-1's latest reading); its first reading's 2 are gone
    buffer.clear()
    assert (buffer.readings, buffer.rows) == ({}, 0)
