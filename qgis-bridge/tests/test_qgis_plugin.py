"""The plugin inside real headless QGIS (python3-qgis), against the in-process fake server:
processing.run of both algorithms, progress/cancel/error paths, the plugin object with a stub iface,
settings and the settings dialog, and the packaged zip."""

import os
import shutil
import socket
import subprocess
import sys
import textwrap
import tempfile
import unittest
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

try:
    import qgis_env

    qgis_env.start()
    HAVE_QGIS = True
except ImportError as err:  # python3-qgis absent
    HAVE_QGIS = False
    WHY = "python3-qgis is not installed ({}); install Debian's python3-qgis".format(err)

from fake_server import WATER, FakeWaterline  # noqa: E402

if HAVE_QGIS:
    import processing
    from osgeo import gdal, osr
    from qgis.core import (
        Qgis,
        QgsApplication,
        QgsCoordinateReferenceSystem,
        QgsDistanceArea,
        QgsGeometry,
        QgsProcessingException,
        QgsProcessingFeedback,
        QgsProject,
        QgsRasterLayer,
        QgsVectorLayer,
    )

    from waterline import settings as wl_settings
    from waterline.client import WaterlineClient
    from waterline.provider import WaterlineProvider

    class RecordingFeedback(QgsProcessingFeedback):
        """Keeps what the algorithm reported; optionally cancels when a message contains ``cancel_on``."""

        def __init__(self, cancel_on=None):
            super().__init__()
            self.infos, self.errors, self.progress = [], [], []
            self.cancel_on = cancel_on
            self.progressChanged.connect(self.progress.append)

        def pushInfo(self, info):  # noqa: N802
            self.infos.append(info)
            if self.cancel_on and self.cancel_on in info:
                self.cancel()

        def reportError(self, error, fatalError=False):  # noqa: N802, N803
            self.errors.append(error)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_utm_raster(path):
    """A 64x64 3-band GeoTIFF in EPSG:32618 around (-75.69, 45.41) — where the fake's water lies."""
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(32618)
    ds = gdal.GetDriverByName("GTiff").Create(path, 64, 64, 3, gdal.GDT_Byte)
    ds.SetGeoTransform((443000.0, 60.0, 0.0, 5031000.0, 0.0, -60.0))
    ds.SetProjection(srs.ExportToWkt())
    for b in range(1, 4):
        ds.GetRasterBand(b).Fill(40 * b)
    ds = None


