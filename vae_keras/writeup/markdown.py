"""Markdown and ``$...$`` math to HTML for the writeup: markdown-it-py, with math as MathML (no JavaScript).

Notebook prose is CommonMark with GitHub's tables and strikethrough (what nbconvert reads), raw HTML
allowed, and math written between dollars (mdit-py-plugins' dollarmath): ``$x$`` inline, ``$$x$$`` on
its own lines or inside a paragraph for a display. latex2mathml turns the TeX into MathML, which every
browser renders offline. Code spans, fenced code and escaped dollars (``\\$5``) stay text, and so do
prices: ``$`` followed by a space or preceded by a digit opens no formula.
"""

import functools
import html
from urllib.parse import quote

from markdown_it import MarkdownIt
from mdit_py_plugins.anchors import anchors_plugin
from mdit_py_plugins.deflist import deflist_plugin
from mdit_py_plugins.dollarmath import dollarmath_plugin
from mdit_py_plugins.tasklists import tasklists_plugin

_MATH_TOKENS = {"math_inline": False, "math_inline_double": True, "math_block": True, "math_block_label": True}


def latex_to_mathml(latex, display=False):
    """MathML of a LaTeX formula (``display``: a block), or the escaped TeX in ``<code>`` if it cannot be read."""
    from latex2mathml.converter import convert

    try:
        return convert(latex.strip(), display="block" if display else "inline")
    except Exception:  # latex2mathml raises many kinds for unsupported input; show the TeX instead.
        return f"<code>{html.escape(latex.strip())}</code>"


def heading_id(title):
    """A heading's ``id`` as nbconvert makes it (spaces to ``-``, URL-quoted), so links to older pages still work."""
    return quote(title.strip().replace(" ", "-"), safe="?/:@!$&'()*+,;=")


def _math_rule(display, block):
    def render(renderer, tokens, index, options, env):
        mathml = latex_to_mathml(tokens[index].content, display)
        return mathml + "\n" if block else mathml

    return render


def _with_math(parser):
    """``parser`` reading dollar math, each formula rendered as MathML."""
    parser.use(dollarmath_plugin, allow_space=False, allow_digits=False, double_inline=True, allow_labels=False)
    for token, display in _MATH_TOKENS.items():
        parser.add_render_rule(token, _math_rule(display, block=token.startswith("math_block")))
    return parser


@functools.cache
def _page_parser():
    parser = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
    parser.use(deflist_plugin).use(tasklists_plugin).use(anchors_plugin, max_level=6, slug_func=heading_id)
    return _with_math(parser)


@functools.cache
def _text_parser():
    return _with_math(MarkdownIt("zero").enable("escape"))


def markdown_to_html(text):
    """The HTML of markdown ``text`` (a notebook's markdown cell or output), its math as MathML.

    Headings get nbconvert's ids; raw HTML passes through, as in Jupyter.
    """
    return _page_parser().render(text)


def inline_html(text):
    """Plain ``text`` (a title, a claim) as escaped HTML with its ``$...$`` as MathML; no other markup."""
    return _text_parser().renderInline(text)
