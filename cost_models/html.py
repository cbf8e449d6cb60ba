"""A self-contained HTML page: headings, paragraphs, tables (with their CSV next to them) and figures.

No template engine: the report is a handful of sections, and escaping every text here is simpler to
trust than a template's auto-escaping rules.
"""

import html
import os
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from hwgen.cost_models.files import write_atomic

_STYLE = """
body { font-family: sans-serif; max-width: 1200px; margin: 2em auto; color: #222; line-height: 1.4; }
.scroll { overflow-x: auto; max-width: 100%; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; font-size: 0.85em; }
th, td { border: 1px solid #ccc; padding: 2px 6px; text-align: right; }
th { background: #eee; } td:first-child, th:first-child { text-align: left; }
figure { display: block; margin: 0.5em 0 1.5em; }
figure img { width: 100%; max-width: 1100px; border: 1px solid #ddd; }
ul.decide li { margin: 0.3em 0; }
.agree { color: #186a1e; font-weight: bold; } .disagree { color: #a01010; font-weight: bold; }
.partly { color: #8a5a00; font-weight: bold; } .note { color: #555; font-size: 0.9em; }
code { background: #f4f4f4; padding: 0 3px; }
"""


@dataclass
class Page:
    """The report page being built; ``render()`` returns the HTML text."""

    title: str
    folder: Path  # where the page, its CSV tables and its figures live
    parts: list[str] = field(default_factory=list)

    def heading(self, text: str, level: int = 2, anchor: str | None = None) -> None:
        ident = f' id="{html.escape(anchor)}"' if anchor else ""
        self.parts.append(f"<h{level}{ident}>{html.escape(text)}</h{level}>")

    def paragraph(self, text: str, css: str | None = None) -> None:
        cls = f' class="{css}"' if css else ""
        self.parts.append(f"<p{cls}>{html.escape(text)}</p>")

    def raw(self, markup: str) -> None:
        """Markup built by the caller from escaped pieces (see :func:`verdict`)."""
        self.parts.append(markup)

    def table(self, frame: pd.DataFrame, csv_name: str, caption: str, float_format: str = "{:.4g}") -> Path:
        """The table on the page and as ``tables/<csv_name>.csv`` (full precision) next to it."""
        csv_path = write_atomic(self.folder / "tables" / f"{csv_name}.csv", frame.to_csv(index=False))
        shown = frame.copy()
        for column in shown.columns:
            if pd.api.types.is_float_dtype(shown[column]):
                shown[column] = shown[column].map(lambda v: "" if pd.isna(v) else float_format.format(v))
        body = shown.to_html(index=False, escape=True, na_rep="", border=0)
        link = os.path.relpath(csv_path, self.folder)
        self.parts.append(f"<p><b>{html.escape(caption)}</b> "
                          f"(<a href=\"{html.escape(link)}\">CSV</a>)</p><div class=\"scroll\">{body}</div>")
        return csv_path

    def figures(self, paths: list[Path], caption: str) -> None:
        items = []
        for path in paths:
            if Path(path).suffix != ".svg":
                continue
            link = html.escape(os.path.relpath(path, self.folder))
            png = html.escape(os.path.relpath(Path(path).with_suffix(".png"), self.folder))
            items.append(f'<figure><a href="{png}"><img src="{link}" alt="{html.escape(caption)}"></a>'
                         f"<figcaption>{html.escape(caption)}</figcaption></figure>")
        self.parts.append("".join(items))

    def render(self) -> str:
        return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                f"<title>{html.escape(self.title)}</title><style>{_STYLE}</style></head><body>"
                f"<h1>{html.escape(self.title)}</h1>\n" + "\n".join(self.parts) + "\n</body></html>\n")


def verdict(outcome: str, text: str) -> str:
    """One claim's line: ``outcome`` is agree, disagree or partly."""
    if outcome not in ("agree", "disagree", "partly"):
        raise ValueError(f"outcome must be agree, disagree or partly, not {outcome!r}")
    return f'<p><span class="{outcome}">{outcome.upper()}</span> {html.escape(text)}</p>'
