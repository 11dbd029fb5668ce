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
from markdown_it.token import Token
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


def plain_paragraphs(text: str) -> list[str]:
    """A campaign text as plain paragraphs, for paper (a case sheet): emphasis dropped, a
    list item bulleted, a link followed by its address in brackets."""
    paragraphs: list[str] = []
    in_item = False
    for token in _RENDERER.parse(text):
        if token.type == "list_item_open":
            in_item = True
        elif token.type == "list_item_close":
            in_item = False
        elif token.type == "inline":
            words = _inline_text(token.children or [])
            paragraphs.append(f"• {words}" if in_item else words)
    return [paragraph for paragraph in paragraphs if paragraph]


def _inline_text(children: list[Token]) -> str:
    said: list[str] = []
    href = ""
    for child in children:
        if child.type in ("text", "code_inline"):
            said.append(child.content)
        elif child.type == "softbreak":
            said.append(" ")
        elif child.type == "hardbreak":
            said.append("\n")
        elif child.type == "link_open":
            href = str(child.attrs.get("href", ""))
        elif child.type == "link_close" and href and said[-1:] != [href]:
            said.append(f" ({href})")
    return "".join(said).strip()
