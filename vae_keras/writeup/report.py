"""The blog-style HTML writeup of a study run: an index page plus one page per executed notebook.

The index opens with what the project is and the claims ledger (every claim of
the four write-ups with this run's verdict), then one headline figure per study
and the list of notebooks. A notebook page reads like a keras.io example: prose,
tables and figures; code hidden; no stderr (the progress the terminal showed),
no prompts, math as MathML (no JavaScript, no CDN). ``page_problems`` finds what
must never reach a page: epoch logs, absolute paths, tracebacks.
"""

import functools
import html
import json
import re
import shutil
from importlib import resources
from pathlib import Path

from markupsafe import Markup

from vae_keras import io_utils
from vae_keras.writeup import catalogue, markdown, site
from vae_keras.writeup import results as results_lib
from vae_keras.writeup.catalogue import notebook_title  # noqa: F401 (report.notebook_title, as before)
from vae_keras.writeup.vocabulary import SMALL_PROFILES, VERDICT_COLOURS, shown_dataset

#: Profiles whose budgets are too small for most claims to be decided.
#: The package whose ``templates/`` (Jinja) and ``static/report.css`` make the pages' chrome and style.
ASSETS = "vae_keras.writeup"


@functools.cache
def _environment():
    """The Jinja environment of the index and the page chrome: templates shipped with the package, autoescaped."""
    import jinja2

    environment = jinja2.Environment(
        loader=jinja2.PackageLoader(ASSETS, "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    environment.globals["verdict_colours"] = VERDICT_COLOURS
    return environment


def _render(template, **context):
    return _environment().get_template(template).render(**context)


def _chrome():
    """The macros of ``chrome.html.j2``: ``pager``, ``facts``, ``notebook_header``, ``badge``."""
    return _environment().get_template("chrome.html.j2").module


@functools.cache
def stylesheet():
    """The writeup's CSS (``vae_keras/writeup/static/report.css``), inlined into every page so each stands alone."""
    return resources.files(ASSETS).joinpath("static", "report.css").read_text(encoding="utf-8")


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
    paths = {str(Path(out).resolve()): "", str(catalogue.PROJECT_ROOT): ""}
    if dataset and str(dataset).startswith("npz:"):
        # ``npz:/data/mnist/mnist.npz`` is shown as ``npz:mnist.npz``, as ``vocabulary.shown_dataset`` does.
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
    """Readies an executed notebook for the page (in place): no stderr, no epoch logs, short errors.

    Removes stderr streams, Keras progress lines in stdout, papermill's error marker cell and
    tracebacks (the error's name and message stay), and makes known absolute paths relative.
    Markdown (cells and outputs) is rendered later, with its math, by ``markdown.markdown_to_html``.

    Returns:
        ``notebook``.
    """
    hidden_paths = hidden_paths or {}
    notebook.cells = [c for c in notebook.cells if "papermill-error-cell-tag" not in c.metadata.get("tags", [])]
    for cell in notebook.cells:
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
                _describe_image(output)
            outputs.append(output)
        cell.outputs = outputs
    return notebook


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
        template_file="notebook_page.html.j2",
        extra_loaders=[jinja2.PackageLoader(ASSETS, "templates")],
        filters={"markdown2html": markdown.markdown_to_html},  # markdown-it-py and MathML, not mistune and MathJax
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


def _banner_facts(banner):
    """``[(label, value, how)]`` of a notebook's banner dict (``dataset``, ``profile``, ``budget``), for ``facts``."""
    return [
        (key.capitalize(), shown_dataset(banner[key]) if key == "dataset" else str(banner[key]), "strong")
        for key in ("dataset", "profile", "budget")
        if banner.get(key) not in (None, "")
    ]


def pager(previous=None, following=None):
    """A page's navigation: its neighbours, ``(href, title)`` or ``None``, around the link to the index."""
    return str(_chrome().pager(previous, following))


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
    prepare_notebook(notebook, hidden_paths)
    title = title or notebook_title(notebook_path)
    failed = _public(failed_message, hidden_paths or {}).rstrip(".") if failed_message else None
    header = _chrome().notebook_header(previous, following, _banner_facts(banner or {}), failed)
    chrome = {"metadata": {"name": title}, "vae_keras_header": str(header), "vae_keras_style": stylesheet()}
    body, _ = _exporter().from_notebook_node(notebook, resources=chrome)
    io_utils.atomic_write_text(html_path, body)
    return html_path


# --------------------------------------------------------------------------
# The index
# --------------------------------------------------------------------------


def _inline(text):
    """Escaped text with its ``$...$`` as MathML (``Markup``: the templates insert it as it is)."""
    return Markup(markdown.inline_html(str(text)))


def _ledger(claims, notebooks, pages, titles, earlier=False):
    """The claims ledger for the index: the counts on the claims' own data, those counted apart, one row per claim.

    Our own questions are listed apart (``ours``), never counted with the write-ups' claims. ``earlier``: the
    verdicts were decided by an earlier ledger (``site.earlier_ledger``): listed as published, never counted.

    Returns:
        ``{"decided", "apart", "theirs", "ours", "earlier"}``, or ``None`` when the run recorded no claims.
    """
    if not claims:
        return None
    from vae_keras.writeup.claims import OURS, count, display, shown_verdict

    counts = count(claims, notebooks)

    def row(entry):
        notebook = entry.get("notebook", "")
        return {
            "id": str(entry.get("id", "")),
            "verdict": shown_verdict(entry, notebooks),
            "quote": entry.get("quote"),
            "statement": _inline(entry.get("statement", "")),
            "source_title": str(entry.get("source_title", "")),
            "about": str(entry.get("about", "")).upper(),
            "notebook": _inline(titles.get(notebook, notebook)),
            "href": pages.get(notebook),
            "reason": str(entry.get("reason", "")),
        }

    return {
        "decided": [(verdict, counts[verdict]) for verdict in display.DECIDED],
        "apart": [(verdict, counts[verdict]) for verdict in display.APART],
        "theirs": [row(entry) for entry in claims if entry.get("kind") != OURS],
        "ours": [row(entry) for entry in claims if entry.get("kind") == OURS],
        "earlier": earlier,
    }


def _headline(results, pages):
    """The run's headline number (the binarised-MNIST benchmark) and the published ones, or ``None``."""
    top = results.get("headline") or {}
    nll = top.get("mnist_benchmark_nll")
    if nll is None:
        return None
    epochs, k, images = (top.get(f"mnist_benchmark_{key}") for key in ("epochs", "k", "test_images"))
    published = "; ".join(
        f"{who}: {value:.2f}" + (f" ({budget} epochs)" if budget[:1].isdigit() else "")
        for who, value, budget in results_lib.BENCHMARK_REFERENCES
    )
    return {
        # What ran: published numbers go beside it only on MNIST (a run that predates these keys was on MNIST).
        "on_mnist": top.get("mnist_benchmark_on_mnist") is not False,
        "model": top.get("mnist_benchmark_model") or "784-200-200-50",
        "data": shown_dataset(top.get("mnist_benchmark_data") or "MNIST"),
        "nll": f"{nll:.2f}",
        "trained": f"after {epochs:,} epoch{'s' if epochs != 1 else ''}" if epochs else "after training",
        "shortened": bool(epochs and epochs < 3280),
        "evaluation": f"k={k:,} importance samples on {images:,} test images" if k and images else "its evaluation",
        "published": published,
        "href": pages.get(results_lib.BENCHMARK_NOTEBOOK),
    }


def _run_banner(run, hidden):
    """The index's banner: the run's dataset, profile, date and commit, and how to reproduce it."""
    dataset = run.get("dataset")
    facts = [("Dataset", shown_dataset(dataset) if dataset is not None else "each notebook's default", "strong")]
    facts += [
        (key, run.get(key), how) for key, how in (("profile", "strong"), ("generated", "text"), ("commit", "code"))
    ]
    facts = [(label, value, how) for label, value, how in facts if value]
    return {
        "facts": facts,
        "command": _public(run["command"], hidden) if run.get("command") else None,
        "commands": len(run.get("commands") or []),
        "profile": run.get("profile"),
        "commit": run.get("commit"),
        "tiny": run.get("profile") in SMALL_PROFILES,
    }


def _figures(report_dir, notebooks, titles, pages):
    """The headline figure of each completed notebook that has one in ``report_dir/figures``."""
    figures = []
    for name, entry in notebooks.items():
        file = Path(entry.get("headline_figure") or "").name
        if entry.get("status") == "completed" and file and (report_dir / "figures" / file).is_file():
            shown = {"file": file, "alt": titles[name], "caption": _inline(titles[name])}
            figures.append({**shown, "href": pages.get(name)})
    return figures


def _notebook_rows(notebooks, titles, pages, hidden, published_from_several):
    """One row per notebook, in order, those the run did not select included (``not run``)."""
    unselected = "in none of the published runs" if published_from_several else "not selected in this run"
    not_selected = {name: {"status": "not run", "reason": unselected} for name in titles}
    return [
        {
            "number": name.split("_", 1)[0],
            "title": _inline(titles[name]),
            "href": pages.get(name),
            "status": entry.get("status", ""),
            "note": _public(entry.get("reason") or entry.get("error") or "", hidden),
        }
        for name, entry in sorted({**not_selected, **notebooks}.items())
    ]


def notebook_titles(notebooks, out=None):
    """``{name: title}`` of the project's notebooks and of ``notebooks`` (``results.json`` entries).

    An entry's recorded title wins, then the executed notebook's first heading in ``out``, then the name.
    """
    titles = {name: notebook_title(catalogue.NOTEBOOKS_DIR / f"{name}.ipynb") for name in catalogue.list_notebooks()}
    for name, entry in notebooks.items():
        executed = Path(out) / "notebooks" / f"{name}.ipynb" if out is not None else None
        titles[name] = entry.get("title") or (notebook_title(executed) if executed and executed.exists() else name)
    return titles


def build_report(out, profile=None):
    """Writes ``OUT/report/index.html``, one page per executed notebook, and the headline figures.

    Reads ``OUT/results.json`` (see ``writeup.results.merge_results``); a skipped notebook gets no page (the
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


def write_index(report_dir, results, titles, pages, hidden=None, links=()):
    """Writes ``report_dir/index.html``: the headline, the claims ledger, headline figures and the notebooks.

    Args:
        report_dir: the folder of the pages; headline figures are taken from its ``figures/``.
        results: a ``results.json`` dict (``run``, ``headline``, ``notebooks``, ``claims``). A ``run``
            without ``command`` but with ``commands`` (a writeup published from several runs) points
            to ``README.md`` for them.
        titles: ``{notebook: title}`` of every notebook the index lists.
        pages: ``{notebook: href}`` of the notebooks that have a page.
        hidden: ``{absolute path: shown}`` for the notes (see ``_hidden_paths``).
        links: the published site's writeups, one per dataset (``site.links``); none for a run's own report.

    Returns:
        The path of ``index.html``.
    """
    report_dir, hidden = Path(report_dir), hidden or {}
    run, notebooks = results.get("run") or {}, results.get("notebooks") or {}
    page = _render(
        "report_index.html.j2",
        style=Markup(stylesheet()),
        run=_run_banner(run, hidden),
        headline=_headline(results, pages),
        ledger=_ledger(results.get("claims") or [], notebooks, pages, titles, site.earlier_ledger(results)),
        writeups=list(links),
        figures=_figures(report_dir, notebooks, titles, pages),
        notebooks=_notebook_rows(notebooks, titles, pages, hidden, bool(run.get("commands"))),
    )
    index = report_dir / "index.html"
    io_utils.atomic_write_text(index, page + "\n")
    return index
