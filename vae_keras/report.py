"""The blog-style HTML writeup of a study run: an index page plus one page per executed notebook.

The index opens with what the project is and the claims ledger (every claim of
the four write-ups with this run's verdict), then one headline figure per study
and the list of notebooks. A notebook page reads like a keras.io example: prose,
tables and figures; code hidden; no stderr (the progress the terminal showed),
no prompts, math as MathML (no JavaScript, no CDN). ``page_problems`` finds what
must never reach a page: epoch logs, absolute paths, tracebacks.
"""

import html
import json
import re
import shutil
from pathlib import Path

from vae_keras import io_utils
from vae_keras.writeup.vocabulary import VERDICT_COLOURS

#: Profiles whose budgets are too small for most claims to be decided.
TINY_PROFILES = ("smoke", "quick", "demo")


INTRODUCTION = (
    "This project builds variational autoencoders in Keras 3 and puts four write-ups to the test: "
    "a VAE on SVHN (fixed or fitted variance, PCA, the training recipe); latent sizes, decoders and encoders "
    "on MNIST and SVHN; a VAE from scratch in NumPy; and Kingma &amp; Welling's MNIST results as re-run in "
    "&ldquo;A Musing Upon Variational Autoencoders&rdquo;. Each study is a notebook, executed end to end by "
    "<code>vae-keras run</code>; every verdict below is computed from this run's numbers, so a run on other "
    "data or another budget stays truthful."
)

#: Shared by the index and the notebook pages: banners, badges, figures, math.
COMMON_STYLE = """
.banner { background: #f6f8fa; border: 1px solid #d0d7de; border-radius: 6px; padding: 0.6rem 0.9rem;
          margin: 1rem 0; font-size: 0.92rem; line-height: 1.5; }
.banner .warn { display: block; margin-top: 0.3rem; color: #9a6700; }
.failed-banner { background: #ffebe9; border: 1px solid #cf222e; border-radius: 6px; padding: 0.7rem 0.9rem;
                 margin: 1rem 0; }
.pager { display: flex; justify-content: space-between; gap: 1rem; font-size: 0.92rem;
         border-bottom: 1px solid #d0d7de; padding-bottom: 0.5rem; margin-bottom: 0.5rem; }
.badge { display: inline-block; color: white; border-radius: 3px; padding: 0 0.45rem; font-size: 0.82rem;
         font-weight: 600; white-space: nowrap; }
img { max-width: 100%; height: auto; }
figure { margin: 1.5rem 0; } figcaption { color: #57606a; font-size: 0.92rem; margin-top: 0.3rem; }
math[display="block"] { margin: 0.8rem 0; overflow-x: auto; }
.table-wrap { overflow-x: auto; }
"""

#: The index page.
INDEX_STYLE = """
body { font-family: -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif; font-size: 16px;
       max-width: 960px; margin: 2rem auto; padding: 0 1.2rem; color: #1d1d1f; line-height: 1.6; }
h1 { font-size: 2rem; line-height: 1.25; margin: 0.4rem 0 0.6rem; }
h2 { font-size: 1.45rem; margin-top: 2.2rem; border-bottom: 1px solid #d0d7de; padding-bottom: 0.2rem; }
a { color: #0969da; text-decoration: none; } a:hover { text-decoration: underline; }
code { font-size: 0.88em; background: #f6f8fa; padding: 0.1em 0.3em; border-radius: 3px; }
table { border-collapse: collapse; margin: 1rem 0; font-size: 0.9rem; width: 100%; }
th, td { border-bottom: 1px solid #d0d7de; padding: 0.4rem 0.6rem; text-align: left; vertical-align: top; }
th { background: #f6f8fa; font-weight: 600; }
.counts span.count { margin-right: 1.1rem; white-space: nowrap; }
.completed { color: #1a7f37; font-weight: 600; } .failed { color: #cf222e; font-weight: 600; }
.running, .queued, .not-finished { color: #9a6700; font-weight: 600; }
.skipped, .not-run { color: #57606a; font-weight: 600; }
.note { color: #57606a; font-size: 0.88rem; }
.figures { display: grid; grid-template-columns: repeat(auto-fill, minmax(280px, 1fr)); gap: 1.2rem; }
.figures figure { margin: 0; }
"""

