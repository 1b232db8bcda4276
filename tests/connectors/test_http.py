"""The header and URL reading both clients share (`connectors._http`), value by value: what a
server can put in `Retry-After`, `X-RateLimit-*` and `Link`, and when two URLs are one origin."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from connectors._http import epoch_time, header_number, iso_time, next_link, retry_after_seconds, same_origin

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "number"),
    [("42", 42.0), ("-3", -3.0), ("0.5", 0.5), ("nan", None), ("inf", None), ("1e400", None),
     ("soon", None), ("", None), (None, None)],
)  # fmt: skip
def test_a_numeric_header_is_a_finite_number_or_nothing(value: str | None, number: float | None) -> None:
    assert header_number(value) == number


@pytest.mark.parametrize(
    ("value", "moment"),
    [
        ("1772452800", NOW),  # 2026-03-02 12:00:00 UTC
        ("1772452800.5", NOW + timedelta(milliseconds=500)),
        ("1e20", None),  # past any year a datetime holds
        ("nan", None),
        (None, None),
    ],
)
def test_an_epoch_reset_is_a_utc_time(value: str | None, moment: datetime | None) -> None:
    parsed = epoch_time(value)
    assert parsed == moment
    assert parsed is None or parsed.tzinfo is UTC


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("30", 30.0),
        ("0", 0.0),
        ("-5", 0.0),  # never a negative wait
        ("nan", None),  # a number that names no wait
        ("inf", None),
        ("Mon, 02 Mar 2026 12:00:30 GMT", 30.0),
        ("Mon, 02 Mar 2026 12:01:00 -0000", 60.0),  # no zone given: UTC
        ("Mon, 02 Mar 2026 14:00:10 +0200", 10.0),
        ("Mon, 02 Mar 2026 11:00:00 GMT", 0.0),  # already past
        ("in a while", None),
        ("", None),
        (None, None),
    ],
)
def test_retry_after_in_seconds_or_as_a_date(value: str | None, seconds: float | None) -> None:
    assert retry_after_seconds(value, NOW) == seconds


@pytest.mark.parametrize(
    ("value", "moment"),
    [
        ("2026-03-02T16:00:00+04:00", NOW),
        ("2026-03-02T12:00:00Z", NOW),
        (" 2026-03-02T12:00:00 ", NOW),  # no zone: UTC; spaces around are not part of it
        ("2026-03-02T12:00:00.000-0500", NOW + timedelta(hours=5)),
        ("tomorrow", None),
        ("", None),
        (None, None),
    ],
)
def test_an_iso_reset_is_an_aware_time(value: str | None, moment: datetime | None) -> None:
    parsed = iso_time(value)
    assert parsed == moment
    assert parsed is None or parsed.utcoffset() is not None


def test_an_iso_reset_keeps_the_zone_it_was_given_in() -> None:
    assert iso_time("2026-03-02T16:00:00+04:00") == datetime(
        2026, 3, 2, 16, tzinfo=timezone(timedelta(hours=4))
    )


@pytest.mark.parametrize(
    ("header", "url"),
    [
        ('<https://api.github.com/x?page=2>; rel="next", <https://api.github.com/x?page=9>; rel="last"',
         "https://api.github.com/x?page=2"),
        ('<https://api.github.com/x?page=1>; rel="prev", <https://api.github.com/x?page=3>; rel="next"',
         "https://api.github.com/x?page=3"),
        ("<https://api.github.com/x?page=2>;rel=next", "https://api.github.com/x?page=2"),
        ('<https://api.github.com/x?page=9>; rel="last"', None),
        ("", None),
        (None, None),
    ],
)  # fmt: skip
def test_the_next_link_of_a_link_header(header: str | None, url: str | None) -> None:
    assert next_link(header) == url


@pytest.mark.parametrize(
    ("url", "same"),
    [
        ("https://ghe.acme.example/api/v3/x?page=2", True),
        ("https://GHE.acme.example/api/v3/x", True),  # host names are not case-sensitive
        ("http://ghe.acme.example/api/v3/x", False),  # another scheme
        ("https://ghe.acme.example:8443/api/v3/x", False),  # another port
        ("https://ghe.acme.example.evil.example/api/v3/x", False),
        ("https://evil.example/ghe.acme.example/api/v3", False),
    ],
)
def test_credentials_go_only_to_the_same_scheme_host_and_port(url: str, same: bool) -> None:
    assert same_origin(url, "https://ghe.acme.example/api/v3") is same
