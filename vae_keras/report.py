"""The blog-style HTML writeup of a study run: an index page plus every executed notebook."""

import html
import json
import re
import time
from pathlib import Path

from vae_keras import io_utils

STYLE = """
body { font-family: -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif; max-width: 1100px;
       margin: 2rem auto; padding: 0 1.2rem; color: #1d1d1f; line-height: 1.5; }
h1 { margin-bottom: 0.2rem; } .meta { color: #666; margin-top: 0; }
table { border-collapse: collapse; margin: 1rem 0; font-size: 0.9rem; width: 100%; }
th, td { border-bottom: 1px solid #ddd; padding: 0.35rem 0.6rem; text-align: left; vertical-align: top; }
th { background: #f4f4f6; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
.completed { color: #1a7f37; font-weight: 600; } .failed { color: #cf222e; font-weight: 600; }
.running { color: #9a6700; font-weight: 600; } .error { color: #cf222e; font-size: 0.85rem; }
a { color: #0969da; text-decoration: none; } a:hover { text-decoration: underline; }
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


#: TensorFlow's start-up lines, logged by C++ before any setting can silence them.
STARTUP_NOISE = re.compile(r"^(WARNING: All log messages before absl::InitializeLog\(\)|I0000 \S+\s+\d+ port\.cc:)")


def strip_startup_noise(notebook):
    """Removes TensorFlow's start-up log lines from stderr outputs (the executed notebook keeps them)."""
    for cell in notebook.cells:
        outputs = []
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream" and output.get("name") == "stderr":
                lines = [line for line in output.text.splitlines(keepends=True) if not STARTUP_NOISE.match(line)]
                if not "".join(lines).strip():
                    continue
                output.text = "".join(lines)
            outputs.append(output)
        if "outputs" in cell:
            cell.outputs = outputs
    return notebook


def render_notebook(notebook_path, html_path, failed_message=None):
    """Renders an executed notebook to a standalone HTML page (images embedded)."""
    import nbformat
    from nbconvert import HTMLExporter

    notebook = strip_startup_noise(nbformat.read(str(notebook_path), as_version=4))
    exporter = HTMLExporter(template_name="lab")
    body, _ = exporter.from_notebook_node(notebook)
    if failed_message:
        banner = (
            '<div style="background:#ffebe9;border:1px solid #cf222e;padding:0.8rem;margin:1rem;">'
            f"<strong>This notebook failed:</strong> {html.escape(failed_message)}. "
            "Its outputs stop at the failing cell; its numbers are not part of the results.</div>"
        )
        body = re.sub(r"(<body[^>]*>)", lambda match: match.group(1) + banner, body, count=1)
    io_utils.atomic_write_text(html_path, body)
    return html_path


def _format(value):
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, list):
        return ", ".join(_format(v) for v in value[:6]) + (" ..." if len(value) > 6 else "")
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_format(v)}" for k, v in list(value.items())[:4])
    return str(value)


def _headline_metrics(metrics, limit=8):
    """The scalar metrics of a notebook, for the summary table."""
    scalars = [(k, v) for k, v in metrics.items() if isinstance(v, (int, float, str)) and not isinstance(v, bool)]
    return scalars[:limit]


def build_report(out, profile=""):
    """Writes ``OUT/report/index.html`` and one HTML page per executed notebook.

    Returns:
        The path of ``index.html``.
    """
    out = Path(out)
    report_dir = out / "report"
    report_dir.mkdir(parents=True, exist_ok=True)
    results = json.loads((out / "results.json").read_text()) if (out / "results.json").exists() else {}
    rows = []
    for name, entry in results.items():
        executed = out / "notebooks" / f"{name}.ipynb"
        link = None
        if executed.exists():
            render_notebook(executed, report_dir / f"{name}.html", entry.get("error"))
            link = f"{name}.html"
        title = notebook_title(executed) if executed.exists() else name
        metrics = "".join(
            f"<div><code>{html.escape(k)}</code>: {html.escape(_format(v))}</div>"
            for k, v in _headline_metrics(entry.get("metrics", {}))
        )
        if entry.get("error"):
            metrics += f'<div class="error">{html.escape(entry["error"])}</div>'
        name_cell = f'<a href="{link}">{html.escape(title)}</a>' if link else html.escape(title)
        rows.append(
            f"<tr><td>{html.escape(name.split('_', 1)[0])}</td><td>{name_cell}</td>"
            f'<td class="{entry["status"]}">{entry["status"]}</td><td>{metrics}</td></tr>'
        )
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>vae-keras: study report</title>
<style>{STYLE}</style></head><body>
<h1>Variational autoencoders in Keras: the studies</h1>
<p class="meta">Profile <code>{html.escape(profile)}</code> &middot; generated {time.strftime("%Y-%m-%d %H:%M")}
&middot; machine-readable results: <a href="../results.json">results.json</a></p>
<p>Each notebook below was executed end to end by <code>vae-keras run</code>; every number in its text
was computed by that run. Notebooks marked <span class="failed">failed</span> stopped early and
report no results.</p>
<table><thead><tr><th>#</th><th>Notebook</th><th>Status</th><th>Results</th></tr></thead>
<tbody>{"".join(rows)}</tbody></table>
</body></html>
"""
    index = report_dir / "index.html"
    io_utils.atomic_write_text(index, page)
    return index