#: Notebook pages: nbconvert's lab styles in a reading column, without prompts.
PAGE_STYLE = """
body.jp-Notebook { max-width: 960px; margin: 1.5rem auto; padding: 0 1.2rem; }
.pager, .banner, .failed-banner { font-family: var(--jp-ui-font-family, -apple-system, 'Segoe UI', Helvetica, Arial,
                                  sans-serif); }
.pager a { color: #0969da; text-decoration: none; } .pager a:hover { text-decoration: underline; }
body.jp-Notebook main { padding: 0; }
.jp-Cell { padding: 0; }
.jp-InputPrompt, .jp-OutputPrompt, .jp-Collapser { display: none; }
.jp-OutputArea-output { overflow-x: auto; }
.jp-RenderedHTMLCommon { font-size: 16px; line-height: 1.6; padding-right: 0; }
.jp-RenderedHTMLCommon table { font-size: 0.9rem; margin: 1rem 0; }
.jp-RenderedHTMLCommon td, .jp-RenderedHTMLCommon th { padding: 0.3rem 0.65rem; }
.jp-RenderedImage img, .jp-OutputArea-output img { max-width: 100%; height: auto; }
"""

#: nbconvert's lab template without its CDN scripts (MathJax, require.js, mermaid), plus our header and CSS.
PAGE_TEMPLATE = """{%- extends 'index.html.j2' -%}
{%- block html_head_js_requirejs -%}{%- endblock html_head_js_requirejs -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block html_head_css -%}<style>{{ resources.vae_keras_style }}</style>{%- endblock html_head_css -%}
{%- block body_header -%}
{{ super() }}
{{ resources.vae_keras_header }}
{%- endblock body_header -%}
"""


def notebook_title(path):
    """The first markdown heading of a notebook, or its file name."""
    try:
        notebook = json.loads(Path(path).read_text())
    except (OSError, json.JSONDecodeError):
        return Path(path).stem
    for cell in notebook.get("cells", []):
        if cell.get("cell_type") == "markdown":
            for line in "".join(cell.get("source", "")).splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return Path(path).stem


# --------------------------------------------------------------------------
# Math: $...$ and $$...$$ to MathML
# --------------------------------------------------------------------------

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_CODE_SPAN = re.compile(r"(?<!`)(`+)(?!`)(.+?)(?<!`)\1(?!`)", re.DOTALL)
_DISPLAY_MATH = re.compile(r"(?<!\\)\$\$(.+?)(?<!\\)\$\$", re.DOTALL)
_INLINE_MATH = re.compile(r"(?<![\\$])\$(?![\s$])((?:\\.|[^$\\\n]|\n(?!\s*\n))+?)(?<![\s\\])\$(?!\$)")


def latex_to_mathml(latex, display=False):
    """MathML of a LaTeX formula (``display``: a block), or the escaped TeX in ``<code>`` if it cannot be read."""
    from latex2mathml.converter import convert

    try:
        return convert(latex.strip(), display="block" if display else "inline")
    except Exception:  # latex2mathml raises many kinds for unsupported input; show the TeX instead.
        return f"<code>{html.escape(latex.strip())}</code>"


def _code_segments(text):
    """Splits markdown into ``(is_code, text)`` pieces: fenced blocks and inline code spans are code."""
    pieces, prose, lines = [], [], text.splitlines(keepends=True)
    index = 0
    while index < len(lines):
        opening = _FENCE.match(lines[index])
        if not opening:
            prose.append(lines[index])
            index += 1
            continue
        fence = opening.group(1)
        end = index + 1
        while end < len(lines) and not re.match(rf"^ {{0,3}}{re.escape(fence[0])}{{{len(fence)},}}\s*$", lines[end]):
            end += 1
        pieces.append((False, "".join(prose)))
        pieces.append((True, "".join(lines[index : end + 1])))
        prose, index = [], end + 1
    pieces.append((False, "".join(prose)))
    out = []
    for is_code, piece in pieces:
        if is_code:
            out.append((True, piece))
            continue
        position = 0
        for match in _CODE_SPAN.finditer(piece):
            out.append((False, piece[position : match.start()]))
            out.append((True, match.group(0)))
            position = match.end()
        out.append((False, piece[position:]))
    return [(is_code, piece) for is_code, piece in out if piece]


