"""One headless QgsApplication per test process, with Processing initialised and settings isolated in a
temporary folder (tests never touch the user's QGIS profile). Import ``start()`` from each QGIS test."""

import atexit
import os
import shutil
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
BRIDGE = os.path.dirname(HERE)
QGIS_PLUGINS = "/usr/share/qgis/python/plugins"

_state = {}


def start():
    """Start QGIS once; returns the QgsApplication."""
    if "app" in _state:
        return _state["app"]
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    tmp = tempfile.mkdtemp(prefix="waterline-qgis-")
    atexit.register(shutil.rmtree, tmp, True)
    os.environ.setdefault("XDG_RUNTIME_DIR", tmp)
    for path in (BRIDGE, QGIS_PLUGINS):
        if path not in sys.path:
            sys.path.insert(0, path)

    from qgis.core import QgsApplication
    from qgis.PyQt.QtCore import QCoreApplication, QSettings

    QCoreApplication.setOrganizationName("WaterlineTests")
    QCoreApplication.setApplicationName("WaterlineTests")
    QSettings.setDefaultFormat(QSettings.IniFormat)
    QSettings.setPath(QSettings.IniFormat, QSettings.UserScope, tmp)
    app = QgsApplication([], True, os.path.join(tmp, "profile"))
    app.initQgis()

    from processing.core.Processing import Processing

    Processing.initialize()
    _state.update(app=app, tmp=tmp)

    def stop():
        # exitQgis explicitly, before interpreter teardown (avoids a crash at exit).
        app.exitQgis()

    atexit.register(stop)
    return app


def tmp_dir():
    return _state["tmp"]
