"""The Processing provider "Waterline" (algorithm ids ``waterline:segmentwater``, ``waterline:waterchange``,
``waterline:addlayers``)."""

from qgis.core import QgsProcessingProvider

from .algorithms.add_layers import AddLayersAlgorithm
from .algorithms.segment_water import SegmentWaterAlgorithm
from .algorithms.water_change import WaterChangeAlgorithm
from .icon import plugin_icon


class WaterlineProvider(QgsProcessingProvider):
    def __init__(self, client_factory=None):
        """``client_factory``: callable returning a WaterlineClient; default reads the plugin settings
        at run time (so a settings change applies to the next run)."""
        super().__init__()
        self._client_factory = client_factory

    def id(self):
        return "waterline"

    def name(self):
        return "Waterline"

    def longName(self):
        return "Waterline surface water mapping"

    def icon(self):
        return plugin_icon()

    def loadAlgorithms(self):
        self.addAlgorithm(SegmentWaterAlgorithm(self._client_factory))
        self.addAlgorithm(WaterChangeAlgorithm(self._client_factory))
        self.addAlgorithm(AddLayersAlgorithm(self._client_factory))