def replace_math(text, replace):
    """Calls ``replace(latex, display)`` for each ``$$...$$`` and ``$...$`` of markdown ``text``.

    Code spans, fenced code blocks and escaped dollars (``\\$``) are left alone.

    Returns:
        The text with each formula replaced by what ``replace`` returned.
    """
    pieces = []
    for is_code, piece in _code_segments(text):
        if not is_code:
            piece = _DISPLAY_MATH.sub(lambda m: replace(m.group(1), True), piece)
            piece = _INLINE_MATH.sub(lambda m: replace(m.group(1), False), piece)
        pieces.append(piece)
    return "".join(pieces)


def math_to_mathml(text):
    """Markdown ``text`` with its ``$...$`` and ``$$...$$`` as inline MathML (see ``replace_math``)."""
    return replace_math(text, latex_to_mathml)


class _MathPlaceholders:
    """Swaps formulas for plain-word placeholders before markdown rendering, and MathML in after.

    The markdown renderer would otherwise read ``*`` and ``_`` inside MathML as emphasis, or keep
    ``$...$`` for MathJax.
    """

    def __init__(self):
        self.formulas = []

    def __call__(self, latex, display):
        self.formulas.append(latex_to_mathml(latex, display))
        return f"vaekerasmath{len(self.formulas) - 1}x"

    def restore(self, page):
        # A heading's anchor id is made from its text: drop placeholders inside tags.
        page = re.sub(r"<[^<>]*vaekerasmath\d+x[^<>]*>", lambda m: re.sub(r"vaekerasmath\d+x", "", m.group(0)), page)
        return re.sub(r"vaekerasmath(\d+)x", lambda m: self.formulas[int(m.group(1))], page)


# --------------------------------------------------------------------------
# What must never reach a page
# --------------------------------------------------------------------------

_PAGE_PROBLEMS = (
    ("Keras epoch log", re.compile(r"\bEpoch \d+/\d+|━{3,}|\bstep - \w+: -?[\d.]|\d+(?:us|ms|s)/step\b")),
    (
        "absolute path",
        re.compile(
            r"(?<![\w/.+=~-])/(?:work|tmp|home|root|Users|mnt|opt|var|private|scratch|usr|srv)/"
            r"|(?<![\w\\])[A-Za-z]:\\\\?[\w.$-]"
        ),
    ),
    ("Python traceback", re.compile(r"Traceback \(most recent call last\)")),
)
_DATA_URI = re.compile(r"data:[\w/+.-]+;base64,[A-Za-z0-9+/=\s]+")


def page_problems(html_text):
    """What must never appear on a report page: epoch logs, absolute paths, tracebacks.

    Args:
        html_text: a page's HTML.

    Returns:
        One line per kind of problem found, with the first offending text; ``[]`` for a clean page.
        URLs (``https://host/home/...``), closing tags (``</div>``) and embedded images do not count.
    """
    text = _DATA_URI.sub("data:", html_text)
    problems = []
    for kind, pattern in _PAGE_PROBLEMS:
        match = pattern.search(text)
        if match:
            context = text[max(0, match.start() - 30) : match.end() + 30].replace("\n", " ")
            problems.append(f"{kind}: {match.group(0)!r} in ...{context}...")
    return problems


# --------------------------------------------------------------------------
# Notebook pages
# --------------------------------------------------------------------------

#: Keras progress lines, dropped from stdout if a notebook lets one through.
_KERAS_LOG_LINE = re.compile(r"^\s*(Epoch \d+/\d+\s*$|\d+/\d+ .*━|.*\bstep - \w+: )")


def _public(text, hidden_paths):
    """``text`` with the run folder and project paths made relative (``hidden_paths``: ``{path: shown}``)."""
    for path, shown in hidden_paths.items():
        text = text.replace(path + "/", shown).replace(path, shown.rstrip("/") or ".")
    return text


