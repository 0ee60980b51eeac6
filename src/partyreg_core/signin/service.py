"""Signing in: the use cases, over the workspace that wires them (``ws.signin``)."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from partyreg_core.errors import ConflictError, ValidationError
from partyreg_core.normalize import normalize_name, normalize_phone
from partyreg_core.notify.model import Notice, Target
from partyreg_core.signin.model import Invitation, SigninToken
from partyreg_core.signin.port import SigninStore
from partyreg_core.signin.rules import (
    BASE_URL_SETTING,
    DEFAULT_BASE_URL,
    DEFAULT_TTL,
    check_base_url,
    check_ttl,
    invitation_text,
    judge,
    looks_like_token,
    new_token,
    signin_url,
    token_digest,
)

if TYPE_CHECKING:
    from partyreg_core.workspace import Workspace


class SigninService:
    """One-time links and sessions for the members' site, acting as the workspace's actor."""

    def __init__(self, workspace: Workspace, store: SigninStore) -> None:
        self._ws = workspace
        self._store = store

    def base_url(self) -> str:
        """The site's public address (the ``web.base_url`` setting; else the local one)."""
        value = self._ws.setting(BASE_URL_SETTING)
        return check_base_url(value) if isinstance(value, str) and value else DEFAULT_BASE_URL

    def invite(
        self,
        member_id: int,
        *,
        base_url: str | None = None,
        ttl: timedelta = DEFAULT_TTL,
        send: bool = True,
    ) -> Invitation:
        """Make a one-time link for a member within scope and (``send``) queue it to the
        member's channel through the outbox. A member who left gets none (decision 0075)."""
        ws = self._ws
        member = ws.members.get(member_id)
        if member.left_on is not None:
            raise ConflictError(
                "signin.member_left",
                f"{member.name} 已于 {member.left_on.isoformat()} 退出活动，不能再登录党员服务网站。",
            )
        check_ttl(ttl)
        base = check_base_url(base_url) if base_url else self.base_url()
        token = new_token()
        now = ws.now()
        stored = SigninToken(
            digest=token_digest(token),
            member_id=member_id,
            created_at=now,
            expires_at=now + ttl,
            created_by=ws.actor.real_name,
        )
        self._store.add_token(ws.actor, stored)
        url = signin_url(base, token)
        queued = 0
        if send:
            subject, body = invitation_text(member.name, url, stored.expires_at)
            added = ws.notify.queue(
                [
                    Notice(
                        event="signin.link",
                        target=Target.member(member_id),
                        subject=subject,
                        body=body,
                        identity=stored.digest,
                    )
                ]
            )
            queued = len(added) - ws.notify.tally.get("skipped", 0) if added else 0
            queued = max(queued, 0)
        return Invitation(member_id, url, stored.expires_at, queued)

    def request_link(self, name: str, phone: str) -> bool:
        """A member asks for a link with their name and mobile: when exactly one current
        member within scope matches, a link is made and sent to their channel (never shown).
        Returns whether one was sent; the site says the same either way."""
        ws = self._ws
        try:
            clean_name, clean_phone = normalize_name(name), normalize_phone(phone)
        except ValidationError:
            return False
        if not clean_name or not clean_phone:
            return False
        found = [m for m in ws.members.find(clean_name, clean_phone) if m.left_on is None]
        if len(found) != 1:
            return False
        member = ws.for_member(found[0].id)
        invitation = member.signin.invite(found[0].id)
        return invitation.queued > 0

    def redeem(self, token: str) -> int:
        """The member a one-time token signs in, marking it used; refused (used, expired,
        unknown) with :class:`NotPermittedError`."""
        text = token.strip()
        now = self._ws.now()
        if not looks_like_token(text):
            return judge(None, now)
        return judge(self._store.redeem_token(self._ws.actor, token_digest(text), now), now)

    def session_key(self) -> bytes:
        """The key that signs the site's session cookies (kept in the store)."""
        return self._store.session_key()
