"""Campaign text as HTML: written in Markdown, rendered, then cleaned.

Campaigners write an action's "What we ask", a case's story and the updates on its timeline
in Markdown: paragraphs, emphasis, lists, links, quotes, a heading or two. markdown-it-py
renders CommonMark with raw HTML turned off (typed tags come out as text) and without images
(a picture would load from anywhere: our pages load nothing from another origin). nh3 (Ammonia)
then keeps only the tags and attributes below, and links only to the web or to an address,
whatever the renderer let through: the sanitiser is the last word, not the renderer
(ASVS 1.3.1, 1.3.5).

Letters to officials stay plain text: they are read in mail programs we do not know.
"""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

_RENDERER = MarkdownIt("commonmark", {"html": False}).disable("image")

ALLOWED_TAGS = frozenset(
    {"p", "br", "strong", "em", "a", "ul", "ol", "li", "blockquote", "h2", "h3", "h4",
     "code", "pre", "hr"}
)  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": frozenset({"href", "title"})}
ALLOWED_SCHEMES = frozenset({"http", "https", "mailto"})


def clean_html(html: str) -> str:
    """Only the tags, attributes and link schemes above; everything else is dropped (a
    script's or a style's content with it)."""
    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(ALLOWED_SCHEMES),
        link_rel="noopener noreferrer nofollow",
    )


def markdown(text: str) -> Markup:
    """A campaign text as safe HTML, for a template to place as it is. Headings start at
    <h2>: the page's title is its one <h1>."""
    tokens = _RENDERER.parse(text)
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = f"h{min(int(token.tag[1]) + 1, 4)}"
    html = _RENDERER.renderer.render(tokens, _RENDERER.options, {})
    # Safe to mark safe: nh3 cleaned it on this very line.
    return Markup(clean_html(html))  # noqa: S704  # nosec B704