def _hidden_paths(out, dataset=None):
    from vae_keras import runner

    paths = {str(Path(out).resolve()): "", str(runner.PROJECT_ROOT): ""}
    if dataset and str(dataset).startswith("npz:"):
        # ``npz:/data/mnist/mnist.npz`` is shown as ``npz:mnist.npz``, as ``studies.dataset_label`` does.
        given = Path(str(dataset)[4:])
        for folder in {str(given.parent), str(given.resolve().parent)}:
            if folder.startswith("/") and folder != "/":  # an absolute folder, never the root
                paths[folder] = ""
    home = str(Path.home())
    if home not in ("/", ""):
        paths[home] = "~/"
    # Longest first, so the run folder wins over the project or home folder containing it.
    return dict(sorted(paths.items(), key=lambda item: -len(item[0])))


def prepare_notebook(notebook, hidden_paths=None):
    """Readies an executed notebook for the page (in place): no stderr, no epoch logs, short errors, MathML.

    Removes stderr streams, Keras progress lines in stdout, papermill's error marker cell and
    tracebacks (the error's name and message stay), makes known absolute paths relative, and
    swaps every formula in markdown cells and markdown outputs for a placeholder.

    Returns:
        A ``_MathPlaceholders`` whose ``restore(page)`` puts the MathML in the exported page.
    """
    hidden_paths = hidden_paths or {}
    placeholders = _MathPlaceholders()
    notebook.cells = [c for c in notebook.cells if "papermill-error-cell-tag" not in c.metadata.get("tags", [])]
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            cell.source = replace_math(cell.source, placeholders)
            continue
        if cell.cell_type != "code":
            continue
        outputs = []
        for output in cell.get("outputs", []):
            kind = output.get("output_type")
            if kind == "stream":
                if output.get("name") == "stderr":
                    continue
                lines = [line for line in output.text.splitlines(keepends=True) if not _KERAS_LOG_LINE.match(line)]
                output.text = _public("".join(lines), hidden_paths)
                if not output.text.strip():
                    continue
            elif kind == "error":
                output.traceback = [
                    _public(f"{output.get('ename', 'Error')}: {output.get('evalue', '')}", hidden_paths)
                ]
            elif kind in ("display_data", "execute_result"):
                data = output.get("data", {})
                for mime in ("text/plain", "text/html", "text/markdown"):
                    if isinstance(data.get(mime), str):
                        data[mime] = _public(data[mime], hidden_paths)
                if isinstance(data.get("text/markdown"), str):
                    data["text/markdown"] = replace_math(data["text/markdown"], placeholders)
                _describe_image(output)
            outputs.append(output)
        cell.outputs = outputs
    return placeholders


def _describe_image(output):
    """A PNG output whose metadata has ``alt`` (``Page.show`` sets it) becomes an <img> with that alt text.

    nbconvert's lab template writes no alt text of its own, only a placeholder.
    """
    data = output.get("data", {})
    alt = output.get("metadata", {}).get("image/png", {}).get("alt")
    if not alt or not isinstance(data.get("image/png"), str):
        return
    png = data.pop("image/png").replace("\n", "")
    data["text/html"] = f'<img src="data:image/png;base64,{png}" alt="{html.escape(alt)}">'


def _exporter():
    import jinja2
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import TagRemovePreprocessor

    exporter = HTMLExporter(
        template_name="lab",
        template_file="vae_keras_page.html.j2",
        extra_loaders=[jinja2.DictLoader({"vae_keras_page.html.j2": PAGE_TEMPLATE})],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )
    exporter.register_preprocessor(
        TagRemovePreprocessor(
            remove_cell_tags={"remove-cell"},
            remove_all_outputs_tags={"remove-output"},
            remove_input_tags={"remove-input", "hide-input"},
            enabled=True,
        ),
        enabled=True,
    )
    return exporter


def _banner_html(banner):
    """``dataset · profile · budget`` of a notebook's (or the run's) banner dict."""
    parts = []
    for key in ("dataset", "profile", "budget"):
        if banner.get(key) not in (None, ""):
            value = _shown_dataset(banner[key]) if key == "dataset" else str(banner[key])
            parts.append(f"{key.capitalize()} <strong>{html.escape(value)}</strong>")
    return f'<div class="banner">{" &middot; ".join(parts)}</div>' if parts else ""


