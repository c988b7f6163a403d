"""The QGIS plugin object: registers the Processing provider, a menu with Settings, and a toolbar button."""

from qgis.core import Qgis, QgsApplication
from qgis.PyQt.QtWidgets import QAction

from . import settings
from .client import WaterlineClientError
from .icon import plugin_icon
from .provider import WaterlineProvider

MENU = "&Waterline"


class WaterlinePlugin:
    def __init__(self, iface):
        self.iface = iface
        self.provider = None
        self.actions = []

    def initProcessing(self):  # noqa: N802 (QGIS calls it for hasProcessingProvider=yes plugins)
        if self.provider is not None:
            return
        self.provider = WaterlineProvider()
        QgsApplication.processingRegistry().addProvider(self.provider)

    def initGui(self):
        self.initProcessing()
        segment = QAction(plugin_icon(), "Segment water…", self.iface.mainWindow())
        segment.triggered.connect(self.open_segment_dialog)
        change = QAction(plugin_icon(), "Water change…", self.iface.mainWindow())
        change.triggered.connect(self.open_change_dialog)
        check = QAction("Check server connection", self.iface.mainWindow())
        check.triggered.connect(self.check_server)
        configure = QAction("Settings…", self.iface.mainWindow())
        configure.triggered.connect(self.open_settings)
        for action in (segment, change, check, configure):
            self.iface.addPluginToMenu(MENU, action)
            self.actions.append(action)
        self.iface.addToolBarIcon(segment)

    def unload(self):
        for action in self.actions:
            self.iface.removePluginMenu(MENU, action)
            self.iface.removeToolBarIcon(action)
        self.actions = []
        if self.provider is not None:
            QgsApplication.processingRegistry().removeProvider(self.provider)
            self.provider = None

    # ----- actions -----
    def open_settings(self):
        from .settings_dialog import SettingsDialog

        dialog = SettingsDialog(self.iface.mainWindow())
        if dialog.exec_():
            self.check_server()

    def open_segment_dialog(self):
        import processing

        processing.execAlgorithmDialog("waterline:segmentwater", {})

    def open_change_dialog(self):
        import processing

        processing.execAlgorithmDialog("waterline:waterchange", {})

    def check_server(self):
        """Ask /readyz and report in the message bar: success, not ready, or the server's error."""
        bar = self.iface.messageBar()
        try:
            client = settings.client_from_settings()
            ready = client.ready()
            client.check_api_key()
        except WaterlineClientError as err:
            bar.pushMessage("Waterline", str(err), level=Qgis.Critical, duration=10)
            return False
        model = ready.get("model") or {}
        if ready.get("status") != "ready":
            bar.pushMessage("Waterline", "Server at {} is {} (model {} still loading); try again shortly".format(
                settings.server_url(), ready.get("status"), model.get("name", "?")), level=Qgis.Warning, duration=8)
            return False
        bar.pushMessage("Waterline", "Connected to {}: model {} on {}".format(
            settings.server_url(), model.get("name", "?"), model.get("provider", "?")), level=Qgis.Success, duration=5)
        return True
