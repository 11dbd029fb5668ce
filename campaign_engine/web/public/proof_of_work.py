"""The proof of work's two ends on the web (proof_of_work.py has the arithmetic): a fresh
challenge for the form's script, and the check of what a signature brings back. A challenge
counts once: its id is kept in Redis for as long as it could be used (a keyed id, nothing
about anyone). While Redis is unreachable the id is kept in this process's memory instead
(web/rate_limits.py): a replay to the same process is still suspected, and a broken doorbell
does not turn every signer into a suspect."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import replace

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from campaign_engine.models.signing import SignatureRequest
from campaign_engine.security.proof_of_work import DIFFICULTY, solves
from campaign_engine.security.tokens import PROOF_OF_WORK_MAX_AGE, ExpiredLink, InvalidLink
from campaign_engine.web.services import services


async def challenge(request: Request) -> Response:
    """GET /proof-of-work: what the form's script must solve; never cached, never the same."""
    token = services(request).tokens.proof_of_work_challenge()
    return JSONResponse(
        {"challenge": token, "difficulty": DIFFICULTY}, headers={"Cache-Control": "no-store"}
    )


async def with_proof_of_work(
    request: Request, data: Mapping[str, object], parsed: SignatureRequest
) -> SignatureRequest:
    """The signature, saying whether it brought a solved, fresh, unused proof of work."""
    token, nonce = data.get("pow_challenge"), data.get("pow_nonce")
    if not isinstance(token, str) or not isinstance(nonce, str) or len(token) > 200:
        return parsed
    s = services(request)
    try:
        s.tokens.read_proof_of_work_challenge(token)
    except (InvalidLink, ExpiredLink):
        return parsed
    if not solves(token, nonce) or not await _first_use(request, token):
        return parsed
    return replace(parsed, proof_of_work=True)


async def _first_use(request: Request, token: str) -> bool:
    key = "pow:" + hashlib.sha256(token.encode()).hexdigest()[:32]
    seconds = int(PROOF_OF_WORK_MAX_AGE.total_seconds())
    return await services(request).limiter.first_use(key, seconds)