def _shown_dataset(dataset):
    """A dataset name for a page: ``npz:/abs/path/file.npz`` -> ``npz:file.npz``."""
    dataset = "" if dataset is None else str(dataset)
    return "npz:" + Path(dataset[4:]).name if dataset.startswith("npz:") else dataset


def pager(previous=None, following=None):
    """A page's navigation: its neighbours, ``(href, title)`` or ``None``, around the link to the index."""

    def link(neighbour, arrow, before):
        if not neighbour:
            return "<span></span>"
        text = f"{arrow} {html.escape(neighbour[1])}" if before else f"{html.escape(neighbour[1])} {arrow}"
        return f'<a href="{html.escape(neighbour[0])}">{text}</a>'

    return (
        '<nav class="pager">'
        f'{link(previous, "&larr;", True)}<a href="index.html">All studies and claims</a>'
        f"{link(following, '&rarr;', False)}</nav>"
    )


_PAGER = re.compile(r'<nav class="pager">.*?</nav>', re.S)


def relink(page_html, previous=None, following=None):
    """``page_html`` with its navigation pointing at new neighbours (pages published from different runs)."""
    if not _PAGER.search(page_html):
        raise ValueError(
            "`page_html` must be a page written by `render_notebook`. Received: a page without its navigation"
        )
    return _PAGER.sub(lambda _: pager(previous, following), page_html, count=1)


def neighbours(pages, titles):
    """``{name: (previous, following)}`` for ``pages`` (``{name: href}``) in order, as ``pager`` takes them."""
    order = list(pages)
    return {
        name: tuple((pages[order[i]], titles[order[i]]) if 0 <= i < len(order) else None for i in (at - 1, at + 1))
        for at, name in enumerate(order)
    }


def render_notebook(
    notebook_path,
    html_path,
    failed_message=None,
    title=None,
    banner=None,
    previous=None,
    following=None,
    hidden_paths=None,
):
    """Renders an executed notebook to a standalone HTML page (images embedded, no scripts).

    Args:
        notebook_path: the executed ``.ipynb``.
        html_path: where to write the page.
        failed_message: if the notebook failed, the message shown in a red banner.
        title: the page title (default: the notebook's first heading).
        banner: ``{"dataset", "profile", "budget"}`` shown under the navigation.
        previous, following: ``(href, title)`` of the neighbouring pages, or ``None``.
        hidden_paths: ``{absolute path: replacement}`` to make relative in outputs.

    Returns:
        ``html_path``.
    """
    import nbformat

    notebook = nbformat.read(str(notebook_path), as_version=4)
    placeholders = prepare_notebook(notebook, hidden_paths)
    title = title or notebook_title(notebook_path)

    header = pager(previous, following) + _banner_html(banner or {})
    if failed_message:
        header += (
            '<div class="failed-banner"><strong>This notebook failed:</strong> '
            f"{html.escape(_public(failed_message, hidden_paths or {}).rstrip('.'))}. "
            "Its outputs stop at the failing cell; its numbers are not part of the results.</div>"
        )
    resources = {
        "metadata": {"name": title},
        "vae_keras_header": header,
        "vae_keras_style": COMMON_STYLE + PAGE_STYLE,
    }
    body, _ = _exporter().from_notebook_node(notebook, resources=resources)
    io_utils.atomic_write_text(html_path, placeholders.restore(body))
    return html_path


# --------------------------------------------------------------------------
# The index
# --------------------------------------------------------------------------


def _inline(text):
    """Escaped text with its ``$...$`` as MathML."""
    return replace_math(html.escape(text, quote=False), latex_to_mathml)


def _badge(verdict):
    colour = VERDICT_COLOURS.get(verdict, "#57606a")
    return f'<span class="badge" style="background:{colour}">{html.escape(verdict)}</span>'


