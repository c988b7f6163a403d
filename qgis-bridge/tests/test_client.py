"""Fast tests of the plugin's HTTP client (stdlib only, no QGIS) against the in-process fake server."""

import os
import socket
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "waterline"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

# client.py imports nothing from QGIS, so load it as a top-level module (the package __init__ is QGIS-only).
import client as wl  # noqa: E402
from fake_server import WATER, FakeWaterline  # noqa: E402

TIFF_HEADER = b"II*\x00\x08\x00\x00\x00"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ClientTest(unittest.TestCase):
    def setUp(self):
        self.fake = FakeWaterline(api_key="sekret").__enter__()
        self.addCleanup(self.fake.__exit__)
        self.client = wl.WaterlineClient(self.fake.url + "/", api_key="sekret", timeout=5)

    def test_health_and_ready(self):
        self.assertEqual(self.client.health(), {"status": "ok"})
        self.assertEqual(self.client.ready()["model"]["provider"], "cpu")
        self.assertEqual(self.client.base_url, self.fake.url)  # trailing slash stripped

    def test_upload_streams_the_file_with_key_and_reports_progress(self):
        with tempfile.NamedTemporaryFile(suffix=".tif", delete=False) as fh:
            fh.write(TIFF_HEADER + os.urandom(3 * 1024 * 1024))
        self.addCleanup(os.unlink, fh.name)
        size = os.path.getsize(fh.name)
        seen = []
        scene = self.client.upload_scene(fh.name, name="my-scene.tif", on_progress=lambda s, t: seen.append((s, t)))
        self.assertEqual(scene["name"], "my-scene.tif")
        self.assertEqual(self.fake.uploads, [{"name": "my-scene.tif", "bytes": size, "content_type": "image/tiff"}])
        # streamed in blocks, not one read: several progress reports ending at the full size
        self.assertGreater(len(seen), 3)
        self.assertEqual(seen[-1], (size, size))
        method, path, headers = self.fake.requests[-1]
        self.assertEqual((method, path, headers.get("x-api-key")), ("POST", "/scenes", "sekret"))

    def test_upload_can_be_aborted_from_the_progress_callback(self):
        with tempfile.NamedTemporaryFile(suffix=".tif", delete=False) as fh:
            fh.write(TIFF_HEADER + b"\0" * (2 * 1024 * 1024))
        self.addCleanup(os.unlink, fh.name)

        class Stop(Exception):
            pass

        def stop(sent, total):
            if sent > 100000:
                raise Stop()

        with self.assertRaises(Stop):
            self.client.upload_scene(fh.name, on_progress=stop)

    def test_register_start_poll_download(self):
        scene = self.client.register_scene("scenes/ottawa.tif")
        job = self.client.start_job(scene["id"], prompt="segment water", model="waterline-unet",
                                    options={"threshold": 0.4, "minArea": None})
        self.assertEqual(self.fake.jobs[job["id"]]["request"], {
            "scene": scene["id"], "prompt": "segment water", "model": "waterline-unet",
            "options": {"threshold": 0.4}})
        states = []
        while job["state"] not in wl.TERMINAL_STATES:
            job = self.client.get_job(job["id"])
            states.append((job["state"], wl.job_progress(job)[:2]))
        self.assertEqual(states, [("running", (2, 6)), ("running", (4, 6)), ("succeeded", (6, 6))])
        self.assertEqual(self.client.water_geojson(job["id"])["features"], WATER["features"])

    def test_cancel(self):
        scene = self.client.register_scene("a.tif")
        job = self.client.start_job(scene["id"])
        self.assertEqual(self.client.cancel_job(job["id"])["state"], "cancelled")
        self.assertEqual(self.fake.cancelled, [job["id"]])

    def test_problem_json_becomes_the_message(self):
        with self.assertRaises(wl.NotFoundError) as ctx:
            self.client.get_job("nope")
        self.assertEqual(ctx.exception.status, 404)
        self.assertEqual(ctx.exception.code, "job_not_found")
        self.assertIn("Not Found: no job nope", str(ctx.exception))
        self.assertIn("HTTP 404", str(ctx.exception))

        self.fake.fail_jobs_with = (422, "model 'x' is not installed; run waterline models pull")
        with self.assertRaises(wl.ServerResponseError) as ctx:
            self.client.start_job("s1")
        self.assertIn("model 'x' is not installed", str(ctx.exception))

    def test_upload_names_are_made_plain(self):
        for given, sent in [("Grenada scene (2020).tif", "Grenada_scene_2020.tif"), ("grenadé.TIF", "grenade.tif"),
                            ("(1) copy.tiff", "1_copy.tiff"), ("日本.tif", "scene.tif"), ("a.b-c_d.tif", "a.b-c_d.tif")]:
            self.assertEqual(wl.upload_name(given), sent)
        folder = tempfile.mkdtemp()
        self.addCleanup(lambda: __import__("shutil").rmtree(folder))
        path = os.path.join(folder, "Grenada scene (2020).tif")
        with open(path, "wb") as fh:
            fh.write(TIFF_HEADER + b"\0" * 64)
        scene = self.client.upload_scene(path)
        self.assertEqual(scene["name"], "Grenada_scene_2020.tif")

    def test_forbidden_path_is_not_an_api_key_matter(self):
        with self.assertRaises(wl.ServerResponseError) as ctx:
            self.client.register_scene("/etc/scene.tif")
        self.assertNotIsInstance(ctx.exception, wl.AuthenticationError)
        self.assertIn("outside the server's data directory", str(ctx.exception))
        self.assertNotIn("API key", str(ctx.exception))

    def test_check_api_key_tells_a_wrong_key_from_a_right_one_and_creates_nothing(self):
        self.assertTrue(self.client.check_api_key())
        with self.assertRaises(wl.AuthenticationError):
            wl.WaterlineClient(self.fake.url, api_key="wrong").check_api_key()
        with self.assertRaises(wl.AuthenticationError):
            wl.WaterlineClient(self.fake.url).check_api_key()
        self.assertEqual(self.fake.jobs, {})

    def test_wrong_api_key_says_to_fix_settings(self):
        bad = wl.WaterlineClient(self.fake.url, api_key="wrong")
        with self.assertRaises(wl.AuthenticationError) as ctx:
            bad.register_scene("a.tif")
        self.assertIn("missing or wrong API key", str(ctx.exception))
        self.assertIn("API key in Waterline settings", str(ctx.exception))
        # reads need no key
        self.assertEqual(wl.WaterlineClient(self.fake.url).health()["status"], "ok")

    def test_unreachable_server(self):
        client = wl.WaterlineClient("http://127.0.0.1:{}".format(free_port()), timeout=2)
        with self.assertRaises(wl.ServerUnreachableError) as ctx:
            client.health()
        self.assertIn("unreachable", str(ctx.exception))
        self.assertIn("waterline serve", str(ctx.exception))

    def test_timeout(self):
        self.fake.delay_s = 1.5
        client = wl.WaterlineClient(self.fake.url, timeout=0.3)
        with self.assertRaises(wl.ServerUnreachableError) as ctx:
            client.get_json("/slow")
        self.assertRegex(str(ctx.exception), "did not answer|timed out")

    def test_not_json(self):
        with self.assertRaises(wl.ServerResponseError) as ctx:
            self.client.get_json("/notjson")
        self.assertIn("not JSON", str(ctx.exception))

    def test_bad_url(self):
        for url in ("", "localhost:8080", "ftp://x"):
            with self.assertRaises(wl.WaterlineClientError):
                wl.WaterlineClient(url)

    def test_urls_for_layers(self):
        self.assertEqual(self.client.ogc_url(), self.fake.url + "/ogc")
        self.assertEqual(self.client.job_tiles_url("j 1"), self.fake.url + "/jobs/j%201/tiles/{z}/{x}/{y}.png")
        self.assertEqual(self.client.scene_tiles_url("s1", "webp"), self.fake.url + "/scenes/s1/tiles/{z}/{x}/{y}.webp")


class ProblemMessageTest(unittest.TestCase):
    def test_variants(self):
        self.assertEqual(wl.problem_message(400, b'{"title":"Bad Request","detail":"bbox is malformed","code":"bad_bbox"}',
                                            "application/problem+json"), ("Bad Request: bbox is malformed", "bad_bbox"))
        self.assertEqual(wl.problem_message(500, b'{"title":"Oops"}', "application/json"), ("Oops", None))
        self.assertEqual(wl.problem_message(502, b"<h1>Bad   gateway</h1>\n", "text/html"), ("<h1>Bad gateway</h1>", None))
        self.assertEqual(wl.problem_message(500, b"", ""), ("no details in the response", None))
        self.assertEqual(wl.problem_message(500, b"{not json", "application/json"), ("{not json", None))

    def test_job_progress(self):
        self.assertEqual(wl.job_progress({}), (0, 0, None))
        self.assertEqual(wl.job_progress({"progress": {"tilesDone": 3, "tilesTotal": 10, "tilesSkipped": 2}}),
                         (3, 10, 0.5))
        self.assertEqual(wl.job_progress({"progress": {"tilesDone": 12, "tilesTotal": 10}})[2], 1.0)


if __name__ == "__main__":
    unittest.main()
