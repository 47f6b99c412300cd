"""Bearer tokens: accepted, refused with 401, and the signed-in account's own settings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from hub.access import create_token, revoke_token
from models.accounts import ApiToken
from models.enums import Role
from tests.conftest import GraphQLClient, errors_of

pytestmark = pytest.mark.usefixtures("reference_data")

VIEWER = "query { viewer { role name locale } }"

UPDATE_VIEWER = """
mutation ($input: UpdateViewerInput!) {
  updateViewer(input: $input) { account { name locale } errors { code field message } }
}
"""


async def _post(client: httpx.AsyncClient, token: str) -> httpx.Response:
    return await client.post(
        "/graphql", json={"query": VIEWER}, headers={"Authorization": f"Bearer {token}"}
    )


async def test_a_valid_token_signs_in_and_records_its_last_use(client: httpx.AsyncClient) -> None:
    issued = await create_token(email="Partner@Example.org", role=Role.PARTNER, name="app")
    assert issued.account.email == "partner@example.org"
    stored = await ApiToken.get(id=issued.token.id)
    assert stored.secret_hash != issued.secret  # only the hash is kept
    assert issued.secret not in stored.secret_hash

    response = await _post(client, issued.secret)

    assert response.status_code == 200
    assert response.json()["data"]["viewer"]["role"] == "PARTNER"
    assert (await ApiToken.get(id=issued.token.id)).last_used_at is not None


@pytest.mark.parametrize("case", ["unknown", "revoked", "expired", "malformed"])
async def test_a_bad_token_is_401_with_a_graphql_error_body(
    client: httpx.AsyncClient, case: str
) -> None:
    issued = await create_token(email=f"{case}@example.org", role=Role.PARTNER)
    secret = issued.secret
    if case == "unknown":
        secret = secret[:-4] + "xxxx"
    elif case == "revoked":
        await revoke_token(token_id=issued.token.id)
    elif case == "expired":
        await ApiToken.filter(id=issued.token.id).update(
            expires_at=datetime.now(UTC) - timedelta(minutes=1)
        )

    if case == "malformed":
        response = await client.post(
            "/graphql", json={"query": VIEWER}, headers={"Authorization": f"Token {secret}"}
        )
    else:
        response = await _post(client, secret)

    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    body = response.json()
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert response.headers["x-request-id"]


async def test_an_account_keeps_its_role_and_scope(client: httpx.AsyncClient) -> None:
    from hub.core import Invalid

    await create_token(email="staf@example.org", role=Role.STAFF, centre_code="31.71.01")
    # Same role and scope: another token.
    await create_token(email="staf@example.org", role=Role.STAFF, centre_code="31.71.01")

    with pytest.raises(Invalid, match="already exists as STAFF"):
        await create_token(email="staf@example.org", role=Role.ADMIN)
    with pytest.raises(Invalid, match="already exists as STAFF"):
        await create_token(email="staf@example.org", role=Role.STAFF, centre_code="31.74.01")
    with pytest.raises(Invalid, match="needs --centre"):
        await create_token(email="new@example.org", role=Role.STAFF)
    assert await ApiToken.filter(account__email="staf@example.org").count() == 2


async def test_update_viewer_changes_language_and_refuses_bad_input(gql: GraphQLClient) -> None:
    issued = await create_token(email="bahasa@example.org", role=Role.PARTNER)
    headers = {"Authorization": f"Bearer {issued.secret}"}

    body = await gql(UPDATE_VIEWER, {"input": {"locale": "en", "name": "Mitra"}}, headers=headers)
    assert body["data"]["updateViewer"] == {
        "account": {"name": "Mitra", "locale": "en"},
        "errors": [],
    }

    body = await gql(UPDATE_VIEWER, {"input": {"locale": "fr"}}, headers=headers)
    assert body["data"]["updateViewer"]["account"] is None
    assert body["data"]["updateViewer"]["errors"][0]["code"] == "INVALID"
    assert body["data"]["updateViewer"]["errors"][0]["field"] == ["locale"]
    assert (await gql(VIEWER, headers=headers))["data"]["viewer"]["locale"] == "en"

    anonymous = await gql(UPDATE_VIEWER, {"input": {"locale": "en"}})
    assert anonymous["data"]["updateViewer"]["errors"][0]["code"] == "FORBIDDEN"
    assert errors_of(anonymous) == []