def _ledger(claims, notebooks, pages, titles):
    """The claims ledger: the counts on the claims' own data, those counted apart, then one row per claim.

    Our own questions follow in a table of their own, never counted with the write-ups' claims.
    """
    from vae_keras.writeup.claims import OURS, count, display, shown_verdict

    if not claims:
        return "<p>No claims were recorded by this run.</p>"
    counts = count(claims, notebooks)
    decided = "".join(f'<span class="count">{_badge(v)} {counts[v]}</span>' for v in display.DECIDED)
    apart = "".join(f'<span class="count">{_badge(v)} {counts[v]}</span>' for v in display.APART)
    summary = f"<strong>On the claims' own data:</strong> {decided}"
    summary += f"<br><strong>Counted apart</strong> (other data, not decidable here, not run): {apart}"

    def table(entries):
        rows = []
        for entry in entries:
            notebook = entry.get("notebook", "")
            shown = _inline(titles.get(notebook, notebook))
            cell = f'<a href="{html.escape(pages[notebook])}">{shown}</a>' if notebook in pages else shown
            quote = entry.get("quote")
            said = f"&ldquo;{html.escape(quote)}&rdquo;<br>" if quote else ""
            claim_id = html.escape(str(entry.get("id", "")))
            rows.append(
                f'<tr id="claim-{claim_id}"><td>{_badge(shown_verdict(entry, notebooks))}</td>'
                f"<td>{said}<em>{_inline(str(entry.get('statement', '')))}</em></td>"
                f"<td>{html.escape(str(entry.get('source_title', '')))}<br>"
                f"about {html.escape(str(entry.get('about', '')).upper())}"
                f"</td><td>{cell}</td><td>{html.escape(str(entry.get('reason', '')))}</td></tr>"
            )
        return (
            '<div class="table-wrap"><table><thead><tr><th>Verdict</th><th>Claim</th><th>Source</th><th>Notebook</th>'
            f"<th>Why</th></tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
        )

    ours = [entry for entry in claims if entry.get("kind") == OURS]
    theirs = [entry for entry in claims if entry.get("kind") != OURS]
    html_text = f'<p class="counts">{summary}</p>' + table(theirs)
    if ours:
        html_text += "<h3>Our own questions</h3><p>Not claims of the write-ups, and not counted above.</p>" + table(
            ours
        )
    return html_text


def _headline(results, pages):
    """The run's headline number (the binarised-MNIST benchmark) beside the published ones, or ``""``."""
    from vae_keras import runner

    top = results.get("headline") or {}
    nll = top.get("mnist_benchmark_nll")
    if nll is None:
        return ""
    epochs, k, images = (top.get(f"mnist_benchmark_{key}") for key in ("epochs", "k", "test_images"))
    evaluation = f"k={k:,} importance samples on {images:,} test images" if k and images else "its evaluation"
    published = "; ".join(
        f"{who}: {value:.2f}" + (f" ({budget} epochs)" if budget[:1].isdigit() else "")
        for who, value, budget in runner.BENCHMARK_REFERENCES
    )
    name = runner.BENCHMARK_NOTEBOOK
    more = f' <a href="{html.escape(pages[name])}">The benchmark page</a> has the protocol.' if name in pages else ""
    trained = f"after {epochs:,} epoch{'s' if epochs != 1 else ''}" if epochs else "after training"
    model = html.escape(top.get("mnist_benchmark_model") or "784-200-200-50")
    if top.get("mnist_benchmark_on_mnist") is False:  # other data: named, and no published number beside it
        data = html.escape(_shown_dataset(top.get("mnist_benchmark_data")))
        what = f"On dynamically binarised {data}, the VAE {model} of Burda et al.'s benchmark, trained as they did "
        published = "The published numbers were measured on other data, so none is set beside it."
    else:  # a run that predates mnist_benchmark_on_mnist was on MNIST
        what = f"On dynamically binarised MNIST, Burda et al.'s VAE {model}, trained as they did "
        published = f"Published: {html.escape(published)}."
    return (
        f"<h2>The headline number</h2><p>{what}"
        f"{'(their schedule, shortened: they trained 3,280 epochs) ' if epochs and epochs < 3280 else ''}"
        f"reaches a test negative log-likelihood of <strong>{nll:.2f} nats</strong> {trained} here "
        f"({evaluation}; lower is better). {published}{more}</p>"
    )


