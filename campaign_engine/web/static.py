"""Static files with their content's hash in their address: `/static/site.css?v=3f2a…`.

A page links to a file by `{{ static_url("site.css") }}`, which carries the hash of the file as
it is now; an answer to an address with the current hash may be kept by any cache for a year
(`immutable`: a browser does not even ask again), because a changed file has a new address.
An address without it, or with an old one (a page cached before a release), is still
answered, but kept only briefly.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path
from urllib.parse import parse_qs

from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

FOREVER = "public, max-age=31536000, immutable"
BRIEFLY = "public, max-age=300"


@lru_cache(maxsize=8)
def versions(directory: Path) -> dict[str, str]:
    """Each file's name and the first hex digits of its content's hash, read once."""
    return {
        path.name: hashlib.blake2b(path.read_bytes(), digest_size=6).hexdigest()
        for path in sorted(directory.iterdir())
        if path.is_file()
    }


class HashedStaticFiles(StaticFiles):
    def __init__(self, directory: Path) -> None:
        super().__init__(directory=directory)
        self.versions = versions(directory)

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        asked = parse_qs(scope["query_string"].decode("latin-1")).get("v", [])
        current = asked == [self.versions.get(path)]
        if response.status_code in (200, 304):
            response.headers["Cache-Control"] = FOREVER if current else BRIEFLY
        return response


def static_url(directory: Path, name: str) -> str:
    """The address of static file `name`, with its version."""
    version = versions(directory).get(name)
    if version is None:
        raise ValueError(f"no static file named {name!r}")
    return f"/static/{name}?v={version}"
