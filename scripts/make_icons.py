"""Render resources/hybridxai.svg into the PNG sizes and the Windows .ico.

    QT_QPA_PLATFORM=offscreen python scripts/make_icons.py

Uses PySide6's QSvgRenderer (PySide6-Essentials ships QtSvg) to rasterise the SVG at each size
directly (not by scaling one large bitmap, so small sizes stay sharp), and Pillow to write the PNGs
without metadata and to pack all sizes into hybridxai.ico. Deterministic for a given Qt version.
"""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path

SIZES = (16, 32, 48, 64, 128, 256)
ROOT = Path(__file__).resolve().parent.parent
RES = ROOT / "resources"


def render(svg: Path, size: int):
    from PIL import Image
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"{svg}: not a valid SVG for Qt")
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
    renderer.render(painter)
    painter.end()
    data = QByteArray()
    buf = QBuffer(data)
    buf.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buf, "PNG")
    buf.close()
    return Image.open(io.BytesIO(bytes(data))).convert("RGBA")


def main() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QGuiApplication

    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])  # noqa: F841 (QtSvg needs one)
    svg = RES / "hybridxai.svg"
    images = {}
    for size in SIZES:
        img = render(svg, size)
        out = RES / f"hybridxai-{size}.png"
        img.save(out, format="PNG", optimize=True)
        images[size] = img
        print(f"wrote {out.relative_to(ROOT)} ({out.stat().st_size:,} bytes)")
    ico = RES / "hybridxai.ico"
    largest = images[max(SIZES)]
    largest.save(ico, format="ICO", sizes=[(s, s) for s in SIZES],
                 append_images=[images[s] for s in SIZES if s != max(SIZES)])
    print(f"wrote {ico.relative_to(ROOT)} ({ico.stat().st_size:,} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
