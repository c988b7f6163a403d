"""Settings dialog: server URL, API key, timeout, and a *Test connection* button."""

from qgis.PyQt.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
)

from . import settings
from .client import WaterlineClient, WaterlineClientError
from .icon import plugin_icon


class SettingsDialog(QDialog):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Waterline settings")
        self.setWindowIcon(plugin_icon())
        self.url_edit = QLineEdit(settings.server_url())
        self.url_edit.setPlaceholderText(settings.DEFAULT_SERVER_URL)
        self.key_edit = QLineEdit(settings.api_key())
        self.key_edit.setEchoMode(QLineEdit.Password)
        self.key_edit.setPlaceholderText("only if the server was started with an API key")
        self.timeout_spin = QDoubleSpinBox()
        self.timeout_spin.setRange(1, 3600)
        self.timeout_spin.setSuffix(" s")
        self.timeout_spin.setValue(settings.timeout_seconds())
        self.status_label = QLabel("")
        self.status_label.setWordWrap(True)
        test_button = QPushButton("Test connection")
        test_button.clicked.connect(self.test_connection)

        form = QFormLayout()
        form.addRow("Server URL", self.url_edit)
        form.addRow("API key", self.key_edit)
        form.addRow("Request timeout", self.timeout_spin)
        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(test_button)
        layout.addWidget(self.status_label)
        layout.addWidget(buttons)

    def test_connection(self):
        """Check /readyz with the values in the dialog; returns (ok, message) and shows the message."""
        try:
            client = WaterlineClient(self.url_edit.text(), self.key_edit.text(), self.timeout_spin.value())
            ready = client.ready()
            client.check_api_key()
            model = ready.get("model") or {}
            ok = True
            message = "Connected: server {} — model {} on {}".format(
                ready.get("status", "?"), model.get("name", "?"), model.get("provider", "?"))
        except WaterlineClientError as err:
            ok, message = False, str(err)
        self.status_label.setText(message)
        return ok, message

    def accept(self):
        settings.save(self.url_edit.text(), self.key_edit.text(), self.timeout_spin.value())
        super().accept()