@unittest.skipUnless(HAVE_QGIS, "" if HAVE_QGIS else WHY)
class QgisPluginTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        from waterline.algorithms import segment_water

        segment_water.POLL_INTERVAL_S = 0.05  # the fake answers at once; keep the suite fast
        cls.fake = FakeWaterline(api_key="k").__enter__()
        cls.target = {"url": cls.fake.url, "key": "k"}
        cls.add_test_provider()
        cls.tmp = tempfile.mkdtemp(prefix="waterline-plugin-test-", dir=qgis_env.tmp_dir())
        cls.raster = os.path.join(cls.tmp, "scene.tif")
        write_utm_raster(cls.raster)

    @classmethod
    def add_test_provider(cls):
        # The registry owns (and deletes) removed providers, so each registration gets a new object.
        cls.provider = WaterlineProvider(lambda: WaterlineClient(cls.target["url"], cls.target["key"], timeout=5))
        assert QgsApplication.processingRegistry().addProvider(cls.provider)

    @classmethod
    def tearDownClass(cls):
        QgsApplication.processingRegistry().removeProvider(cls.provider)
        cls.fake.__exit__()

    def setUp(self):
        self.fake.polls_to_finish = 3
        self.fake.job_final_state = "succeeded"
        self.fake.job_error = None
        self.fake.fail_jobs_with = None
        self.fake.tiles_failed = 0
        self.target.update(url=self.fake.url, key="k")
        QgsProject.instance().clear()
        QgsProject.instance().setCrs(QgsCoordinateReferenceSystem("EPSG:32618"))

    def run_segment(self, feedback=None, **params):
        out = os.path.join(self.tmp, "water-{}.gpkg".format(len(os.listdir(self.tmp))))
        base = {"INPUT": self.raster, "PROMPT": "segment water", "THRESHOLD": 0.4, "MIN_AREA": 50, "OUTPUT": out}
        base.update(params)
        return processing.run("waterline:segmentwater", base, feedback=feedback or RecordingFeedback())

    def failing_segment(self, **params):
        feedback = params.pop("feedback", None) or RecordingFeedback()
        with self.assertRaises(QgsProcessingException) as ctx:
            self.run_segment(feedback=feedback, **params)
        # processing.run re-raises the algorithm's own QgsProcessingException (the text users see)
        return " | ".join([str(ctx.exception)] + feedback.errors)

    # ---------------------------------------------------------------- Segment water
    def test_provider_lists_both_algorithms(self):
        ids = sorted(a.id() for a in self.provider.algorithms())
        self.assertEqual(ids, ["waterline:addlayers", "waterline:segmentwater", "waterline:waterchange"])
        self.assertEqual(self.provider.name(), "Waterline")

    def test_segment_water_uploads_polls_and_outputs_water_in_project_crs(self):
        feedback = RecordingFeedback()
        n_uploads = len(self.fake.uploads)
        result = self.run_segment(feedback=feedback, MODEL="waterline-unet")
        self.assertEqual(self.fake.uploads[n_uploads:], [{
            "name": "scene.tif", "bytes": os.path.getsize(self.raster), "content_type": "image/tiff"}])
        job = self.fake.jobs[result["JOB_ID"]]
        self.assertEqual(job["request"], {"scene": result["SCENE_ID"], "prompt": "segment water",
                                          "model": "waterline-unet", "options": {"threshold": 0.4, "minArea": 50.0}})
        self.assertTrue(any("tiles 6/6" in i for i in feedback.infos), feedback.infos)
        self.assertTrue(any("tiles 2/6" in i for i in feedback.infos), feedback.infos)
        self.assertEqual(feedback.progress[-1], 100)
        self.assertEqual(feedback.progress, sorted(feedback.progress))  # monotonic

        layer = QgsVectorLayer(result["OUTPUT"], "water", "ogr")
        self.assertTrue(layer.isValid())
        self.assertEqual(layer.crs().authid(), "EPSG:32618")
        self.assertEqual(layer.featureCount(), len(WATER["features"]))
        self.assertIn("area_m2", layer.fields().names())
        feats = sorted(layer.getFeatures(), key=lambda f: f["area_m2"], reverse=True)
        # first vertex (-75.70, 45.40) transformed independently with GDAL/OSR
        wgs, utm = osr.SpatialReference(), osr.SpatialReference()
        wgs.ImportFromEPSG(4326)
        utm.ImportFromEPSG(32618)
        wgs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
        x, y, _ = osr.CoordinateTransformation(wgs, utm).TransformPoint(-75.70, 45.40)
        vertex = feats[0].geometry().vertexAt(0)
        self.assertAlmostEqual(vertex.x(), x, delta=0.01)
        self.assertAlmostEqual(vertex.y(), y, delta=0.01)
        # planar UTM area ≈ ellipsoidal area of the WGS84 polygon (within 0.5 %)
        da = QgsDistanceArea()
        da.setSourceCrs(QgsCoordinateReferenceSystem("EPSG:4326"), QgsProject.instance().transformContext())
        da.setEllipsoid("WGS84")
        wgs_geom = QgsGeometry.fromWkt("POLYGON((-75.70 45.40,-75.69 45.40,-75.69 45.41,-75.70 45.41,-75.70 45.40))")
        self.assertAlmostEqual(feats[0].geometry().area() / da.measureArea(wgs_geom), 1.0, delta=0.005)
        self.assertEqual(QgsGeometry(feats[1].geometry()).wkbType(), 6)  # MultiPolygon

    # ---------------------------------------------------------------- Water change
    def test_water_change_starts_one_job_with_both_scenes_and_outputs_the_classed_layer(self):
        from waterline.algorithms.water_change import CLASS_COLOURS, apply_change_style

        feedback = RecordingFeedback()
        n_uploads = len(self.fake.uploads)
        out = os.path.join(self.tmp, "change-{}.gpkg".format(len(os.listdir(self.tmp))))
        result = processing.run("waterline:waterchange", {
            "INPUT": self.raster, "INPUT_B": self.raster, "THRESHOLD": 0.4, "MIN_AREA": 0,
            "BAND_ROLES": "red=1,green=2,nir=3", "FLIP_VIEWS": 2, "OUTPUT": out}, feedback=feedback)
        self.assertEqual(len(self.fake.uploads) - n_uploads, 2)  # date A and date B
        job = self.fake.jobs[result["JOB_ID"]]
        self.assertEqual(job["request"], {"kind": "change", "scenes": [result["SCENE_ID"], result["SCENE_ID_B"]],
                                          "options": {"threshold": 0.4, "minArea": 0.0, "bandRoles": "red=1,green=2,nir=3",
                                                      "flipViews": 2}})
        self.assertNotEqual(result["SCENE_ID"], result["SCENE_ID_B"])
        self.assertEqual(feedback.progress[-1], 100)
        # the server's per-class table reaches the log
        self.assertTrue(any(i.startswith("permanent") and "0.0012 km²" in i and "0.12 %" in i for i in feedback.infos),
                        feedback.infos)
        layer = QgsVectorLayer(result["OUTPUT"], "change", "ogr")
        self.assertTrue(layer.isValid())
        self.assertEqual(layer.crs().authid(), "EPSG:32618")
        self.assertEqual(sorted(f["class"] for f in layer.getFeatures()), ["gained", "permanent"])
        self.assertIn("area_m2", layer.fields().names())
        apply_change_style(layer)
        renderer = layer.renderer()
        self.assertEqual(renderer.type(), "categorizedSymbol")
        self.assertEqual(renderer.classAttribute(), "class")
        categories = renderer.categories()  # keep the copies alive while reading their symbols
        self.assertEqual([c.value() for c in categories], list(CLASS_COLOURS))
        self.assertEqual(categories[2].symbol().color().getRgb()[:3], CLASS_COLOURS["lost"])

    def test_water_change_run_from_a_script_loads_the_classed_style(self):
        # processing.runAndLoadResults deletes the algorithm copy before it loads the layer: the style must survive it
        result = processing.runAndLoadResults("waterline:waterchange", {
            "INPUT": self.raster, "INPUT_B": self.raster, "THRESHOLD": 0.4, "MIN_AREA": 0,
            "OUTPUT": "TEMPORARY_OUTPUT"}, feedback=RecordingFeedback())
        layer = QgsProject.instance().mapLayer(result["OUTPUT"])
        self.assertIsNotNone(layer)
        self.assertEqual(layer.renderer().type(), "categorizedSymbol")
        self.assertEqual(layer.renderer().classAttribute(), "class")

    def test_water_change_needs_both_dates(self):
        with self.assertRaises(QgsProcessingException) as ctx:
            processing.run("waterline:waterchange", {"INPUT": self.raster, "OUTPUT": "memory:"},
                           feedback=RecordingFeedback())
        self.assertIn("needs two rasters", str(ctx.exception))

    def test_no_water_gives_an_empty_polygon_layer(self):
        self.fake.water = {"type": "FeatureCollection", "features": []}
        self.addCleanup(setattr, self.fake, "water", WATER)
        layer = QgsVectorLayer(self.run_segment()["OUTPUT"], "water", "ogr")
        self.assertTrue(layer.isValid())
        self.assertEqual(layer.featureCount(), 0)
        self.assertEqual(layer.crs().authid(), "EPSG:32618")

    def test_output_crs_parameter_overrides_the_project(self):
        result = self.run_segment(OUTPUT_CRS="EPSG:3857")
        layer = QgsVectorLayer(result["OUTPUT"], "water", "ogr")
        self.assertEqual(layer.crs().authid(), "EPSG:3857")
        self.assertGreater(abs(layer.extent().xMinimum()), 8e6)  # Web Mercator metres, not degrees

    def test_server_path_is_registered_not_uploaded(self):
        n_uploads = len(self.fake.uploads)
        result = self.run_segment(INPUT=None, SERVER_PATH="scenes/ottawa.tif")
        self.assertEqual(len(self.fake.uploads), n_uploads)
        self.assertEqual(self.fake.scenes[result["SCENE_ID"]]["name"], "scenes/ottawa.tif")

    def test_cancel_cancels_the_job_on_the_server(self):
        self.fake.polls_to_finish = None  # runs until cancelled
        feedback = RecordingFeedback(cancel_on="tiles 2/6")
        errors = self.failing_segment(feedback=feedback)
        self.assertIn("cancelled", errors)
        job_id = sorted(self.fake.jobs, key=lambda j: int(j[1:]))[-1]
        self.assertEqual(self.fake.cancelled[-1], job_id)
        self.assertEqual(self.fake.jobs[job_id]["state"], "cancelled")

    def test_server_error_message_reaches_processing(self):
        self.fake.fail_jobs_with = (422, "model 'big' is not installed; run waterline models pull big")
        errors = self.failing_segment(MODEL="big")
        self.assertIn("model 'big' is not installed", errors)
        self.assertIn("HTTP 422", errors)

    def test_failed_job_reports_the_jobs_error(self):
        self.fake.job_final_state = "failed"
        self.fake.job_error = "tile r2c3 failed twice: out of memory"
        errors = self.failing_segment()
        self.assertIn("failed: tile r2c3 failed twice: out of memory", errors)

    def test_failed_tiles_warn_and_all_failed_is_an_error(self):
        self.fake.tiles_failed = 2
        feedback = RecordingFeedback()
        result = self.run_segment(feedback=feedback)
        self.assertEqual(QgsVectorLayer(result["OUTPUT"], "w", "ogr").featureCount(), 2)
        self.assertIn("2 of 6 tiles failed on the Waterline server (first: tile r0c0: decoder exploded); "
                      "the water layer has gaps there", feedback.errors)
        self.fake.tiles_failed = 6
        errors = self.failing_segment()
        self.assertIn("6 of 6 tiles failed", errors)
        self.assertIn("no water could be mapped", errors)

    def test_unreachable_server(self):
        self.target["url"] = "http://127.0.0.1:{}".format(free_port())
        errors = self.failing_segment()
        self.assertIn("unreachable", errors)

    def test_wrong_api_key(self):
        self.target["key"] = "nope"
        errors = self.failing_segment()
        self.assertIn("API key", errors)

    def test_non_file_raster_is_refused_with_advice(self):
        xyz = QgsRasterLayer("type=xyz&url=http://127.0.0.1:9/%7Bz%7D/%7Bx%7D/%7By%7D.png", "xyz", "wms")
        errors = self.failing_segment(INPUT=xyz)
        self.assertIn("not a local GeoTIFF file", errors)
        errors = self.failing_segment(INPUT=None)
        self.assertIn("needs a raster layer", errors)

    def test_a_non_tiff_raster_file_is_refused_before_upload(self):
        png = os.path.join(self.tmp, "scene copy.png")
        gdal.Translate(png, self.raster, format="PNG").FlushCache()  # the returned dataset closes here, not at exit
        n_uploads = len(self.fake.uploads)
        errors = self.failing_segment(INPUT=png)  # a path: the Processing context owns the layer it loads
        self.assertIn("is a PNG file, not a GeoTIFF; export it to GeoTIFF first", errors)
        self.assertEqual(len(self.fake.uploads), n_uploads)

    def test_a_file_name_with_spaces_and_accents_uploads(self):
        named = os.path.join(self.tmp, "Grenada scène (2020).tif")
        shutil.copy(self.raster, named)
        result = self.run_segment(INPUT=named)
        self.assertEqual(self.fake.scenes[result["SCENE_ID"]]["name"], "Grenada_scene_2020.tif")

    def test_flip_views_is_a_count(self):
        result = self.run_segment(FLIP_VIEWS=4)
        self.assertEqual(self.fake.jobs[result["JOB_ID"]]["request"]["options"]["flipViews"], 4)
        self.assertIn("Flip views 3 is not one of 1, 2, 4", self.failing_segment(FLIP_VIEWS=3))

    # ---------------------------------------------------------------- Add layers
    def test_add_layers_adds_oapif_and_xyz_layers(self):
        result = self.run_segment()
        job_id, scene_id = result["JOB_ID"], result["SCENE_ID"]
        added = processing.run("waterline:addlayers", {"JOB_ID": job_id}, feedback=RecordingFeedback())
        project = QgsProject.instance()
        features = project.mapLayer(added["FEATURES_LAYER"])
        self.assertEqual(features.providerType(), "OAPIF")
        self.assertTrue(features.isValid())
        self.assertEqual(features.featureCount(), len(WATER["features"]))
        water_tiles = project.mapLayer(added["WATER_TILES_LAYER"])
        scene_tiles = project.mapLayer(added["SCENE_TILES_LAYER"])
        self.assertEqual(water_tiles.providerType(), "wms")
        self.assertIn("type=xyz", water_tiles.source())
        self.assertIn("/jobs/{}/tiles/".format(job_id), water_tiles.dataProvider().dataSourceUri().replace(
            "%2F", "/"))
        self.assertIn("/scenes/{}/tiles/".format(scene_id), scene_tiles.source().replace("%2F", "/"))

    def test_add_layers_styles_a_change_job_by_class(self):
        result = processing.run("waterline:waterchange", {
            "INPUT": self.raster, "INPUT_B": self.raster, "OUTPUT": "memory:"}, feedback=RecordingFeedback())
        added = processing.run("waterline:addlayers", {"JOB_ID": result["JOB_ID"], "ADD_WATER_TILES": False,
                                                       "ADD_SCENE_TILES": False}, feedback=RecordingFeedback())
        features = QgsProject.instance().mapLayer(added["FEATURES_LAYER"])
        self.assertEqual(features.providerType(), "OAPIF")
        self.assertEqual(features.name(), "Waterline water change {}".format(result["JOB_ID"]))
        self.assertEqual(sorted(f["class"] for f in features.getFeatures()), ["gained", "permanent"])
        self.assertEqual(features.renderer().type(), "categorizedSymbol")
        self.assertEqual(features.renderer().classAttribute(), "class")

    def test_add_layers_for_an_unfinished_or_unknown_job(self):
        feedback = RecordingFeedback()
        with self.assertRaises(QgsProcessingException) as ctx:
            processing.run("waterline:addlayers", {"JOB_ID": "j999"}, feedback=feedback)
        self.assertIn("no job j999", str(ctx.exception))
        result = self.run_segment(INPUT=None, SERVER_PATH="a.tif", feedback=RecordingFeedback())
        self.fake.jobs[result["JOB_ID"]]["state"] = "running"
        self.fake.polls_to_finish = None  # stays running
        with self.assertRaises(QgsProcessingException) as ctx:
            processing.run("waterline:addlayers", {"JOB_ID": result["JOB_ID"]}, feedback=feedback)
        self.assertIn("is running; its layers exist once it has succeeded", str(ctx.exception))

    # ---------------------------------------------------------------- plugin, settings, packaging
    def test_plugin_registers_provider_menu_and_reports_server_state(self):
        from waterline import classFactory

        iface = StubIface()
        QgsApplication.processingRegistry().removeProvider(self.provider)
        self.addCleanup(type(self).add_test_provider)
        plugin = classFactory(iface)
        plugin.initGui()
        try:
            registered = QgsApplication.processingRegistry().providerById("waterline")
            self.assertIsNotNone(registered)
            self.assertEqual(len(registered.algorithms()), 3)
            self.assertEqual([a.text() for _, a in iface.menu], ["Segment water…", "Water change…",
                                                                  "Check server connection", "Settings…"])
            wl_settings.save(self.fake.url, "k")
            self.assertTrue(plugin.check_server())
            self.assertEqual(iface.bar.messages[-1][2], Qgis.Success)
            self.assertIn("model fake on cpu", iface.bar.messages[-1][1])
            wl_settings.save(self.fake.url, "wrong")  # reads need no key: the check must still catch it
            self.assertFalse(plugin.check_server())
            self.assertIn("API key in Waterline settings", iface.bar.messages[-1][1])
            wl_settings.save("http://127.0.0.1:{}".format(free_port()), "")
            self.assertFalse(plugin.check_server())
            title, text, level = iface.bar.messages[-1]
            self.assertEqual((title, level), ("Waterline", Qgis.Critical))
            self.assertIn("unreachable", text)
            wl_settings.save("not a url", "")
            self.assertFalse(plugin.check_server())
            self.assertIn("not an http(s) URL", iface.bar.messages[-1][1])
        finally:
            plugin.unload()
        self.assertIsNone(QgsApplication.processingRegistry().providerById("waterline"))
        self.assertEqual(iface.menu, [])

    def test_settings_round_trip_and_dialog(self):
        from waterline.settings_dialog import SettingsDialog

        wl_settings.save(" http://example.invalid:1/ ", " key1 ", 12)
        self.assertEqual((wl_settings.server_url(), wl_settings.api_key(), wl_settings.timeout_seconds()),
                         ("http://example.invalid:1/", "key1", 12.0))
        client = wl_settings.client_from_settings()
        self.assertEqual((client.base_url, client.api_key, client.timeout), ("http://example.invalid:1", "key1", 12.0))

        dialog = SettingsDialog()
        self.assertEqual(dialog.url_edit.text(), "http://example.invalid:1/")
        dialog.url_edit.setText(self.fake.url)
        dialog.key_edit.setText("k")
        dialog.key_edit.setText("wrong")
        ok, message = dialog.test_connection()
        self.assertFalse(ok)
        self.assertIn("API key", message)
        dialog.key_edit.setText("k")
        ok, message = dialog.test_connection()
        self.assertTrue(ok, message)
        self.assertIn("model fake", dialog.status_label.text())
        dialog.accept()
        self.assertEqual((wl_settings.server_url(), wl_settings.api_key()), (self.fake.url, "k"))

    def test_package_builds_an_installable_zip(self):
        sys.path.insert(0, qgis_env.BRIDGE)
        import package

        out = os.path.join(self.tmp, "dist", "waterline.zip")
        meta, count = package.build(out)
        with zipfile.ZipFile(out) as zf:
            names = zf.namelist()
            zf.extractall(os.path.join(self.tmp, "installed"))
        self.assertEqual(len(names), count)
        for name in ("waterline/__init__.py", "waterline/metadata.txt", "waterline/icon.png",
                     "waterline/algorithms/segment_water.py"):
            self.assertIn(name, names)
        self.assertFalse([n for n in names if "__pycache__" in n or n.endswith(".pyc")])
        self.assertEqual(meta["qgisMinimumVersion"], "3.22")
        # QGIS's own plugin discovery reads the extracted folder
        import qgis.utils

        found = dict(qgis.utils.findPlugins(os.path.join(self.tmp, "installed")))
        self.assertEqual(found["waterline"].get("general", "qgisMinimumVersion"), "3.22")
        # and QGIS's plugin loader starts it from there (a fresh process: this one imported the source tree)
        probe = textwrap.dedent("""
            import sys, qgis.utils
            sys.path.insert(0, {here!r})
            import qgis_env
            qgis_env.start()
            sys.path.remove(qgis_env.BRIDGE)
            from qgis.core import QgsApplication

            class StubIface:
                def __getattr__(self, name):
                    return lambda *args, **kwargs: None

            qgis.utils.iface = StubIface()
            qgis.utils.plugin_paths = [{installed!r}]
            sys.path.insert(0, {installed!r})
            assert qgis.utils.loadPlugin("waterline"), "loadPlugin failed"
            assert qgis.utils.startPlugin("waterline"), "startPlugin failed"
            import waterline
            assert waterline.__file__.startswith({installed!r}), waterline.__file__
            provider = QgsApplication.processingRegistry().providerById("waterline")
            print("ALGS", sorted(a.id() for a in provider.algorithms()))
            qgis.utils.plugins["waterline"].unload()
            assert QgsApplication.processingRegistry().providerById("waterline") is None
        """).format(here=os.path.dirname(os.path.abspath(__file__)), installed=os.path.join(self.tmp, "installed"))
        done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
        self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
        self.assertIn("ALGS ['waterline:addlayers', 'waterline:segmentwater', 'waterline:waterchange']", done.stdout)


class StubBar:
    def __init__(self):
        self.messages = []

    def pushMessage(self, title, text, level=0, duration=0):  # noqa: N802
        self.messages.append((title, text, level))


class StubIface:
    """The few QgisInterface calls the plugin makes."""

    def __init__(self):
        self.bar = StubBar()
        self.menu = []
        self.toolbar = []

    def mainWindow(self):  # noqa: N802
        return None

    def messageBar(self):  # noqa: N802
        return self.bar

    def addPluginToMenu(self, name, action):  # noqa: N802
        self.menu.append((name, action))

    def removePluginMenu(self, name, action):  # noqa: N802
        self.menu.remove((name, action))

    def addToolBarIcon(self, action):  # noqa: N802
        self.toolbar.append(action)

    def removeToolBarIcon(self, action):  # noqa: N802
        if action in self.toolbar:
            self.toolbar.remove(action)


if __name__ == "__main__":
    unittest.main()
