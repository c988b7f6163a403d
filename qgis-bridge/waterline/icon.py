"""The plugin icon (icon.png, rendered from icon.svg by tools/render_icon.py)."""

import os

from qgis.PyQt.QtGui import QIcon

ICON_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "icon.png")


def plugin_icon():
    return QIcon(ICON_PATH)
