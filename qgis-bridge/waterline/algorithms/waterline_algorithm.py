"""What every Waterline Processing algorithm shares: the client factory it is built with (and copies into
new instances), no group, the plugin icon, and the client lookup that turns a settings problem into a
Processing error."""

from qgis.core import QgsProcessingAlgorithm, QgsProcessingException

from .. import settings
from ..client import WaterlineClientError
from ..icon import plugin_icon


class WaterlineAlgorithm(QgsProcessingAlgorithm):
    def __init__(self, client_factory=None):
        """``client_factory``: callable returning a WaterlineClient; default reads the plugin settings at
        run time (so a settings change applies to the next run)."""
        super().__init__()
        self._client_factory = client_factory

    def createInstance(self):
        return type(self)(self._client_factory)

    def group(self):
        return ""

    def groupId(self):
        return ""

    def icon(self):
        return plugin_icon()

    def _client(self):
        """The configured WaterlineClient; a bad or missing server setting is a QgsProcessingException."""
        try:
            return self._client_factory() if self._client_factory else settings.client_from_settings()
        except WaterlineClientError as err:
            raise QgsProcessingException(str(err))
