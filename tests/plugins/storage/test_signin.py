"""One-time sign-in tokens in both backends (decision 0115): kept by digest, used once, only
before they expire, only for members within the scope; the session key is made once."""

from __future__ import annotations

import hashlib
import secrets
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import attrs
import pytest

from partyreg_core.audit import AuditQuery
from partyreg_core.errors import NotFoundError
from partyreg_core.operators.model import Role
from partyreg_core.signin.model import SigninToken
from partyreg_plugins.sqlstore.store import SqlStore
from tests.plugins.storage import support

NOW = datetime(2024, 9, 10, 8, 0, tzinfo=UTC)


def _token(member_id: int, *, hours: float = 24) -> tuple[str, SigninToken]:
    text = secrets.token_urlsafe(32)
    digest = hashlib.sha256(text.encode()).hexdigest()
    return text, SigninToken(
        digest, member_id, NOW, NOW + timedelta(hours=hours), created_by="tester"
    )


def _member(store: SqlStore) -> tuple[int, support.District]:
    district = support.make_district(store)
    [member_id] = support.register(
        store,
        support.city(store),
        [support.registration(district.units[0], district.communities[0])],
    )
    return member_id, district


def test_a_token_is_kept_by_its_digest_and_works_once(store: SqlStore) -> None:
    member_id, _district = _member(store)
    city = support.city(store)
    text, token = _token(member_id)
    store.signin.add_token(city, token)
    with support.raw_sql(store) as conn:
        rows = conn.execute(
            "SELECT digest FROM partyreg.signin_tokens"
            if store.dialect == "postgresql"
            else "SELECT digest FROM signin_tokens"
        ).fetchall()
    assert all(text not in str(r[0]) for r in rows)
    used = store.signin.redeem_token(city, token.digest, NOW + timedelta(minutes=5))
    assert used is not None and used.used_at is None and used.member_id == member_id
    again = store.signin.redeem_token(city, token.digest, NOW + timedelta(minutes=6))
    assert again is not None and again.used_at is not None
    entries = list(store.audit(city, AuditQuery(subject=f"member:{member_id}")))
    uses = [e for e in entries if e.action == "signin.use"]
    assert [(e.actor, e.on_behalf_of) for e in uses] == [(f"member:{member_id}", city.name)]
    assert [e.action for e in entries if e.action.startswith("signin.")] == [
        "signin.link",
        "signin.use",
    ]


def test_an_expired_or_unknown_token_is_not_used(store: SqlStore) -> None:
    member_id, _district = _member(store)
    city = support.city(store)
    _text, token = _token(member_id, hours=1)
    store.signin.add_token(city, token)
    late = store.signin.redeem_token(city, token.digest, NOW + timedelta(hours=2))
    assert late is not None and late.used_at is None and late.expires_at <= NOW + timedelta(hours=2)
    assert store.signin.redeem_token(city, "0" * 64, NOW) is None


def test_two_uses_at_the_same_moment_sign_in_once(store: SqlStore) -> None:
    member_id, _district = _member(store)
    city = support.city(store)
    _text, token = _token(member_id)
    store.signin.add_token(city, token)
    with ThreadPoolExecutor(4) as pool:
        results = list(
            pool.map(lambda _i: store.signin.redeem_token(city, token.digest, NOW), range(8))
        )
    assert sum(1 for r in results if r is not None and r.used_at is None) == 1


def test_tokens_stay_within_the_scope(store: SqlStore) -> None:
    member_id, district = _member(store)
    other = support.make_district(store)
    outsider = support.add_operator(store, Role.DISTRICT, other.code)
    _text, token = _token(member_id)
    with pytest.raises(NotFoundError):
        store.signin.add_token(outsider, token)
    store.signin.add_token(support.city(store), token)
    # another district's account neither sees nor uses the member's token
    assert store.signin.redeem_token(outsider, token.digest, NOW) is None
    own = support.add_operator(store, Role.DISTRICT, district.code)
    assert store.signin.redeem_token(own, token.digest, NOW) is not None


def test_the_session_key_is_made_once(store: SqlStore) -> None:
    key = store.signin.session_key()
    assert len(key) == 32 and store.signin.session_key() == key
    assert key != store.document_key()


def test_a_token_of_a_member_who_left_no_longer_works(store: SqlStore) -> None:
    member_id, _district = _member(store)
    city = support.city(store)
    _text, token = _token(member_id)
    store.signin.add_token(city, token)
    store.members.leave_member(city, member_id, NOW.date(), "调离", NOW.date())
    found = store.signin.redeem_token(city, token.digest, NOW)
    assert found is not None and found.expires_at <= NOW
    assert attrs.evolve(found, expires_at=token.expires_at) == token
