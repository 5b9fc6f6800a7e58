"""Writing a report Document as HTML or PDF.

HTML: one file, every figure a base64 PNG data URI, the style inline, and a Content-Security-Policy that
forbids loading anything from elsewhere: it opens offline, mailed or archived, as it was written. The page is
a `string.Template`; every text is escaped.

PDF: matplotlib's PDF backend (PdfPages). Headings, text, tables and figures flow down A4 pages; each figure is
placed at the text's width as a 200 dpi image (a figure of its own size per page left most of each page
empty), its title above and its caption below.
"""

from __future__ import annotations

import base64
import html
import io
import textwrap
from string import Template

from ._common import text_families
from .report import Document, FigureBlock, Heading, Paragraph, Table

HTML_DPI = 110
PDF_DPI = 200
PAGE = (8.27, 11.69)  # A4, inches
MARGIN = 0.6

_PAGE = Template("""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="HybridXAI">
<title>$title</title>
<style>
body { font-family: -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: #202124;
       max-width: 1000px; margin: 0 auto; padding: 24px; line-height: 1.45; }
h1 { font-size: 1.6em; margin-bottom: 0.1em; }
h2 { border-bottom: 2px solid #dadce0; padding-bottom: 4px; margin-top: 1.8em; }
.sub { color: #5f6368; margin-top: 0; }
nav a { margin-right: 0.9em; color: #1a73e8; text-decoration: none; }
table { border-collapse: collapse; margin: 0.6em 0 1em; font-size: 0.9em; }
table.side { display: inline-table; vertical-align: top; margin-right: 1.5em; max-width: 100%; }
caption { text-align: left; font-weight: 600; padding-bottom: 4px; }
th, td { border: 1px solid #dadce0; padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: #f1f3f4; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
figure { margin: 1em 0 1.6em; }
figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { color: #3c4043; font-size: 0.92em; }
p.note { background: #fff8e1; border-left: 4px solid #f9a825; padding: 6px 10px; }
p.warning { background: #fdecea; border-left: 4px solid #d93025; padding: 6px 10px; }
footer { color: #5f6368; font-size: 0.85em; margin-top: 3em; }
</style>
</head>
<body>
<header><h1>$title</h1><p class="sub">$subtitle</p><nav>$toc</nav></header>
<main>
$body
</main>
<footer>Written by HybridXAI. Self-contained: every figure is inside this file.</footer>
</body>
</html>
""")


def _e(text) -> str:
    return html.escape(str(text), quote=True)


def _is_number(text: str) -> bool:
    head = text.split(" ")[0].replace("–", "").replace(".", "", 1).lstrip("-")
    return head.isdigit()


def figure_png(figure, dpi: int = HTML_DPI) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight", facecolor="white")
    return buffer.getvalue()


def render_html(document: Document) -> str:
    parts, toc = [], []
    for block in document.blocks:
        if isinstance(block, Heading):
            anchor = f' id="{_e(block.anchor)}"' if block.anchor else ""
            parts.append(f"<h2{anchor}>{_e(block.text)}</h2>" if block.anchor else f"<h3>{_e(block.text)}</h3>")
            if block.anchor:
                toc.append(f'<a href="#{_e(block.anchor)}">{_e(block.text)}</a>')
        elif isinstance(block, Paragraph):
            tone = f' class="{block.tone}"' if block.tone else ""
            parts.append(f"<p{tone}>{_e(block.text)}</p>")
        elif isinstance(block, Table):
            rows = []
            if any(block.header):
                rows.append("<tr>" + "".join(f"<th>{_e(h)}</th>" for h in block.header) + "</tr>")
            for row in block.rows:
                cells = "".join(f'<td class="num">{_e(v)}</td>' if _is_number(str(v)) else f"<td>{_e(v)}</td>"
                                for v in row)
                rows.append(f"<tr>{cells}</tr>")
            caption = f"<caption>{_e(block.caption)}</caption>" if block.caption else ""
            side = ' class="side"' if block.side else ""
            parts.append(f"<table{side}>{caption}{''.join(rows)}</table>")
        elif isinstance(block, FigureBlock):
            data = base64.b64encode(figure_png(block.figure)).decode("ascii")
            title = f"<h3>{_e(block.title)}</h3>" if block.title else ""
            parts.append(f'<figure>{title}<img alt="{_e(block.title or block.caption)}" '
                         f'src="data:image/png;base64,{data}"><figcaption>{_e(block.caption)}</figcaption></figure>')
    return _PAGE.substitute(title=_e(document.title), subtitle=_e(document.subtitle), toc=" ".join(toc),
                            body="\n".join(parts))


