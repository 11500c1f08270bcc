"""A strict OpenID Connect provider for the negative cases, built from Authlib's server classes.

Unlike oidc-provider-mock it requires PKCE (S256) and registered clients with their secret,
and it can be told to misbehave in one precise way (another issuer, another audience, an
expired ID token, another nonce) to show that the app refuses such tokens.

Run: python tests/identity/sso/peers/strict_idp.py PORT   (serves http://127.0.0.1:PORT)

Test-only endpoints:
  PUT  /_peer/clients/<client_id>  {"secret": "...", "redirect_uris": ["..."]}
  PUT  /_peer/users/<sub>          {claims...}
  PUT  /_peer/tamper               {"iss": "...", "aud": "...", "exp_offset": -3600, "nonce": "..."}
Sign a user in as with oidc-provider-mock: POST the authorize URL with form field sub=<sub>.
"""

from __future__ import annotations

import secrets
import sys
import time
from dataclasses import dataclass, field
from typing import Any

import flask
from authlib.integrations.flask_oauth2 import AuthorizationServer, ResourceProtector
from authlib.integrations.flask_oauth2 import current_token as _current_token
from authlib.oauth2.rfc6749 import (
    AuthorizationCodeMixin,
    ClientMixin,
    InvalidRequestError,
    TokenMixin,
    grants,
)
from authlib.oauth2.rfc6750 import BearerTokenValidator
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core.util import create_half_hash
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

KEY = RSAKey.generate_key(2048, parameters={"kid": "strict-1", "use": "sig", "alg": "RS256"})


@dataclass
class Client(ClientMixin):
    client_id: str
    secret: str
    redirect_uris: list[str]

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str:
        return self.redirect_uris[0]

    def get_allowed_scope(self, scope: str) -> str:
        return " ".join(s for s in (scope or "").split() if s in ("openid", "email", "profile"))

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.redirect_uris

    def check_client_secret(self, client_secret: str) -> bool:
        return secrets.compare_digest(client_secret, self.secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "authorization_code"


@dataclass
class Code(AuthorizationCodeMixin):
    code: str
    client_id: str
    redirect_uri: str
    scope: str
    sub: str
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str | None

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope


@dataclass
class Token(TokenMixin):
    access_token: str
    sub: str
    scope: str
    expires_at: float = field(default_factory=lambda: time.time() + 3600)

    def check_client(self, client: Any) -> bool:
        return True

    def get_scope(self) -> str:
        return self.scope

    def get_expires_in(self) -> int:
        return 3600

    def is_expired(self) -> bool:
        return time.time() > self.expires_at

    def is_revoked(self) -> bool:
        return False


CLIENTS: dict[str, Client] = {}
USERS: dict[str, dict[str, Any]] = {}
CODES: dict[str, Code] = {}
TOKENS: dict[str, Token] = {}
TAMPER: dict[str, Any] = {}


class CodeGrant(grants.AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

    def save_authorization_code(self, code: str, request: Any) -> None:
        data = request.payload.data
        CODES[code] = Code(
            code=code,
            client_id=request.client.client_id,
            redirect_uri=request.payload.redirect_uri,
            scope=request.payload.scope,
            sub=request.user,
            nonce=data.get("nonce"),
            code_challenge=data.get("code_challenge"),
            code_challenge_method=data.get("code_challenge_method"),
        )

    def query_authorization_code(self, code: str, client: Client) -> Code | None:
        found = CODES.get(code)
        return found if found and found.client_id == client.client_id else None

    def delete_authorization_code(self, authorization_code: Code) -> None:
        CODES.pop(authorization_code.code, None)

    def authenticate_user(self, authorization_code: Code) -> str:
        return authorization_code.sub


def issuer() -> str:
    return flask.request.host_url.rstrip("/")


def add_id_token(grant: Any, response: Any) -> dict[str, Any]:
    _, token, _ = response
    code: Code = grant.request.authorization_code
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": TAMPER.get("iss", issuer()),
        "sub": code.sub,
        "aud": TAMPER.get("aud", code.client_id),
        "iat": now,
        "exp": now + 300 + int(TAMPER.get("exp_offset", 0)),
        "at_hash": create_half_hash(token["access_token"], "RS256").decode(),
        **USERS.get(code.sub, {}),
    }
    nonce = TAMPER.get("nonce", code.nonce)
    if nonce:
        claims["nonce"] = nonce
    token["id_token"] = jwt.encode({"alg": "RS256", "kid": "strict-1"}, claims, KEY)
    return token


def save_token(token: dict[str, Any], request: Any) -> None:
    TOKENS[token["access_token"]] = Token(
        access_token=token["access_token"], sub=request.user, scope=token.get("scope", "")
    )


class Validator(BearerTokenValidator):
    def authenticate_token(self, token_string: str) -> Token | None:
        return TOKENS.get(token_string)


app = flask.Flask(__name__)
server = AuthorizationServer(app, query_client=CLIENTS.get, save_token=save_token)


class RequiredCodeChallenge(CodeChallenge):
    """PKCE for every client, confidential ones included (as OAuth 2.1 asks)."""

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        if not grant.request.payload.data.get("code_challenge"):
            raise InvalidRequestError("Missing 'code_challenge': this provider requires PKCE.")
        super().validate_code_challenge(grant, redirect_uri)


def id_token_extension(grant: Any) -> None:
    grant.register_hook("after_create_token_response", add_id_token)


server.register_grant(CodeGrant, [RequiredCodeChallenge(required=True), id_token_extension])
require_oauth = ResourceProtector()
require_oauth.register_token_validator(Validator())


@app.get("/.well-known/openid-configuration")
def discovery() -> Any:
    base = issuer()
    return flask.jsonify(
        {
            "issuer": base,
            "authorization_endpoint": f"{base}/authorize",
            "token_endpoint": f"{base}/token",
            "userinfo_endpoint": f"{base}/userinfo",
            "jwks_uri": f"{base}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid", "email", "profile"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic"],
        }
    )


@app.get("/jwks")
def jwks() -> Any:
    return flask.jsonify(KeySet([KEY]).as_dict(private=False))


@app.route("/authorize", methods=["GET", "POST"])
def authorize() -> Any:
    if flask.request.method == "GET":
        return "POST sub=<subject> to this URL to sign in.", 200
    sub = flask.request.form.get("sub", "")
    USERS.setdefault(sub, {"email": sub})
    return server.create_authorization_response(grant_user=sub)


@app.post("/token")
def token() -> Any:
    return server.create_token_response()


@app.route("/userinfo", methods=["GET", "POST"])
@require_oauth("openid")
def userinfo() -> Any:
    tok: Token = _current_token  # type: ignore[assignment]
    return flask.jsonify({**USERS.get(tok.sub, {}), "sub": tok.sub})


@app.put("/_peer/clients/<client_id>")
def put_client(client_id: str) -> Any:
    body = flask.request.get_json()
    CLIENTS[client_id] = Client(client_id, body["secret"], list(body["redirect_uris"]))
    return "", 204


@app.put("/_peer/users/<sub>")
def put_user(sub: str) -> Any:
    USERS[sub] = dict(flask.request.get_json())
    return "", 204


@app.put("/_peer/tamper")
def put_tamper() -> Any:
    TAMPER.clear()
    TAMPER.update(flask.request.get_json() or {})
    return "", 204


if __name__ == "__main__":
    app.run(host="127.0.0.1", port=int(sys.argv[1]), threaded=True)
