"""Plugin settings in QgsSettings under ``waterline/`` (server URL, API key, timeout)."""

from qgis.core import QgsSettings

from .client import DEFAULT_TIMEOUT_S, WaterlineClient

PREFIX = "waterline/"
DEFAULT_SERVER_URL = "http://127.0.0.1:8080"
KEY_SERVER_URL = PREFIX + "serverUrl"
KEY_API_KEY = PREFIX + "apiKey"
KEY_TIMEOUT = PREFIX + "timeoutSeconds"


def server_url():
    return str(QgsSettings().value(KEY_SERVER_URL, DEFAULT_SERVER_URL) or DEFAULT_SERVER_URL).strip()


def api_key():
    return str(QgsSettings().value(KEY_API_KEY, "") or "").strip()


def timeout_seconds():
    try:
        value = float(QgsSettings().value(KEY_TIMEOUT, DEFAULT_TIMEOUT_S))
    except (TypeError, ValueError):
        value = DEFAULT_TIMEOUT_S
    return value if value > 0 else DEFAULT_TIMEOUT_S


def save(url, key, timeout=None):
    settings = QgsSettings()
    settings.setValue(KEY_SERVER_URL, (url or "").strip())
    settings.setValue(KEY_API_KEY, (key or "").strip())
    if timeout is not None:
        settings.setValue(KEY_TIMEOUT, float(timeout))


def client_from_settings():
    """A client for the configured server; raises WaterlineClientError on a malformed URL."""
    return WaterlineClient(server_url(), api_key(), timeout_seconds())
