"""The links we send out (links.SENT) lead where the router says they do: a route renamed or
moved without its sent link fails here, not in a supporter's inbox months later."""

from __future__ import annotations

import string
from dataclasses import replace

import pytest
from starlette.routing import Route, Router

from campaign_engine.links import SENT, absolute_url
from campaign_engine.settings import Settings
from campaign_engine.web.routes import every_route, routes

SAMPLES = {"locale": "ar", "slug": "free-nasrin", "token": "AbC-12_x.y"}


@pytest.mark.parametrize("name", sorted(SENT))
def test_each_sent_link_is_the_path_of_its_route(settings: Settings, name: str) -> None:
    fields = {field for _, field, _, _ in string.Formatter().parse(SENT[name]) if field}
    params = {field: SAMPLES[field] for field in fields}
    router = Router(routes=routes(settings))
    assert absolute_url("", name, **params) == router.url_path_for(name, **params)


def test_sent_links_lead_to_pages_a_browser_opens_or_to_a_callback(settings: Settings) -> None:
    methods = {
        route.name: route.methods
        for _path, route in every_route(routes(replace(settings, environment="development")))
        if isinstance(route, Route)
    }
    for name in SENT:
        expected = {"POST"} if name.startswith("webhooks.") else {"GET", "HEAD"}
        assert methods[name] == expected, name


def test_a_sent_link_escapes_what_it_carries() -> None:
    url = absolute_url("https://ua.example", "pages.confirm", token="a/b?c")
    assert url == "https://ua.example/confirm/a%2Fb%3Fc"
    with pytest.raises(TypeError):
        absolute_url("https://ua.example", "webhooks.twilio_status", query="d=1")
