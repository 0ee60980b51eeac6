"""The rules of one-time sign-in links (decision 0115)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from partyreg_core.errors import NotPermittedError, ValidationError
from partyreg_core.signin.model import SigninToken
from partyreg_core.signin.rules import (
    EXPIRED,
    INVALID,
    USED,
    check_base_url,
    check_ttl,
    invitation_text,
    judge,
    looks_like_token,
    new_token,
    signin_url,
    token_digest,
)

NOW = datetime(2014, 10, 1, 8, 0, tzinfo=UTC)


def test_a_new_token_is_random_url_safe_and_recognised() -> None:
    tokens = {new_token() for _ in range(50)}
    assert len(tokens) == 50
    assert all(looks_like_token(t) and len(t) == 43 for t in tokens)


@given(st.text(max_size=120))
def test_only_url_safe_text_of_a_tokens_length_looks_like_one(text: str) -> None:
    allowed = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    assert looks_like_token(text) == (20 <= len(text) <= 100 and set(text) <= allowed)


@given(st.text(min_size=1, max_size=60))
def test_the_digest_is_stable_hex_and_never_the_token(text: str) -> None:
    digest = token_digest(text)
    assert digest == token_digest(text) and len(digest) == 64
    assert set(digest) <= set("0123456789abcdef")
    if len(text.strip()) > 3:
        assert text.strip() not in digest


@given(
    st.sampled_from(["http", "https"]),
    st.from_regex(r"[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?(\.[a-z0-9]{1,10}){0,3}", fullmatch=True),
    st.one_of(st.none(), st.integers(1, 65535)),
    st.from_regex(r"(/[a-z0-9_-]{1,10}){0,3}", fullmatch=True),
)
def test_a_base_url_is_kept_without_its_trailing_slash(
    scheme: str, host: str, port: int | None, path: str
) -> None:
    url = f"{scheme}://{host}{f':{port}' if port else ''}{path}"
    assert check_base_url(url + "/") == url
    assert signin_url(url, "TOKEN") == f"{url}/s/TOKEN"


@pytest.mark.parametrize(
    "text", ["ftp://x.cn", "dangyuan.example.cn", "https://", "https://x.cn/?a=1", "https://x.cn/#f",
             "javascript:alert(1)", "https://x cn"],
)  # fmt: skip
def test_other_addresses_are_refused(text: str) -> None:
    with pytest.raises(ValidationError) as caught:
        check_base_url(text)
    assert caught.value.code == "signin.base_url" and "https://" in caught.value.message


def test_links_last_between_a_minute_and_a_week() -> None:
    assert check_ttl(timedelta(hours=24)) == timedelta(hours=24)
    for bad in (timedelta(seconds=30), timedelta(days=8)):
        with pytest.raises(ValidationError):
            check_ttl(bad)


def _token(**changes: object) -> SigninToken:
    values: dict[str, object] = {
        "digest": "d" * 64, "member_id": 7, "created_at": NOW,
        "expires_at": NOW + timedelta(hours=24), **changes,
    }  # fmt: skip
    return SigninToken(**values)  # type: ignore[arg-type]


def test_a_token_is_judged_unknown_used_expired_or_good() -> None:
    assert judge(_token(), NOW + timedelta(hours=1)) == 7
    cases = [
        (None, NOW, "signin.invalid", INVALID),
        (_token(used_at=NOW), NOW, "signin.used", USED),
        (_token(), NOW + timedelta(hours=24), "signin.expired", EXPIRED),
    ]
    for found, now, code, message in cases:
        with pytest.raises(NotPermittedError) as caught:
            judge(found, now)
        assert (caught.value.code, caught.value.message) == (code, message)


def test_the_message_starts_with_the_link_so_a_short_sms_keeps_it() -> None:
    subject, body = invitation_text("王建伟", "https://x.cn/s/abc", NOW)
    assert body.startswith("https://x.cn/s/abc ") and "王建伟" in body and "只能用一次" in body
    assert len(subject) < 12
