"""Small charts for the Dagster UI: a matplotlib figure as markdown with an embedded PNG.

matplotlib is imported when a chart is drawn, not when the code location loads.
"""

import base64
import io


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")  # no screen: render to memory only
    import matplotlib.pyplot as plt

    return plt


def figure_markdown(fig, alt: str) -> str:
    """The figure as a markdown image (Dagster renders data URIs in markdown metadata); closes it."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    _pyplot().close(fig)
    return f"![{alt}](data:image/png;base64,{base64.b64encode(buffer.getvalue()).decode()})"


def subplots(*args, **kwargs):
    """``plt.subplots`` with the headless backend."""
    return _pyplot().subplots(*args, **kwargs)


def horizontal_bars(labels: list[str], values: list[float], title: str, xlabel: str):
    """A horizontal bar chart, positive bars green and negative red, first label on top."""
    fig, ax = subplots(figsize=(7, 0.28 * len(labels) + 1.2))
    positions = range(len(labels))[::-1]
    ax.barh(list(positions), values, color=["#2e7d32" if v >= 0 else "#c62828" for v in values])
    ax.set_yticks(list(positions), labels, fontsize=8)
    ax.axvline(0, color="black", linewidth=0.6)
    ax.set_xlabel(xlabel)
    ax.set_title(title)
    return fig