class _TextPages:
    """Headings, paragraphs and tables flowed down A4 pages."""

    def __init__(self, pdf):
        self.pdf, self.page, self.y = pdf, None, 0.0

    def _new_page(self) -> None:
        from ._common import new_figure as Figure  # names as typed, CJK glyphs

        self.flush()
        self.page = Figure(figsize=PAGE)
        self.y = PAGE[1] - MARGIN

    def _room(self, height: float) -> None:
        if self.page is None or self.y - height < MARGIN:
            self._new_page()

    def line(self, text: str, size: float = 9.0, height: float = 0.17, **style) -> None:
        self._room(height)
        self.page.text(MARGIN / PAGE[0], self.y / PAGE[1], text, fontsize=size, va="top", ha="left", **style)
        self.y -= height

    def heading(self, text: str, major: bool) -> None:
        self._room(0.9)  # never a heading alone at the foot of a page
        self.y -= 0.12 if major else 0.05
        self.line(text, 13 if major else 10.5, 0.3 if major else 0.24, fontweight="bold")

    def paragraph(self, text: str, tone: str = "") -> None:
        colour = {"note": "#8a6d00", "warning": "#b3261e"}.get(tone, "#202124")
        for piece in textwrap.wrap(text, 104) or [""]:
            self.line(piece, color=colour)
        self.y -= 0.06

    def table(self, block: Table) -> None:
        """A monospaced table; one that fits on a page is kept on one page, with its caption."""
        rows = ([block.header] if any(block.header) else []) + [[str(v) for v in r] for r in block.rows]
        n = max(len(r) for r in rows)
        widths = [min(60, max(len(r[j]) if j < len(r) else 0 for r in rows)) for j in range(n)]
        size, room = (7.5, 112) if sum(widths) + 2 * n <= 112 else (6.8, 124)  # a wide table: a smaller font
        while sum(widths) + 2 * n > room and max(widths) > 12:  # narrow the widest column until it fits
            widths[widths.index(max(widths))] -= 1
        lines = []  # (text, bold)
        for i, row in enumerate(rows):
            cells = [textwrap.wrap(row[j] if j < len(row) else "", widths[j]) or [""] for j in range(n)]
            for k in range(max(len(c) for c in cells)):
                text = "  ".join((c[k] if k < len(c) else "").ljust(widths[j]) for j, c in enumerate(cells))
                lines.append((text, i == 0 and any(block.header)))
        caption = textwrap.wrap(block.caption, 100) if block.caption else []
        height = 0.16 * len(caption) + 0.14 * len(lines)
        if height < PAGE[1] - 2 * MARGIN:
            self._room(height)
        for piece in caption:
            self.line(piece, 8.5, 0.16, fontweight="bold")
        for text, bold in lines:
            self.line(text, size, 0.14, family=text_families("monospace"), fontweight="bold" if bold else "normal")
        self.y -= 0.1

    def figure(self, block: FigureBlock, heading: Heading | None = None) -> None:
        """The figure at the text's width (at most 4.6 in tall), drawn at PDF_DPI, title above, caption below;
        a section `heading` just before it moves to the next page with it."""
        import matplotlib.image as mpimg

        image = mpimg.imread(io.BytesIO(figure_png(block.figure, PDF_DPI)), format="png")
        width = PAGE[0] - 2 * MARGIN
        height = width * image.shape[0] / image.shape[1]
        if height > 4.6:
            width, height = width * 4.6 / height, 4.6
        caption = textwrap.wrap(block.caption, 110)
        self._room((0.45 if heading is not None else 0) + 0.3 + height + 0.15 * len(caption) + 0.1)
        if heading is not None:
            self.heading(heading.text, bool(heading.anchor))
        if block.title:
            self.line(block.title, 10.5, 0.26, fontweight="bold")
        axes = self.page.add_axes([MARGIN / PAGE[0], (self.y - height) / PAGE[1], width / PAGE[0], height / PAGE[1]])
        axes.imshow(image, interpolation="lanczos")
        axes.set_axis_off()
        self.y -= height + 0.08
        for piece in caption:
            self.line(piece, 8, 0.15, color="#3c4043")
        self.y -= 0.12

    def flush(self) -> None:
        if self.page is not None:
            self.pdf.savefig(self.page)
            self.page = None


def render_pdf(document: Document, fh) -> None:
    from matplotlib.backends.backend_pdf import PdfPages

    with PdfPages(fh, metadata={"Title": document.title, "Creator": "HybridXAI"}) as pdf:
        pages = _TextPages(pdf)
        pages.line(document.title, 16, 0.4, fontweight="bold")
        pages.line(document.subtitle, 9, 0.3, color="#5f6368")
        held = None  # a heading right before a figure goes with it: never alone at a page's foot
        for block in document.blocks:
            if held is not None and not isinstance(block, FigureBlock):
                pages.heading(held.text, bool(held.anchor))
                held = None
            if isinstance(block, Heading):
                held = block
            elif isinstance(block, Paragraph):
                pages.paragraph(block.text, block.tone)
            elif isinstance(block, Table):
                pages.table(block)
            elif isinstance(block, FigureBlock):
                pages.figure(block, held)
                held = None
        if held is not None:
            pages.heading(held.text, bool(held.anchor))
        pages.flush()


__all__ = ["render_html", "render_pdf", "figure_png"]
