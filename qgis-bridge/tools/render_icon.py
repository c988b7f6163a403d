"""Render waterline/icon.svg to waterline/icon.png (the icon metadata.txt names; PNG works in every
QGIS build, SVG needs Qt's svg image plugin). Run with /usr/bin/python3 (PyQt5 from python3-qgis):
    QT_QPA_PLATFORM=offscreen /usr/bin/python3 qgis-bridge/tools/render_icon.py
"""
import os
import sys

from PyQt5.QtCore import Qt
from PyQt5.QtGui import QGuiApplication, QImage, QPainter
from PyQt5.QtSvg import QSvgRenderer

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "waterline")


def main():
    app = QGuiApplication(sys.argv)  # noqa: F841 (QPainter needs an application)
    renderer = QSvgRenderer(os.path.join(HERE, "icon.svg"))
    image = QImage(64, 64, QImage.Format_ARGB32)
    image.fill(Qt.transparent)
    painter = QPainter(image)
    renderer.render(painter)
    painter.end()
    out = os.path.join(HERE, "icon.png")
    if not image.save(out, "PNG"):
        raise SystemExit("could not write " + out)
    print(out)


if __name__ == "__main__":
    main()