def notebook_titles(notebooks, out=None):
    """``{name: title}`` of the project's notebooks and of ``notebooks`` (``results.json`` entries).

    An entry's recorded title wins, then the executed notebook's first heading in ``out``, then the name.
    """
    from vae_keras import runner

    titles = {name: notebook_title(runner.NOTEBOOKS_DIR / f"{name}.ipynb") for name in runner.list_notebooks()}
    for name, entry in notebooks.items():
        executed = Path(out) / "notebooks" / f"{name}.ipynb" if out is not None else None
        titles[name] = entry.get("title") or (notebook_title(executed) if executed and executed.exists() else name)
    return titles


def build_report(out, profile=None):
    """Writes ``OUT/report/index.html``, one page per executed notebook, and the headline figures.

    Reads ``OUT/results.json`` (see ``runner.merge_results``); a skipped notebook gets no page (the
    index says why), a failed one a page with a red banner.

    Args:
        out: the run folder.
        profile: the profile's name, when ``results.json`` does not record it.

    Returns:
        The path of ``index.html``.
    """
    out = Path(out)
    report_dir = out / "report"
    shutil.rmtree(report_dir / "figures", ignore_errors=True)  # an earlier build's figures may be stale
    (report_dir / "figures").mkdir(parents=True, exist_ok=True)
    results = json.loads((out / "results.json").read_text()) if (out / "results.json").exists() else {}
    if "notebooks" not in results:  # an older results.json: {name: {"status", "metrics"}}
        results = {"run": {}, "notebooks": results, "claims": []}
    run = dict(results.get("run") or {})
    if profile and not run.get("profile"):
        run["profile"] = Path(str(profile)).stem
    notebooks = results["notebooks"]
    hidden = _hidden_paths(out, run.get("dataset"))
    titles, pages = notebook_titles(notebooks, out), {}
    for name, entry in notebooks.items():
        executed = out / "notebooks" / f"{name}.ipynb"
        if entry.get("status") not in ("skipped", "queued") and executed.exists():  # queued: an earlier run's
            pages[name] = f"{name}.html"
        else:
            (report_dir / f"{name}.html").unlink(missing_ok=True)  # a page of an earlier run would mislead
    around = neighbours(pages, titles)
    for name in pages:
        entry = notebooks[name]
        banner = dict(entry.get("banner") or {})
        banner.setdefault("dataset", run.get("dataset"))
        banner.setdefault("profile", run.get("profile"))
        render_notebook(
            out / "notebooks" / f"{name}.ipynb",
            report_dir / pages[name],
            failed_message=entry.get("error"),
            title=titles[name],
            banner=banner,
            previous=around[name][0],
            following=around[name][1],
            hidden_paths=hidden,
        )

    for entry in notebooks.values():
        figure = entry.get("headline_figure")
        source = out / "figures" / Path(figure).name if figure else None
        if entry.get("status") == "completed" and source is not None and source.is_file():
            shutil.copyfile(source, report_dir / "figures" / source.name)
    index = write_index(report_dir, {**results, "run": run}, titles, pages, hidden)
    if (out / "results.json").exists():  # the page links it as a neighbour, here and in docs/
        io_utils.atomic_write_bytes(report_dir / "results.json", (out / "results.json").read_bytes())
    return index


