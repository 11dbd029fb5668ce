"""What the web app's handlers share: built once at start-up, passed down, never global."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from starlette.requests import Request
from starlette.templating import Jinja2Templates

from campaign_engine.clock import Clock
from campaign_engine.db.pool import Pool
from campaign_engine.domain.campaigns.dashboard import Held
from campaign_engine.domain.network.texts import yes_words
from campaign_engine.domain.signing.abuse import ClientLimits
from campaign_engine.domain.signing.signatures import SignatureBatches
from campaign_engine.i18n import Catalogues
from campaign_engine.jobs import JobQueue
from campaign_engine.messages.emails import MessageTemplates
from campaign_engine.security.tokens import Tokens
from campaign_engine.settings import Settings
from campaign_engine.web.rate_limits import RateLimiter


@dataclass(frozen=True)
class Services:
    settings: Settings
    pool: Pool
    queue: JobQueue
    limiter: RateLimiter
    tokens: Tokens
    templates: Jinja2Templates
    catalogues: Catalogues
    clock: Clock
    signatures: SignatureBatches  # where this process's signatures are gathered and written
    dashboards: Held  # the dashboards that took long to count, held a while

    @functools.cached_property
    def messages(self) -> MessageTemplates:
        """Messages' words, as the worker writes them (a mailto link's letter, say)."""
        return MessageTemplates(self.templates.env, self.catalogues)

    @functools.cached_property
    def yes_words(self) -> frozenset[str]:
        """Every language's YES, as a member may text it (domain/network/texts.py)."""
        return yes_words(self.catalogues)

    @property
    def client_limits(self) -> ClientLimits:
        return ClientLimits(
            self.settings.client_burst_per_action, self.settings.client_hourly_per_action
        )


def services(request: Request) -> Services:
    found: Services = request.state.services
    return found


def client_address(request: Request) -> str | None:
    """The client's address: from X-Forwarded-For when a trusted proxy sent the request."""
    return request.client.host if request.client else None
