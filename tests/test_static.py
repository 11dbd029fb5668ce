"""Static files carry their content's hash in the address pages give them, and are kept a
year under it; under any other address they are kept briefly, so a release shows at once."""

from __future__ import annotations

import hashlib
import re

import httpx

from campaign_engine.db.pool import Pool
from campaign_engine.settings import Settings
from tests.factories import make_action


async def test_pages_link_static_files_by_version_kept_for_a_year(
    client: httpx.AsyncClient, pool: Pool, settings: Settings
) -> None:
    slug = await make_action(pool)
    page = (await client.get(f"/ar/actions/{slug}")).text
    found = re.search(r'href="(/static/site\.css\?v=([0-9a-f]+))"', page)
    assert found is not None, "the stylesheet's address carries its version"
    content = (settings.static_dir / "site.css").read_bytes()
    assert found.group(2) == hashlib.blake2b(content, digest_size=6).hexdigest()

    current = await client.get(found.group(1))
    assert current.status_code == 200
    assert current.content == content
    assert current.headers["cache-control"] == "public, max-age=31536000, immutable"
    for other in ("/static/site.css", "/static/site.css?v=0123456789ab"):
        answer = await client.get(other)
        assert answer.status_code == 200
        assert answer.headers["cache-control"] == "public, max-age=300", other
