"""Processing algorithm *Add Waterline layers*: a finished job's OGC API – Features collection and XYZ
tile layers (water overlay, scene imagery), added to the project."""

from qgis.core import (
    QgsDataSourceUri,
    QgsProcessingAlgorithm,
    QgsProcessingException,
    QgsProcessingOutputString,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterString,
    QgsRasterLayer,
    QgsVectorLayer,
)

from ..client import WaterlineClientError
from .water_change import apply_change_style
from .waterline_algorithm import WaterlineAlgorithm


def xyz_layer_uri(url, zmin=0, zmax=22):
    """Data source URI of a ``wms``-provider XYZ layer, encoded the way QGIS's own XYZ connections are."""
    uri = QgsDataSourceUri()
    uri.setParam("type", "xyz")
    uri.setParam("url", url)
    uri.setParam("zmin", str(zmin))
    uri.setParam("zmax", str(zmax))
    return bytes(uri.encodedUri()).decode("utf-8")


def oapif_layer_uri(ogc_url, collection_id):
    """Data source URI of an ``OAPIF``-provider layer (QGIS's OGC API – Features client)."""
    uri = QgsDataSourceUri()
    uri.setParam("url", ogc_url)
    uri.setParam("typename", collection_id)
    return uri.uri(False)


class AddLayersAlgorithm(WaterlineAlgorithm):
    JOB_ID = "JOB_ID"
    SCENE_ID = "SCENE_ID"
    ADD_FEATURES = "ADD_FEATURES"
    ADD_WATER_TILES = "ADD_WATER_TILES"
    ADD_SCENE_TILES = "ADD_SCENE_TILES"
    FEATURES_LAYER = "FEATURES_LAYER"
    WATER_TILES_LAYER = "WATER_TILES_LAYER"
    SCENE_TILES_LAYER = "SCENE_TILES_LAYER"

    def name(self):
        return "addlayers"

    def displayName(self):
        return "Add Waterline layers"

    def flags(self):
        # Adds layers to the project: must run on the main thread.
        return super().flags() | QgsProcessingAlgorithm.FlagNoThreading

    def shortHelpString(self):
        return (
            "Adds a finished Waterline job's water polygons as an OGC API – Features layer (served live by "
            "the Waterline server, collection water-<job id>), its water overlay as XYZ raster tiles, and the "
            "scene imagery as XYZ tiles, to the current project. A Water change job's polygons are styled by "
            "class (permanent, gained, lost, unknown). The job id is an output of Segment water or Water change "
            "(and shown in the server's viewer)."
        )

    def initAlgorithm(self, config=None):
        self.addParameter(QgsProcessingParameterString(self.JOB_ID, "Waterline job id"))
        self.addParameter(QgsProcessingParameterString(
            self.SCENE_ID, "Scene id (empty: the job's scene)", optional=True))
        self.addParameter(QgsProcessingParameterBoolean(
            self.ADD_FEATURES, "Add water polygons (OGC API – Features)", defaultValue=True))
        self.addParameter(QgsProcessingParameterBoolean(
            self.ADD_WATER_TILES, "Add water overlay tiles (XYZ)", defaultValue=True))
        self.addParameter(QgsProcessingParameterBoolean(
            self.ADD_SCENE_TILES, "Add scene imagery tiles (XYZ)", defaultValue=True))
        self.addOutput(QgsProcessingOutputString(self.FEATURES_LAYER, "Features layer id"))
        self.addOutput(QgsProcessingOutputString(self.WATER_TILES_LAYER, "Water tiles layer id"))
        self.addOutput(QgsProcessingOutputString(self.SCENE_TILES_LAYER, "Scene tiles layer id"))

    def processAlgorithm(self, parameters, context, feedback):
        client = self._client()
        job_id = (self.parameterAsString(parameters, self.JOB_ID, context) or "").strip()
        scene_id = (self.parameterAsString(parameters, self.SCENE_ID, context) or "").strip()
        if not job_id:
            raise QgsProcessingException("Give the id of a Waterline job (an output of Segment water)")
        try:
            job = client.get_job(job_id)
        except WaterlineClientError as err:
            raise QgsProcessingException(str(err))
        if job.get("state") != "succeeded":
            raise QgsProcessingException(
                "Waterline job {} is {}; its layers exist once it has succeeded".format(job_id, job.get("state")))
        scene_id = scene_id or str(job.get("scene") or "")
        project = context.project()
        if project is None:
            raise QgsProcessingException("No project to add the Waterline layers to")

        results = {self.FEATURES_LAYER: "", self.WATER_TILES_LAYER: "", self.SCENE_TILES_LAYER: ""}
        layers = []
        if self.parameterAsBoolean(parameters, self.ADD_SCENE_TILES, context):
            if not scene_id:
                raise QgsProcessingException("Waterline job {} names no scene; give the scene id".format(job_id))
            layer = QgsRasterLayer(xyz_layer_uri(client.scene_tiles_url(scene_id)),
                                   "Waterline scene {}".format(scene_id), "wms")
            layers.append((self.SCENE_TILES_LAYER, layer))
        if self.parameterAsBoolean(parameters, self.ADD_WATER_TILES, context):
            layer = QgsRasterLayer(xyz_layer_uri(client.job_tiles_url(job_id)),
                                   "Waterline water tiles {}".format(job_id), "wms")
            layers.append((self.WATER_TILES_LAYER, layer))
        if self.parameterAsBoolean(parameters, self.ADD_FEATURES, context):
            collection = "water-{}".format(job_id)
            change = job.get("kind") == "change"
            layer = QgsVectorLayer(oapif_layer_uri(client.ogc_url(), collection),
                                   "Waterline {} {}".format("water change" if change else "water", job_id), "OAPIF")
            if change and layer.isValid():
                apply_change_style(layer)
            layers.append((self.FEATURES_LAYER, layer))

        for key, layer in layers:
            if not layer.isValid():
                # (QgsMapLayer.error() crashes on a layer whose provider failed to load; ask the provider)
                provider = layer.dataProvider()
                err = provider.error().summary() if provider is not None else ""
                raise QgsProcessingException(
                    "QGIS could not open {} from {} ({}); check the server URL in Waterline settings".format(
                        layer.name(), layer.source(), err or "invalid layer"))
            project.addMapLayer(layer)
            results[key] = layer.id()
            feedback.pushInfo("Added {}".format(layer.name()))
        return results
