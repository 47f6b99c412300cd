"""Accounts, API tokens and the viewer of a request."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tortoise.expressions import Q

from hub.core import Forbidden, Invalid, NotFound, Unauthenticated, dataversion, write_transaction
from models.accounts import Account, ApiToken
from models.directory import Centre, Community
from models.enums import Role

TOKEN_PREFIX = "okh_"
LAST_USE_RESOLUTION = timedelta(minutes=1)
"""`last_used_at` is written at most once a minute per token, so reads stay reads."""


@dataclass(frozen=True)
class Viewer:
    """Who is asking: an account with its role and scope, or nobody."""

    account_id: int | None = None
    role: Role | None = None
    centre_id: int | None = None
    community_id: int | None = None
    locale: str = "id"

    @classmethod
    def of(cls, account: Account) -> Viewer:
        return cls(
            account_id=account.id,
            role=account.role,
            centre_id=account.centre_id,
            community_id=account.community_id,
            locale=account.locale,
        )

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    @property
    def is_anonymous(self) -> bool:
        return self.account_id is None

    def acts_for(self, *, centre_id: int | None = None, community_id: int | None = None) -> bool:
        """True when the viewer is STAFF of `centre_id` or COORDINATOR of `community_id`."""
        if self.role is Role.STAFF:
            return centre_id is not None and self.centre_id == centre_id
        if self.role is Role.COORDINATOR:
            return community_id is not None and self.community_id == community_id
        return False


ANONYMOUS = Viewer()


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedToken:
    account: Account
    token: ApiToken
    secret: str


async def create_token(
    *,
    email: str,
    role: Role,
    centre_code: str | None = None,
    community_id: int | None = None,
    name: str = "",
    expires_days: int | None = None,
) -> IssuedToken:
    """Create the account if needed and a new token for it. An existing account keeps its role
    and scope: asking for another is an error, never a silent change."""
    email = email.strip().lower()
    if "@" not in email:
        raise Invalid(f"{email!r} is not an email address", field=["email"])
    if expires_days is not None and expires_days <= 0:
        raise Invalid("expiry must be at least one day", field=["expiresDays"])
    centre = await _scope_centre(role, centre_code)
    community = await _scope_community(role, community_id)
    async with write_transaction():
        account = await Account.get_or_none(email=email)
        if account is None:
            account = await Account.create(
                email=email,
                name=email.split("@", 1)[0],
                role=role,
                centre=centre,
                community=community,
            )
        elif (account.role, account.centre_id, account.community_id) != (
            role,
            centre.id if centre else None,
            community.id if community else None,
        ):
            raise Invalid(
                f"account {email} already exists as {account.role.value}"
                f"{_scope_words(account)}; its role and scope are not changed by a new token",
                field=["role"],
            )
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        expires_at = (
            datetime.now(UTC) + timedelta(days=expires_days) if expires_days is not None else None
        )
        token = await ApiToken.create(
            account=account, name=name, secret_hash=hash_secret(secret), expires_at=expires_at
        )
    return IssuedToken(account=account, token=token, secret=secret)


def _scope_words(account: Account) -> str:
    if account.centre_id is not None:
        return f" of centre #{account.centre_id}"
    if account.community_id is not None:
        return f" of community #{account.community_id}"
    return ""


async def _scope_centre(role: Role, centre_code: str | None) -> Centre | None:
    if role is not Role.STAFF:
        if centre_code:
            raise Invalid(f"a {role.value} account has no centre", field=["centre"])
        return None
    if not centre_code:
        raise Invalid("a STAFF account needs --centre KECAMATAN_CODE", field=["centre"])
    centre = await Centre.get_or_none(kecamatan__code=centre_code)
    if centre is None:
        raise NotFound(f"no centre in kecamatan {centre_code}", field=["centre"])
    return centre


async def _scope_community(role: Role, community_id: int | None) -> Community | None:
    if role is not Role.COORDINATOR:
        if community_id is not None:
            raise Invalid(f"a {role.value} account has no community", field=["community"])
        return None
    if community_id is None:
        raise Invalid("a COORDINATOR account needs --community COMMUNITY_ID", field=["community"])
    community = await Community.get_or_none(id=community_id)
    if community is None:
        raise NotFound(f"no community with id {community_id}", field=["community"])
    return community


async def list_tokens(*, email: str | None = None) -> list[ApiToken]:
    """Every token (never its secret), oldest first, optionally of one account."""
    query = ApiToken.all().select_related("account").order_by("id")
    if email:
        query = query.filter(account__email=email.strip().lower())
    return await query


async def revoke_token(*, token_id: int) -> ApiToken:
    token = await ApiToken.get_or_none(id=token_id)
    if token is None:
        raise NotFound(f"no token with id {token_id}")
    if token.revoked_at is None:
        token.revoked_at = datetime.now(UTC)
        await token.save(update_fields=["revoked_at"])
    return token


async def authenticate(authorization: str | None) -> Viewer:
    """The viewer for an `Authorization` header value; no header means anonymous."""
    if not authorization:
        return ANONYMOUS
    scheme, _, secret = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise Unauthenticated("the Authorization header must be 'Bearer <token>'")
    now = datetime.now(UTC)
    token = await ApiToken.get_or_none(secret_hash=hash_secret(secret.strip())).select_related(
        "account"
    )
    if token is None:
        raise Unauthenticated("unknown token")
    if token.revoked_at is not None:
        raise Unauthenticated("this token has been revoked")
    if token.expires_at is not None and token.expires_at <= now:
        raise Unauthenticated("this token has expired")
    if token.last_used_at is None or now - token.last_used_at >= LAST_USE_RESOLUTION:
        await ApiToken.filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USE_RESOLUTION),
            id=token.id,
        ).update(last_used_at=now)
    return Viewer.of(token.account)


async def update_viewer(*, viewer: Viewer, name: str | None, locale: str | None) -> Account:
    """Change the signed-in account's own name or language."""
    if viewer.account_id is None:
        raise Forbidden("sign in to change your account")
    account = await Account.get(id=viewer.account_id)
    if locale is not None:
        if locale not in {"id", "en"}:
            raise Invalid("locale must be 'id' (Indonesian) or 'en' (English)", field=["locale"])
        account.locale = locale
    if name is not None:
        if not name.strip():
            raise Invalid("name must not be empty", field=["name"])
        account.name = name.strip()[:160]
    async with write_transaction():
        await account.save()
        await dataversion.bump()
    return account
