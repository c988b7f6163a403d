"""Processing algorithm *Water change*: send two rasters (date A, date B) to Waterline, run one change job
(a job with two scenes), and load the classed polygons (``class`` = permanent, gained, lost, unknown; with
``area_m2``) styled by class."""

import json

from qgis.core import (
    QgsCategorizedSymbolRenderer,
    QgsFillSymbol,
    QgsProcessingException,
    QgsProcessingLayerPostProcessorInterface,
    QgsProcessingOutputString,
    QgsProcessingParameterRasterLayer,
    QgsProcessingParameterString,
    QgsRendererCategory,
)

from .segment_water import SegmentWaterAlgorithm

# The server's class colours (src/core/change/changeClasses.ts), as in its report, tiles and viewer.
CLASS_COLOURS = {
    "permanent": (31, 94, 201),
    "gained": (38, 166, 76),
    "lost": (214, 48, 39),
    "unknown": (160, 160, 160),
}


def apply_change_style(layer):
    """A categorized renderer on ``class`` with the server's colours (60 % opaque fill, solid outline)."""
    categories = []
    for name, (r, g, b) in CLASS_COLOURS.items():
        symbol = QgsFillSymbol.createSimple({
            "color": "{},{},{},153".format(r, g, b),
            "outline_color": "{},{},{},255".format(r, g, b),
            "outline_width": "0.2",
        })
        categories.append(QgsRendererCategory(name, symbol, name))
    layer.setRenderer(QgsCategorizedSymbolRenderer("class", categories))
    layer.triggerRepaint()


class ChangeStyler(QgsProcessingLayerPostProcessorInterface):
    _instance = None

    def postProcessLayer(self, layer, context, feedback):  # noqa: N802
        apply_change_style(layer)

    @classmethod
    def shared(cls):
        """One styler for every run, held here: the context keeps only a pointer, and the algorithm copy that ran
        (where it used to be kept) is deleted before ``processing.runAndLoadResults`` loads the layer."""
        if cls._instance is None:
            cls._instance = cls()
        return cls._instance


class WaterChangeAlgorithm(SegmentWaterAlgorithm):
    INPUT_B = "INPUT_B"
    SERVER_PATH_B = "SERVER_PATH_B"
    SCENE_ID_B = "SCENE_ID_B"

    def name(self):
        return "waterchange"

    def displayName(self):
        return "Water change"

    def shortHelpString(self):
        return (
            "Maps water at two dates on the Waterline server and loads where it changed: polygons with class "
            "permanent (water at both dates), gained (dry at A, water at B), lost (water at A, dry at B) or unknown "
            "(one date has no data there), each with area_m2, styled by class. Date B may have any CRS and "
            "resolution (the server puts it on date A's grid). The per-class areas (km², % of the area both "
            "dates cover) are printed in the log. Each raster is uploaded, or given as a path inside the server's "
            "data directory. Cancel cancels the job on the server."
        )

    def initAlgorithm(self, config=None):
        self.addParameter(QgsProcessingParameterRasterLayer(
            self.INPUT, "Date A raster (file-based GeoTIFF, uploaded)", optional=True))
        self.addParameter(QgsProcessingParameterString(
            self.SERVER_PATH, "…or date A as a scene path inside the server's data directory", optional=True))
        self.addParameter(QgsProcessingParameterRasterLayer(
            self.INPUT_B, "Date B raster (file-based GeoTIFF, uploaded)", optional=True))
        self.addParameter(QgsProcessingParameterString(
            self.SERVER_PATH_B, "…or date B as a scene path inside the server's data directory", optional=True))
        self._add_job_parameters(
            model="Model name (empty: the server's default, auto; a name from the server's GET /models)",
            band_roles="Band roles of both rasters when the files do not describe their bands (e.g. "
            "green=2,nir=4,swir1=5; empty: from the files)",
            threshold="Water probability threshold (both dates)",
            min_area="Minimum polygon area (m²; empty: the server's default)",
            output="Water change")
        self.addOutput(QgsProcessingOutputString(self.SCENE_ID, "Waterline scene id of date A"))
        self.addOutput(QgsProcessingOutputString(self.SCENE_ID_B, "Waterline scene id of date B"))

    def processAlgorithm(self, parameters, context, feedback):
        client = self._client()
        layer_a = self.parameterAsRasterLayer(parameters, self.INPUT, context)
        layer_b = self.parameterAsRasterLayer(parameters, self.INPUT_B, context)
        path_a = (self.parameterAsString(parameters, self.SERVER_PATH, context) or "").strip()
        path_b = (self.parameterAsString(parameters, self.SERVER_PATH_B, context) or "").strip()
        model, options = self._job_options(parameters, context)
        if layer_a is None and not path_a or layer_b is None and not path_b:
            raise QgsProcessingException(
                "Water change needs two rasters: date A and date B (GeoTIFF files, or scene paths in the server's "
                "data directory)")
        scenes = []

        def start():
            for label, layer, path in (("A", layer_a, path_a), ("B", layer_b, path_b)):
                scene = self._scene(client, layer, path, feedback)
                feedback.pushInfo("Waterline scene {} ({}) is date {}".format(scene["id"], scene.get("name", ""), label))
                scenes.append(scene["id"])
            return client.start_change_job(scenes[0], scenes[1], model=model, options=options)

        job_id, raw = self._run_job(client, start, "Downloading water change polygons", feedback)
        self._report_summary(raw, feedback)
        dest_id = self._write_polygons(parameters, context, feedback, raw, job_id, layer_a, "change")
        if context.willLoadLayerOnCompletion(dest_id):
            context.layerToLoadOnCompletionDetails(dest_id).setPostProcessor(ChangeStyler.shared())
        feedback.setProgress(100)
        return {self.OUTPUT: dest_id, self.JOB_ID: job_id, self.SCENE_ID: scenes[0], self.SCENE_ID_B: scenes[1]}

    @staticmethod
    def _report_summary(raw, feedback):
        """The server's per-class table (waterline.summary) in the log."""
        try:
            summary = (json.loads(raw.decode("utf-8")).get("waterline") or {}).get("summary") or {}
        except (ValueError, AttributeError):
            return
        for c in summary.get("classes") or []:
            share = c.get("percentOfCommonValid")
            feedback.pushInfo("{:<10} {:>12.4f} km²{}".format(
                c.get("class", "?"), float(c.get("areaKm2") or 0), "" if share is None else "  {:6.2f} %".format(share)))
        if "commonValidKm2" in summary:
            feedback.pushInfo("common valid area {:.4f} km²; water A {:.4f} km², water B {:.4f} km²".format(
                summary["commonValidKm2"], summary.get("waterAKm2", 0), summary.get("waterBKm2", 0)))
