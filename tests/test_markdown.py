"""Markdown and math to HTML for the writeup (vae_keras/writeup/markdown.py): MathML, code and prices left alone."""

import re

from vae_keras.writeup import markdown


def _formulas(page):
    return re.findall(r'<math [^>]*display="(inline|block)"[^>]*>(.*?)</math>', page, re.DOTALL)


def test_inline_and_display_math_become_mathml():
    page = markdown.markdown_to_html("A weight $\\beta$ and a sum:\n\n$$\n\\sum_i x_i\n$$\n\nthen $$y^2$$ in a line.")
    assert [display for display, _ in _formulas(page)] == ["inline", "block", "block"]
    assert "<mi>&#x003B2;</mi>" in page  # \beta, converted, not left for MathJax
    assert "$" not in page and "<script" not in page
    # The display on its own lines is a block of its own, not wrapped in a paragraph.
    assert re.search(r"</p>\n<math [^>]*display=\"block\"", page)


def test_markdown_inside_math_is_not_emphasis():
    page = markdown.markdown_to_html("$a_i * b_i$ and $c_i * d_i$")
    assert len(_formulas(page)) == 2 and "<em>" not in page
    assert page.count("<msub>") == 4


def test_escaped_dollars_code_and_prices_stay_text():
    page = markdown.markdown_to_html("Cost \\$3 and $x^2$, `$y$`, $$z$$\n```\n$w$\n```\n")
    assert len(_formulas(page)) == 2
    assert "Cost $3 and" in page  # the escape is consumed: a dollar sign
    assert "<code>$y$</code>" in page  # a code span with dollar signs
    assert "<pre><code>$w$\n</code></pre>" in page  # a fenced block
    assert "<math" not in markdown.markdown_to_html("from $5 to $6")  # prices are not math
    assert "<math" not in markdown.markdown_to_html("between $ 5 and 6 $")


def test_a_table_with_math_in_a_cell():
    page = markdown.markdown_to_html("| model | bits/dim |\n|---|---:|\n| fitted $\\sigma$ | 2.5 |\n")
    assert "<table>" in page and "<th>model</th>" in page and '<th style="text-align:right">bits/dim</th>' in page
    cell = re.search(r"<td>fitted (.*?)</td>", page, re.DOTALL).group(1)
    assert _formulas(cell) == [("inline", "<mrow><mi>&#x003C3;</mi></mrow>")]


def test_headings_get_nbconvert_ids_without_the_math():
    page = markdown.markdown_to_html("## 5. Why a fixed $\\sigma$ is a weight\n\n### Jump")
    assert '<h2 id="5.-Why-a-fixed--is-a-weight">5. Why a fixed <math' in page
    assert '<h3 id="Jump">Jump</h3>' in page


def test_raw_html_passes_and_unreadable_tex_is_shown_as_code():
    assert "<details><summary>More</summary>" in markdown.markdown_to_html("<details><summary>More</summary>\n")
    assert markdown.markdown_to_html("a $x^$ b") == "<p>a <code>x^</code> b</p>\n"


def test_inline_html_escapes_text_and_renders_only_math():
    shown = markdown.inline_html("K&W's <b> $z=3$ model, *not* emphasis, \\$5")
    assert shown.startswith("K&amp;W's &lt;b&gt; <math ") and shown.endswith("</math> model, *not* emphasis, $5")
    assert "<p>" not in shown
