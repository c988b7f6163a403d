"""Processing algorithm *Segment water*: send a raster to Waterline, run a job, load the water polygons."""

import json
import os
import time

from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsCoordinateTransform,
    QgsFeature,
    QgsFeatureSink,
    QgsProcessing,
    QgsProcessingException,
    QgsProcessingOutputString,
    QgsProcessingParameterCrs,
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterNumber,
    QgsProcessingParameterRasterLayer,
    QgsProcessingParameterString,
    QgsProcessingUtils,
    QgsVectorLayer,
    QgsWkbTypes,
)

from ..client import TERMINAL_STATES, WaterlineClientError, job_progress
from .waterline_algorithm import WaterlineAlgorithm

POLL_INTERVAL_S = 0.5
# the FLIP_VIEWS choices, as the job option `flipViews` takes them (1: off)
FLIP_VIEW_COUNTS = (1, 2, 4)
WGS84 = "EPSG:4326"


class UploadCancelled(Exception):
    pass


class SegmentWaterAlgorithm(WaterlineAlgorithm):
    INPUT = "INPUT"
    SERVER_PATH = "SERVER_PATH"
    PROMPT = "PROMPT"
    MODEL = "MODEL"
    THRESHOLD = "THRESHOLD"
    MIN_AREA = "MIN_AREA"
    BAND_ROLES = "BAND_ROLES"
    FLIP_VIEWS = "FLIP_VIEWS"
    OUTPUT_CRS = "OUTPUT_CRS"
    OUTPUT = "OUTPUT"
    JOB_ID = "JOB_ID"
    SCENE_ID = "SCENE_ID"

    def name(self):
        return "segmentwater"

    def displayName(self):
        return "Segment water"

    def shortHelpString(self):
        return (
            "Sends a raster layer to the Waterline server (uploads the GeoTIFF file, or registers a file that "
            "is already in the server's data directory), runs a segmentation job and outputs the water "
            "polygons, reprojected from WGS84 to the project CRS (or the chosen output CRS). Cancel cancels "
            "the job on the server. Configure the server under Plugins → Waterline → Settings."
        )

    def initAlgorithm(self, config=None):
        self.addParameter(QgsProcessingParameterRasterLayer(
            self.INPUT, "Raster layer (file-based GeoTIFF, uploaded)", optional=True))
        self.addParameter(QgsProcessingParameterString(
            self.SERVER_PATH, "…or a scene path inside the server's data directory (registered, not uploaded)",
            optional=True))
        self.addParameter(QgsProcessingParameterString(self.PROMPT, "Prompt", defaultValue="segment water"))
        self._add_job_parameters(
            model="Model name (empty: the server's default, auto; a name from the server's GET /models, e.g. "
            "waterline-spectral, waterline-unet)",
            band_roles="Band roles when the file does not describe its bands (e.g. green=2,nir=4,swir1=5; empty: "
            "from the file)",
            threshold="Water probability threshold",
            min_area="Minimum polygon area (m²; empty: the server's default, 4.5 pixels of the scene)",
            output="Water")
        self.addOutput(QgsProcessingOutputString(self.SCENE_ID, "Waterline scene id"))

    # ------------------------------------------------------------------
    def processAlgorithm(self, parameters, context, feedback):
        client = self._client()
        layer = self.parameterAsRasterLayer(parameters, self.INPUT, context)
        server_path = (self.parameterAsString(parameters, self.SERVER_PATH, context) or "").strip()
        prompt = self.parameterAsString(parameters, self.PROMPT, context) or None
        model, options = self._job_options(parameters, context)
        scene = {}

        def start():
            scene.update(self._scene(client, layer, server_path, feedback))
            feedback.pushInfo("Waterline scene {} ({})".format(scene["id"], scene.get("name", "")))
            return client.start_job(scene["id"], prompt=prompt, model=model, options=options)

        job_id, raw = self._run_job(client, start, "Downloading water polygons", feedback)
        dest_id = self._write_polygons(parameters, context, feedback, raw, job_id, layer, "water")
        feedback.setProgress(100)
        return {self.OUTPUT: dest_id, self.JOB_ID: job_id, self.SCENE_ID: scene["id"]}

    # ------------------------------------------------------------------
    def _add_job_parameters(self, model, band_roles, threshold, min_area, output):
        """The job parameters ``_job_options`` reads (MODEL, BAND_ROLES, THRESHOLD, MIN_AREA, FLIP_VIEWS), OUTPUT_CRS, the
        OUTPUT sink and the JOB_ID output, with these labels."""
        self.addParameter(QgsProcessingParameterString(self.MODEL, model, optional=True))
        self.addParameter(QgsProcessingParameterString(self.BAND_ROLES, band_roles, optional=True))
        self.addParameter(QgsProcessingParameterNumber(
            self.THRESHOLD, threshold, QgsProcessingParameterNumber.Double,
            defaultValue=0.5, minValue=0.0, maxValue=1.0))
        self.addParameter(QgsProcessingParameterNumber(
            self.MIN_AREA, min_area, QgsProcessingParameterNumber.Double,
            defaultValue=None, minValue=0.0, optional=True))
        # a count, as --flip-views and the job option take it (an enum would take list positions in scripts)
        self.addParameter(QgsProcessingParameterNumber(
            self.FLIP_VIEWS, "Flip views: 1 (off), 2 (and mirrored left-right) or 4 (and top-bottom); the learned "
            "model's probabilities are averaged over them (a little better water, N times the model's time)",
            QgsProcessingParameterNumber.Integer, defaultValue=1, minValue=1, maxValue=4))
        self.addParameter(QgsProcessingParameterCrs(
            self.OUTPUT_CRS, "Output CRS (empty: the project CRS)", optional=True))
        self.addParameter(QgsProcessingParameterFeatureSink(self.OUTPUT, output, QgsProcessing.TypeVectorPolygon))
        self.addOutput(QgsProcessingOutputString(self.JOB_ID, "Waterline job id"))

    def _job_options(self, parameters, context):
        """``(model or None, job options)`` from the MODEL, THRESHOLD, MIN_AREA, BAND_ROLES and FLIP_VIEWS parameters
        (``flipViews`` only when more than one view is asked for)."""
        model = (self.parameterAsString(parameters, self.MODEL, context) or "").strip() or None
        flip_views = self.parameterAsInt(parameters, self.FLIP_VIEWS, context)
        if flip_views not in FLIP_VIEW_COUNTS:
            raise QgsProcessingException("Flip views {} is not one of {}: 1 turns it off, 2 adds each tile mirrored "
                                         "left-right, 4 also top-bottom".format(flip_views, ", ".join(map(str, FLIP_VIEW_COUNTS))))
        threshold = self.parameterAsDouble(parameters, self.THRESHOLD, context)
        min_area = (self.parameterAsDouble(parameters, self.MIN_AREA, context)
                    if parameters.get(self.MIN_AREA) not in (None, "") else None)
        band_roles = (self.parameterAsString(parameters, self.BAND_ROLES, context) or "").strip()
        options = dict({"threshold": threshold},
                       **({"minArea": min_area} if min_area is not None else {}),
                       **({"bandRoles": band_roles} if band_roles else {}),
                       **({"flipViews": flip_views} if flip_views > 1 else {}))
        return model, options

    def _run_job(self, client, start, download_text, feedback):
        """``start()`` (sends the scenes, starts the job and returns its document), then wait for the job and
        download its polygons: ``(job id, raw GeoJSON bytes)``. Client errors and answers lacking a field
        become Processing errors."""
        try:
            job = start()
            job_id = job["id"]
            feedback.pushInfo("Waterline job {} started on {}".format(job_id, client.base_url))
            job = self._wait(client, job, feedback)
            feedback.setProgressText(download_text)
            raw = client.water_geojson_bytes(job_id)
            self._check_failed_tiles(job, raw, feedback)
        except WaterlineClientError as err:
            raise QgsProcessingException(str(err))
        except KeyError as err:
            raise QgsProcessingException(
                "Waterline server answer lacks the field {}; is {} a Waterline server of a matching version?".format(
                    err, client.base_url))
        return job_id, raw

    def _write_polygons(self, parameters, context, feedback, raw, job_id, layer, noun):
        """The job's polygons (WGS84 GeoJSON ``raw``) into the OUTPUT sink, reprojected to the output CRS
        (``layer``'s when neither the parameter nor the project gives one); the sink's id."""
        src = self._open_geojson(raw, job_id)
        dest_crs = self._output_crs(parameters, context, layer)
        (sink, dest_id) = self.parameterAsSink(
            parameters, self.OUTPUT, context, src.fields(), QgsWkbTypes.MultiPolygon, dest_crs)
        if sink is None:
            raise QgsProcessingException(self.invalidSinkError(parameters, self.OUTPUT))
        count = self._copy_features(src, sink, dest_crs, context, feedback)
        feedback.pushInfo("{} {} polygon(s) in {}".format(count, noun, dest_crs.authid() or dest_crs.description()))
        return dest_id

    # ------------------------------------------------------------------
    def _scene(self, client, layer, server_path, feedback):
        if server_path:
            feedback.setProgressText("Registering {} on the server".format(server_path))
            return client.register_scene(server_path)
        if layer is None:
            raise QgsProcessingException(
                "Segment water needs a raster layer (a GeoTIFF file) or a scene path in the server's data directory")
        path = raster_file_path(layer)
        if path is not None and not path.lower().endswith((".tif", ".tiff")):
            raise QgsProcessingException(
                "Raster layer {!r} is a {} file, not a GeoTIFF; export it to GeoTIFF first (Raster > Conversion > "
                "Translate, or right-click > Export > Save As... GeoTIFF)".format(
                    layer.name(), os.path.splitext(path)[1].lstrip(".").upper() or "file without extension"))
        if path is None:
            raise QgsProcessingException(
                "Raster layer {!r} is not a local GeoTIFF file (provider {}, source {}); export it to GeoTIFF "
                "first or give a scene path inside the server's data directory".format(
                    layer.name(), layer.providerType(), layer.source()))
        size_mb = os.path.getsize(path) / 1e6
        feedback.setProgressText("Uploading {} ({:.1f} MB)".format(os.path.basename(path), size_mb))

        def on_progress(sent, total):
            if feedback.isCanceled():
                raise UploadCancelled()
            if total:
                feedback.setProgress(10.0 * sent / total)

        try:
            return client.upload_scene(path, on_progress=on_progress)
        except UploadCancelled:
            raise QgsProcessingException("Cancelled during the upload of {}".format(path))

    def _wait(self, client, job, feedback):
        """Poll the job until it finishes, mirroring progress; Cancel cancels the job on the server."""
        job_id = job["id"]
        feedback.setProgressText("Segmenting (job {})".format(job_id))
        last = None
        while True:
            state = job.get("state")
            done, total, fraction = job_progress(job)
            if fraction is not None:
                feedback.setProgress(10.0 + 85.0 * fraction)
            if (done, total, state) != last:
                feedback.pushInfo("job {}: {} — tiles {}/{}".format(job_id, state, done, total))
                last = (done, total, state)
            if state in TERMINAL_STATES:
                break
            if self._sleep_or_cancel(feedback):
                try:
                    client.cancel_job(job_id)
                    feedback.pushInfo("Cancelled Waterline job {}".format(job_id))
                except WaterlineClientError as err:
                    feedback.reportError("Could not cancel Waterline job {}: {}".format(job_id, err))
                raise QgsProcessingException("Cancelled: Waterline job {} was cancelled".format(job_id))
            job = client.get_job(job_id)
        if state != "succeeded":
            reason = job.get("error")
            if isinstance(reason, dict):
                reason = reason.get("detail") or reason.get("title") or reason.get("message")
            raise QgsProcessingException("Waterline job {} {}{}".format(
                job_id, state, ": {}".format(reason) if reason else ""))
        return job

    @staticmethod
    def _check_failed_tiles(job, raw, feedback):
        """Tiles the server could not segment leave gaps: warn, or fail when no tile succeeded."""
        progress = job.get("progress") or {}
        failed = int(progress.get("tilesFailed") or 0)
        total = int(progress.get("tilesTotal") or 0)
        if failed <= 0:
            return
        first = ""
        try:
            meta = json.loads(raw.decode("utf-8")).get("waterline") or {}
            tiles = meta.get("failedTiles") or []
            if tiles:
                first = " (first: {})".format(tiles[0].get("error") or tiles[0])
        except (ValueError, AttributeError):
            pass
        message = "{} of {} tiles failed on the Waterline server{}".format(failed, total, first)
        skipped = int(progress.get("tilesSkipped") or 0)
        if total and failed >= total - skipped:
            raise WaterlineClientError(message + "; no water could be mapped — check the server log and model")
        feedback.reportError(message + "; the water layer has gaps there")

    @staticmethod
    def _sleep_or_cancel(feedback):
        deadline = time.monotonic() + POLL_INTERVAL_S
        while time.monotonic() < deadline:
            if feedback.isCanceled():
                return True
            time.sleep(0.05)
        return feedback.isCanceled()

    def _output_crs(self, parameters, context, layer):
        crs = self.parameterAsCrs(parameters, self.OUTPUT_CRS, context)
        if crs.isValid():
            return crs
        project = context.project()
        if project is not None and project.crs().isValid():
            return project.crs()
        if layer is not None and layer.crs().isValid():
            return layer.crs()
        return QgsCoordinateReferenceSystem(WGS84)

    def _open_geojson(self, raw, job_id):
        path = os.path.join(QgsProcessingUtils.tempFolder(), "waterline-{}-water.geojson".format(job_id))
        with open(path, "wb") as fh:
            fh.write(raw)
        src = QgsVectorLayer(path, "water", "ogr")
        if not src.isValid():
            raise QgsProcessingException(
                "Waterline job {} returned water.geojson that OGR cannot read (saved at {})".format(job_id, path))
        return src

    def _copy_features(self, src, sink, dest_crs, context, feedback):
        transform = QgsCoordinateTransform(QgsCoordinateReferenceSystem(WGS84), dest_crs, context.transformContext())
        count = 0
        for feature in src.getFeatures():
            if feedback.isCanceled():
                break
            out = QgsFeature(feature)
            geom = out.geometry()
            if geom is not None and not geom.isNull():
                geom.convertToMultiType()
                geom.transform(transform)
                out.setGeometry(geom)
            sink.addFeature(out, QgsFeatureSink.FastInsert)
            count += 1
        return count


def raster_file_path(layer):
    """Local file behind a GDAL raster layer (``path|option`` suffixes stripped), or None."""
    if layer is None or layer.providerType() != "gdal":
        return None
    source = layer.source().split("|")[0]
    if source.startswith("/vsi") or not os.path.isfile(source):
        return None
    return source