def write_index(report_dir, results, titles, pages, hidden=None):
    """Writes ``report_dir/index.html``: the headline, the claims ledger, headline figures and the notebooks.

    Args:
        report_dir: the folder of the pages; headline figures are taken from its ``figures/``.
        results: a ``results.json`` dict (``run``, ``headline``, ``notebooks``, ``claims``). A ``run``
            without ``command`` but with ``commands`` (a writeup published from several runs) points
            to ``README.md`` for them.
        titles: ``{notebook: title}`` of every notebook the index lists.
        pages: ``{notebook: href}`` of the notebooks that have a page.
        hidden: ``{absolute path: shown}`` for the notes (see ``_hidden_paths``).

    Returns:
        The path of ``index.html``.
    """
    report_dir, hidden = Path(report_dir), hidden or {}
    run, notebooks = results.get("run") or {}, results.get("notebooks") or {}
    figures = []
    for name, entry in notebooks.items():
        figure = entry.get("headline_figure")
        if entry.get("status") != "completed" or not figure:
            continue
        source = report_dir / "figures" / Path(figure).name
        if not source.is_file():
            continue
        image = f'<img src="figures/{html.escape(source.name)}" alt="{html.escape(titles[name])}">'
        if name in pages:
            image = f'<a href="{html.escape(pages[name])}">{image}</a>'
        figures.append(f"<figure>{image}<figcaption>{_inline(titles[name])}</figcaption></figure>")

    rows = []
    unselected = "in none of the published runs" if run.get("commands") else "not selected in this run"
    not_selected = {name: {"status": "not run", "reason": unselected} for name in titles}
    for name, entry in sorted({**not_selected, **notebooks}.items()):
        status = entry.get("status", "")
        shown = _inline(titles[name])
        title = f'<a href="{html.escape(pages[name])}">{shown}</a>' if name in pages else shown
        note = entry.get("reason") or entry.get("error") or ""
        rows.append(
            f"<tr><td>{html.escape(name.split('_', 1)[0])}</td><td>{title}</td>"
            f'<td class="{html.escape(status.replace(" ", "-"))}">{html.escape(status)}</td>'
            f'<td class="note">{html.escape(_public(note, hidden))}</td></tr>'
        )

    banner = []
    if run.get("dataset") is not None:
        banner.append(f"Dataset <strong>{html.escape(_shown_dataset(run['dataset']))}</strong>")
    else:
        banner.append("Dataset <strong>each notebook's default</strong>")
    if run.get("profile"):
        banner.append(f"profile <strong>{html.escape(run['profile'])}</strong>")
    if run.get("generated"):
        banner.append(f"generated {html.escape(run['generated'])}")
    if run.get("commit"):
        banner.append(f"commit <code>{html.escape(run['commit'])}</code>")
    banner_html = " &middot; ".join(banner)
    if run.get("command"):
        banner_html += f"<br>Reproduce: <code>{html.escape(_public(run['command'], hidden))}</code>"
    elif run.get("commands"):
        banner_html += (
            f"<br>Published from {len(run['commands'])} runs: "
            '<a href="README.md">README.md</a> gives the command and commit behind each notebook'
        )
    if run.get("profile") in TINY_PROFILES:
        banner_html += (
            f'<span class="warn">The <code>{html.escape(run["profile"])}</code> profile trains for minutes, not '
            "hours: most verdicts are expected to be &ldquo;inconclusive&rdquo;, each with its reason. The "
            "<code>full</code> profile (on a GPU) has the budgets that decide the claims.</span>"
        )

    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>Variational autoencoders in Keras 3: four write-ups put to the test</title>
<style>{COMMON_STYLE}{INDEX_STYLE}</style></head><body>
<h1>Variational autoencoders in Keras 3: four write-ups put to the test</h1>
<p>{INTRODUCTION}</p>
<div class="banner">{banner_html}</div>
{_headline(results, pages)}
<h2>The claims</h2>
<p>Each claim is quoted from its write-up, with our reading of it and the verdict this run's numbers give
it. On the data the claim is about: <em>reproduced</em> (the run agrees, beyond the seed-to-seed noise),
<em>refuted</em> (it points the other way), <em>differs</em> (neither, with the reason) or <em>inconclusive</em>
(the run cannot decide: too few seeds or runs, a measure at its threshold's edge, or a model that did not beat
the mean image). On other data a result is only <em>indicative</em> and is counted apart; so are claims
<em>not decidable here</em> and those whose notebook did <em>not run</em>. A verdict resting on one seed says so.</p>
{_ledger(results.get("claims") or [], results.get("notebooks") or {}, pages, titles)}
<h2>The studies at a glance</h2>
{f'<div class="figures">{"".join(figures)}</div>' if figures else "<p>No headline figures in this run.</p>"}
<h2>The notebooks</h2>
<table><thead><tr><th>#</th><th>Notebook</th><th>Status</th><th>Note</th></tr></thead>
<tbody>{"".join(rows)}</tbody></table>
<p class="note">Every number above is in <a href="results.json">results.json</a>, beside this page.</p>
</body></html>
"""
    index = report_dir / "index.html"
    io_utils.atomic_write_text(index, page)
    return index
