"""One-time sign-in tokens and the session key of the members' site
(:class:`partyreg_core.signin.port.SigninStore`)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import attrs
import sqlalchemy as sa

from partyreg_core.documents import new_key
from partyreg_core.operators.model import Actor
from partyreg_core.signin.model import SigninToken
from partyreg_plugins.sqlstore.schema import members, signin_tokens, web_keys
from partyreg_plugins.sqlstore.scoping import member_condition, where

if TYPE_CHECKING:
    from partyreg_plugins.sqlstore.store import SqlStore


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _token(row: Any) -> SigninToken:
    created, expires = _utc(row.created_at), _utc(row.expires_at)
    assert created is not None and expires is not None
    return SigninToken(
        digest=row.digest,
        member_id=row.member_id,
        created_at=created,
        expires_at=expires,
        used_at=_utc(row.used_at),
        created_by=row.created_by,
    )


class SigninRepository:
    """The sign-in tables of one :class:`SqlStore`, through its transactions and audit log."""

    def __init__(self, store: SqlStore) -> None:
        self._store = store

    def add_token(self, actor: Actor, token: SigninToken) -> None:
        """Keep a token for a member within the actor's scope (audited, without the digest)."""
        store = self._store
        with store._tx(actor, write=True) as conn:
            row = store._visible_member(conn, actor, token.member_id)
            conn.execute(
                sa.insert(signin_tokens).values(
                    digest=token.digest,
                    member_id=token.member_id,
                    created_at=token.created_at,
                    expires_at=token.expires_at,
                    created_by=token.created_by,
                )
            )
            store._audit(
                conn,
                actor,
                "signin.link",
                f"member:{token.member_id}",
                after={"expires_at": token.expires_at.isoformat()},
                unit_code=row.unit_code,
                district_code=row.district_code,
                community_id=row.community_id,
            )

    def redeem_token(self, actor: Actor, digest: str, now: datetime) -> SigninToken | None:
        """Use the token of ``digest`` once (see the port); the use is audited by the member."""
        store = self._store
        with store._tx(actor, write=True) as conn:
            statement = where(
                sa.select(
                    signin_tokens,
                    members.c.unit_code,
                    members.c.district_code,
                    members.c.community_id,
                    members.c.left_on,
                )
                .join(members, members.c.id == signin_tokens.c.member_id)
                .where(signin_tokens.c.digest == digest),
                member_condition(actor.scope),
            )
            row = conn.execute(statement).first()
            if row is None:
                return None
            found = _token(row)
            if found.used_at is not None or found.expires_at <= now:
                return found
            if row.left_on is not None:  # a member who left since: the link is no longer good
                return attrs.evolve(found, expires_at=now)
            # the unused row only: of two requests at the same moment, one wins
            used = conn.execute(
                sa.update(signin_tokens)
                .where(signin_tokens.c.digest == digest, signin_tokens.c.used_at.is_(None))
                .values(used_at=now)
            ).rowcount
            if used != 1:
                return attrs.evolve(found, used_at=now)
            store._audit(
                conn,
                attrs.evolve(actor, member=found.member_id),
                "signin.use",
                f"member:{found.member_id}",
                unit_code=row.unit_code,
                district_code=row.district_code,
                community_id=row.community_id,
            )
            return found

    def session_key(self) -> bytes:
        """The session key, made on first use where a store lacks it."""
        store = self._store
        with store._tx(None) as conn:
            secret = conn.execute(sa.select(web_keys.c.secret)).scalar()
        if secret is not None:
            return bytes(secret)
        with store._tx(None, write=True) as conn:
            conn.execute(sa.insert(web_keys).values(id=1, secret=new_key()))
            return bytes(conn.execute(sa.select(web_keys.c.secret)).scalar_one())
