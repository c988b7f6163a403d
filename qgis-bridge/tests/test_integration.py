"""End to end in real headless QGIS against a real ``waterline serve`` (Node) on a shared scene.

Environment (set by test/qgis/qgisBridge.test.ts; all optional):
  WATERLINE_QGIS_SCENE   scene to segment (default ../shared/data/scenes/landsat8-stlawrence-rgb16-4326-cog.tif:
                         400x200 px, 2 model tiles, EPSG:4326 → reprojected to the EPSG:32618 project)
  WATERLINE_QGIS_MODEL   --model for the server (default: the server's default model)
  WATERLINE_MODELS_DIR   models cache the server reads (e.g. the segmentation VAE for a PaliGemma test model)
  WATERLINE_QGIS_SERVER_URL  use this already running server (started with --api-key qgis-bridge-test-key)
                         instead of starting one
Skips with the reason when QGIS, node, the scene or the `serve` command is absent.
"""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
SHARED = os.environ.get("WATERLINE_SHARED_DIR") or os.path.join(REPO, "..", "shared")
SCENE = os.environ.get("WATERLINE_QGIS_SCENE") or os.path.join(
    SHARED, "data", "scenes", "landsat8-stlawrence-rgb16-4326-cog.tif")
API_KEY = "qgis-bridge-test-key"
START_TIMEOUT_S = 90
JOB_TIMEOUT_S = 240


def why_skip():
    try:
        import qgis_env

        qgis_env.start()
    except ImportError as err:
        return "python3-qgis is not installed ({})".format(err)
    if shutil.which("node") is None:
        return "node is not on PATH"
    if not os.path.isfile(SCENE):
        return "shared scene {} not found (../shared/data beside the checkout, or WATERLINE_SHARED_DIR)".format(SCENE)
    if os.environ.get("WATERLINE_QGIS_SERVER_URL"):
        return None
    if not os.path.isfile(os.path.join(REPO, "src", "cli", "serveCommand.ts")):
        return "this checkout has no `waterline serve` command yet"
    return None


SKIP = why_skip()


class Server:
    """``node bin/waterline.mjs serve --port 0`` in a temporary data directory; URL read from its banner."""

    def __init__(self):
        self.data_dir = tempfile.mkdtemp(prefix="waterline-qgis-serve-")
        args = ["node", os.path.join(REPO, "bin", "waterline.mjs"), "serve", "--port", "0",
                "--data-dir", self.data_dir, "--api-key", API_KEY]
        if os.environ.get("WATERLINE_QGIS_MODEL"):
            args += ["--model", os.environ["WATERLINE_QGIS_MODEL"]]
        env = dict(os.environ, WATERLINE_LOG_LEVEL=os.environ.get("WATERLINE_LOG_LEVEL", "warn"))
        self.proc = subprocess.Popen(args, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.lines = []
        self.url = None
        found = threading.Event()

        def pump():
            for raw in self.proc.stdout:
                line = raw.decode("utf-8", "replace").rstrip()
                self.lines.append(line)
                m = re.search(r"waterline serving (http://\S+)", line)
                if m and not found.is_set():
                    self.url = m.group(1)
                    found.set()
            found.set()

        threading.Thread(target=pump, daemon=True).start()
        if not found.wait(START_TIMEOUT_S) or self.url is None:
            self.stop()
            raise AssertionError("waterline serve did not start: " + self.log())

    def log(self):
        return "\n".join(self.lines[-40:])

    def wait_ready(self):
        deadline = time.monotonic() + START_TIMEOUT_S
        last = None
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.url + "/readyz", timeout=5) as resp:
                    body = json.loads(resp.read())
                    if body.get("status") == "ready":
                        return body
                    last = body
            except urllib.error.HTTPError as err:
                last = err.read().decode("utf-8", "replace")
            except OSError as err:
                last = str(err)
            if self.proc.poll() is not None:
                break
            time.sleep(0.5)
        raise AssertionError("server never became ready: {}\n{}".format(last, self.log()))

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.data_dir, ignore_errors=True)


class ExternalServer(Server):
    """A server someone else started (WATERLINE_QGIS_SERVER_URL)."""

    def __init__(self, url):
        self.url = url.rstrip("/")
        self.lines = ["(external server {}; see its own log)".format(self.url)]
        self.proc = None

    def stop(self):
        pass

    def wait_ready(self):
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            try:
                with urllib.request.urlopen(self.url + "/readyz", timeout=5) as resp:
                    return json.loads(resp.read())
            except OSError:
                if time.monotonic() > deadline:
                    raise


