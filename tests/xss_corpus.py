"""A stored-XSS corpus: attack vectors, each placed in the contexts a campaign text may land in
(element content, a quoted attribute, a title, a textarea, a script, a comment, a Markdown
link). Every vector calls `__xss(n)`, which the browser test defines before the page loads:
any call is a script that ran."""

from __future__ import annotations

# {n} is the payload's number; CALL runs it.
CALL = "__xss({n})"

VECTORS = [
    "<script>{call}</script>",
    "<script src=data:,{call}></script>",
    "<img src=x onerror={call}>",
    '<img src="x" onerror="{call}">',
    "<img/src/onerror={call}>",
    "<svg onload={call}>",
    "<svg><script>{call}</script></svg>",
    "<svg><animate onbegin={call} attributeName=x dur=1s>",
    "<body onload={call}>",
    "<iframe srcdoc='<script>parent.{call}</script>'></iframe>",
    "<iframe src=javascript:{call}></iframe>",
    "<object data=javascript:{call}></object>",
    "<embed src=javascript:{call}>",
    "<details open ontoggle={call}>",
    "<input autofocus onfocus={call}>",
    "<select autofocus onfocus={call}></select>",
    "<video><source onerror={call}></video>",
    "<audio src=x onerror={call}>",
    "<marquee onstart={call}>x</marquee>",
    '<div style="background:url(javascript:{call})">x</div>',
    "<a href=javascript:{call}>x</a>",
    '<a href="JaVaScRiPt:{call}">x</a>',
    '<a href="&#106;avascript:{call}">x</a>',
    "<form action=javascript:{call}><button>x</button></form>",
    "<math><mtext><table><mglyph><style><img src=x onerror={call}>",
    '<noscript><p title="</noscript><img src=x onerror={call}>">',
    "<template><script>{call}</script></template>",
    "<base href=javascript:{call}//>",
    "[click](javascript:{call})",
    "[click](JAVASCRIPT:{call})",
    "<javascript:{call}>",
    '![x](x" onerror="{call})',
    "[x]: javascript:{call}\n\n[x]",
    "`<img src=x onerror={call}>`",
    "```\n</code><img src=x onerror={call}>\n```",
    "{{{{ {call} }}}}",
    "{{% print({call}) %}}",
    "${{{call}}}",
    "<!--<img src=x onerror={call}>-->",
    "<![CDATA[<img src=x onerror={call}>]]>",
]

# Where the vector may land once the text is placed in a page.
CONTEXTS = [
    "{v}",
    "\"'>{v}",
    "</title>{v}",
    "</textarea>{v}",
    "</script>{v}",
    "--></style>{v}",
    '" onmouseover="{call}" x="{v}',
    "' autofocus onfocus='{call}' x='{v}",
    "<p>{v}</p>",
    "text before {v} text after",
    "# {v}",
    "> {v}",
    "- {v}",
    "**{v}**",
    "[{v}](https://example.org)",
]


def payloads() -> list[str]:
    """Every vector in every context: 600 payloads, numbered from 0."""
    found: list[str] = []
    for vector in VECTORS:
        for context in CONTEXTS:
            n = len(found)
            call = CALL.format(n=n)
            found.append(context.format(v=vector.format(call=call), call=call))
    return found