@unittest.skipIf(SKIP is not None, SKIP or "")
class RealServerTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        import qgis_env
        from qgis.core import QgsApplication

        from waterline.client import WaterlineClient
        from waterline.provider import WaterlineProvider

        external = os.environ.get("WATERLINE_QGIS_SERVER_URL")
        cls.server = ExternalServer(external) if external else Server()
        try:
            cls.ready = cls.server.wait_ready()
        except Exception:
            cls.server.stop()
            raise
        cls.tmp = tempfile.mkdtemp(prefix="waterline-qgis-it-", dir=qgis_env.tmp_dir())
        cls.provider = WaterlineProvider(lambda: WaterlineClient(cls.server.url, API_KEY, timeout=60))
        assert QgsApplication.processingRegistry().addProvider(cls.provider)

    @classmethod
    def tearDownClass(cls):
        from qgis.core import QgsApplication

        QgsApplication.processingRegistry().removeProvider(cls.provider)
        cls.server.stop()

    def test_cancel_cancels_the_running_job_on_the_server(self):
        import processing
        from qgis.core import QgsProcessingException, QgsProcessingFeedback

        from waterline.client import WaterlineClient

        ottawa = os.path.join(os.path.dirname(SCENE), "landsat8-ottawa-rgb16-utm18-cog.tif")
        scene = ottawa if os.path.isfile(ottawa) else SCENE  # 16 model tiles: still running when cancelled
        infos = []

        class CancelWhenRunning(QgsProcessingFeedback):
            def pushInfo(self, info):  # noqa: N802
                infos.append(info)
                if ": running" in info:
                    self.cancel()

        with self.assertRaises(QgsProcessingException) as ctx:
            processing.run("waterline:segmentwater", {
                "INPUT": scene, "PROMPT": "segment water", "OUTPUT": "memory:"}, feedback=CancelWhenRunning())
        self.assertIn("cancelled", str(ctx.exception))
        job_id = re.search(r"Waterline job (\S+) started", "\n".join(infos)).group(1)
        job = WaterlineClient(self.server.url, API_KEY).get_job(job_id)
        self.assertEqual(job["state"], "cancelled", job)

    def test_segment_water_on_a_shared_scene_then_add_layers(self):
        import processing
        from qgis.core import (
            QgsCoordinateReferenceSystem,
            QgsCoordinateTransform,
            QgsProcessingFeedback,
            QgsProject,
            QgsRasterLayer,
            QgsVectorLayer,
        )

        from waterline.client import WaterlineClient

        project = QgsProject.instance()
        project.clear()
        project.setCrs(QgsCoordinateReferenceSystem("EPSG:32618"))
        scene = QgsRasterLayer(SCENE, "scene", "gdal")
        self.assertTrue(scene.isValid())
        infos = []

        class Feedback(QgsProcessingFeedback):
            def pushInfo(self, info):  # noqa: N802
                infos.append(info)

        out = os.path.join(self.tmp, "water.gpkg")
        started = time.monotonic()
        try:
            result = processing.run("waterline:segmentwater", {
                "INPUT": scene, "PROMPT": "segment water", "THRESHOLD": 0.5, "MIN_AREA": 0, "OUTPUT": out,
            }, feedback=Feedback())
        except Exception as err:
            raise AssertionError("{}\nfeedback: {}\nserver log:\n{}".format(err, infos[-5:], self.server.log()))
        took = time.monotonic() - started
        print("\nsegment water on {}: job {} in {:.1f} s, model {}".format(
            os.path.basename(SCENE), result["JOB_ID"], took, self.ready.get("model")), file=sys.stderr)
        self.assertTrue(any(re.search(r"tiles (\d+)/\1$", i) for i in infos), infos)

        client = WaterlineClient(self.server.url, API_KEY)
        server_geojson = client.water_geojson(result["JOB_ID"])
        layer = QgsVectorLayer(result["OUTPUT"], "water", "ogr")
        self.assertTrue(layer.isValid())
        self.assertGreater(layer.featureCount(), 0, "no water polygons; server log:\n" + self.server.log())
        self.assertEqual(layer.featureCount(), len(server_geojson["features"]))
        self.assertEqual(layer.crs().authid(), "EPSG:32618")
        # the polygons lie inside the scene (both in the scene's CRS, EPSG:32618; 1 m slack for rounding
        # of the WGS84 coordinates the server writes)
        scene_extent = scene.extent()
        if scene.crs() != layer.crs():
            scene_extent = QgsCoordinateTransform(scene.crs(), layer.crs(), project.transformContext()) \
                .transformBoundingBox(scene_extent)
        scene_extent.grow(1.0)
        self.assertTrue(scene_extent.contains(layer.extent()),
                        "{} not inside {}".format(layer.extent().toString(), scene_extent.toString()))
        total_area = sum(f.geometry().area() for f in layer.getFeatures())
        server_area = sum(f["properties"].get("area_m2", 0) for f in server_geojson["features"])
        print("water polygons: {}, planar UTM area {:.0f} m², server geodesic area_m2 {:.0f} m²".format(
            layer.featureCount(), total_area, server_area), file=sys.stderr)
        if server_area:
            self.assertAlmostEqual(total_area / server_area, 1.0, delta=0.01)

        added = processing.run("waterline:addlayers", {"JOB_ID": result["JOB_ID"]})
        features = project.mapLayer(added["FEATURES_LAYER"])
        self.assertTrue(features.isValid(), "OAPIF layer invalid; server log:\n" + self.server.log())
        self.assertEqual(features.featureCount(), layer.featureCount())
        self.assertTrue(project.mapLayer(added["WATER_TILES_LAYER"]).isValid())
        self.assertTrue(project.mapLayer(added["SCENE_TILES_LAYER"]).isValid())

    def test_water_change_on_the_pucallpa_pair(self):
        """Landsat Pucallpa 1985 → 2020 (the Ucayali river migrated): one change job, the classed layer loaded."""
        import processing
        from qgis.core import QgsCoordinateReferenceSystem, QgsProcessingFeedback, QgsProject, QgsVectorLayer

        from waterline.client import WaterlineClient

        scenes = os.path.dirname(SCENE)
        date_a = os.path.join(scenes, "landsat5-pucallpa-1985-4326.tif")
        date_b = os.path.join(scenes, "landsat8-pucallpa-2020-4326.tif")
        if not (os.path.isfile(date_a) and os.path.isfile(date_b)):
            self.skipTest("the Pucallpa pair is not in {}".format(scenes))
        QgsProject.instance().clear()
        QgsProject.instance().setCrs(QgsCoordinateReferenceSystem("EPSG:32718"))
        infos = []

        class Feedback(QgsProcessingFeedback):
            def pushInfo(self, info):  # noqa: N802
                infos.append(info)

        out = os.path.join(self.tmp, "change.gpkg")
        try:
            result = processing.run("waterline:waterchange", {
                "INPUT": date_a, "INPUT_B": date_b, "BAND_ROLES": "swir1=1,nir=2,red=3,green=4", "MIN_AREA": 0,
                "OUTPUT": out}, feedback=Feedback())
        except Exception as err:
            raise AssertionError("{}\nfeedback: {}\nserver log:\n{}".format(err, infos[-5:], self.server.log()))
        server = WaterlineClient(self.server.url, API_KEY).water_geojson(result["JOB_ID"])
        layer = QgsVectorLayer(result["OUTPUT"], "change", "ogr")
        self.assertTrue(layer.isValid())
        self.assertEqual(layer.featureCount(), len(server["features"]))
        classes = {f["class"] for f in layer.getFeatures()}
        self.assertTrue({"permanent", "gained", "lost"} <= classes, classes)
        summary = server["waterline"]["summary"]
        print("\nwater change on the Pucallpa pair: job {}, {} polygons, {}".format(
            result["JOB_ID"], layer.featureCount(),
            ", ".join("{} {:.2f} km²".format(c["class"], c["areaKm2"]) for c in summary["classes"])), file=sys.stderr)
        # the per-class areas of the loaded layer (planar UTM 18S) match the server's geodesic table (1 %)
        for c in summary["classes"]:
            if c["class"] in ("permanent", "gained", "lost") and c["areaKm2"] > 1:
                planar = sum(f.geometry().area() for f in layer.getFeatures() if f["class"] == c["class"]) / 1e6
                self.assertAlmostEqual(planar / c["areaKm2"], 1.0, delta=0.01, msg=c["class"])
        self.assertTrue(any(i.startswith("permanent") and "km²" in i for i in infos), infos)


if __name__ == "__main__":
    unittest.main()
