"""A tiny in-process Waterline server (stdlib ``http.server``) speaking the docs/http-api.md contract,
for the plugin's fast tests. It is a test tool: scripted answers, no segmentation.

Behaviour knobs (attributes of ``FakeWaterline``): ``api_key`` (require X-API-Key on writes),
``polls_to_finish`` (GET /jobs/{id} calls before a job succeeds; None = runs until cancelled),
``job_final_state``/``job_error``, ``water`` (the FeatureCollection served), ``delay_s`` (sleep before
answering /slow), ``fail_jobs_with`` (problem+json answer to POST /jobs).
"""

import json
import re
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

WATER = {
    "type": "FeatureCollection",
    "features": [
        {
            "type": "Feature",
            "id": 1,
            "properties": {"id": 1, "area_m2": 1234.5, "mean_probability": 0.9},
            "geometry": {"type": "Polygon", "coordinates": [[
                [-75.70, 45.40], [-75.69, 45.40], [-75.69, 45.41], [-75.70, 45.41], [-75.70, 45.40]]]},
        },
        {
            "type": "Feature",
            "id": 2,
            "properties": {"id": 2, "area_m2": 99.0, "mean_probability": 0.7},
            "geometry": {"type": "MultiPolygon", "coordinates": [[[
                [-75.68, 45.42], [-75.675, 45.42], [-75.675, 45.425], [-75.68, 45.425], [-75.68, 45.42]]]]},
        },
    ],
}


CHANGE = {
    "type": "FeatureCollection",
    "features": [
        {
            "type": "Feature",
            "id": 1,
            "properties": {"id": 1, "class": "permanent", "area_m2": 1234.5, "perimeter_m": 140.0, "pixel_count": 4},
            "geometry": {"type": "Polygon", "coordinates": [[
                [-75.70, 45.40], [-75.69, 45.40], [-75.69, 45.41], [-75.70, 45.41], [-75.70, 45.40]]]},
        },
        {
            "type": "Feature",
            "id": 2,
            "properties": {"id": 2, "class": "gained", "area_m2": 99.0, "perimeter_m": 40.0, "pixel_count": 1},
            "geometry": {"type": "Polygon", "coordinates": [[
                [-75.68, 45.42], [-75.675, 45.42], [-75.675, 45.425], [-75.68, 45.425], [-75.68, 45.42]]]},
        },
    ],
}
CHANGE_SUMMARY = {
    "commonValidKm2": 1.0, "waterAKm2": 0.0012, "waterBKm2": 0.0013, "netChangeKm2": 0.0001,
    "classes": [
        {"class": "dry", "pixels": 90, "areaKm2": 0.9987, "percentOfCommonValid": 99.87},
        {"class": "permanent", "pixels": 4, "areaKm2": 0.0012, "percentOfCommonValid": 0.12},
        {"class": "gained", "pixels": 1, "areaKm2": 0.0001, "percentOfCommonValid": 0.01},
        {"class": "lost", "pixels": 0, "areaKm2": 0.0, "percentOfCommonValid": 0.0},
        {"class": "unknown", "pixels": 0, "areaKm2": 0.0, "percentOfCommonValid": None},
    ],
}


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # clients that abort an upload (a tested case) reset the connection: not worth a traceback
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class FakeWaterline:
    def __init__(self, api_key=None):
        self.api_key = api_key
        self.polls_to_finish = 3
        self.tiles_total = 6
        self.job_final_state = "succeeded"
        self.job_error = None
        self.water = WATER
        self.delay_s = 0.0
        self.fail_jobs_with = None
        self.tiles_failed = 0
        self.requests = []  # (method, path, headers dict with lower-case names)
        self.uploads = []  # {name, bytes, content_type, chunked}
        self.scenes = {}
        self.jobs = {}
        self.cancelled = []
        self._lock = threading.Lock()
        self._server = QuietServer(("127.0.0.1", 0), self._handler_class())
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def url(self):
        host, port = self._server.server_address[:2]
        return "http://{}:{}".format(host, port)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._server.server_close()

    # ------------------------------------------------------------------
    def _handler_class(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _send(self, status, body, content_type="application/json", headers=None):
                raw = body if isinstance(body, bytes) else json.dumps(body).encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(raw)))
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(raw)

            def _problem(self, status, title, detail, code):
                self._send(status, {"type": "about:blank", "title": title, "status": status,
                                    "detail": detail, "code": code}, "application/problem+json")

            def _read_body(self):
                length = int(self.headers.get("Content-Length") or 0)
                data = b""
                while len(data) < length:
                    chunk = self.rfile.read(min(65536, length - len(data)))
                    if not chunk:
                        break
                    data += chunk
                return data

            def _route(self, method):
                parsed = urllib.parse.urlparse(self.path)
                parts = [urllib.parse.unquote(p) for p in parsed.path.split("/") if p]
                query = dict(urllib.parse.parse_qsl(parsed.query))
                with fake._lock:
                    fake.requests.append((method, parsed.path, {k.lower(): v for k, v in self.headers.items()}))
                if method in ("POST", "PUT", "DELETE") and fake.api_key:
                    if self.headers.get("X-API-Key") != fake.api_key:
                        self._read_body()
                        return self._problem(401, "Unauthorized", "missing or wrong API key", "unauthorized")
                return self._dispatch(method, parts, query)

            def _dispatch(self, method, parts, query):
                if method == "GET" and parts == ["healthz"]:
                    return self._send(200, {"status": "ok"})
                if method == "GET" and parts == ["readyz"]:
                    return self._send(200, {"status": "ready", "model": {
                        "name": "fake", "kind": "scripted", "inputSize": 224, "provider": "cpu"}})
                if method == "GET" and parts == ["slow"]:
                    time.sleep(fake.delay_s)
                    return self._send(200, {"status": "slow"})
                if method == "GET" and parts == ["openapi.json"]:
                    return self._send(200, {"openapi": "3.0.3", "info": {"title": "fake", "version": "0"},
                                            "paths": {}}, "application/vnd.oai.openapi+json;version=3.0")
                if method == "GET" and parts == ["notjson"]:
                    return self._send(200, b"<html>hello</html>", "text/html")
                if method == "POST" and parts == ["scenes"]:
                    return self._post_scene(query)
                if method == "GET" and len(parts) == 2 and parts[0] == "scenes":
                    scene = fake.scenes.get(parts[1])
                    if scene is None:
                        return self._problem(404, "Not Found", "no scene {}".format(parts[1]), "scene_not_found")
                    return self._send(200, scene)
                if method == "POST" and parts == ["jobs"]:
                    return self._post_job()
                if len(parts) >= 2 and parts[0] == "jobs":
                    job = fake.jobs.get(parts[1])
                    if job is None:
                        return self._problem(404, "Not Found", "no job {}".format(parts[1]), "job_not_found")
                    if method == "GET" and len(parts) == 2:
                        return self._send(200, fake._advance(job))
                    if method == "POST" and parts[2:] == ["cancel"]:
                        job["state"] = "cancelled"
                        fake.cancelled.append(job["id"])
                        return self._send(200, job)
                    if method == "GET" and parts[2:] == ["water.geojson"]:
                        if job["state"] != "succeeded":
                            return self._problem(409, "Conflict", "job {} is {}".format(job["id"], job["state"]),
                                                 "job_not_finished")
                        failed = [{"tileId": "r0c{}".format(i), "error": "tile r0c{}: decoder exploded".format(i)}
                                  for i in range(job["progress"]["tilesFailed"])]
                        if job["kind"] == "change":
                            return self._send(200, dict(CHANGE, waterline={
                                "kind": "change", "failedTiles": failed, "summary": CHANGE_SUMMARY}), "application/geo+json")
                        return self._send(200, dict(fake.water, waterline={"failedTiles": failed}),
                                          "application/geo+json")
                if parts and parts[0] == "ogc":
                    return self._ogc(parts[1:], query)
                return self._problem(404, "Not Found", "no route {} {}".format(method, self.path), "not_found")

            def _post_scene(self, query):
                ctype = self.headers.get("Content-Type", "")
                body = self._read_body()
                if "name" in query:
                    # the real server's rule (src/http/validation.ts uploadSceneQuery)
                    if not re.match(r"^[A-Za-z0-9][A-Za-z0-9._-]*\.(tif|tiff)$", query["name"], re.I):
                        return self._problem(400, "Bad Request", "invalid upload query: name: must be a plain file "
                                             "name ending in .tif or .tiff (letters, digits, . _ -)", "bad_request")
                    if not body.startswith((b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")):
                        return self._problem(400, "Bad Request", "{} is not a GeoTIFF".format(query["name"]),
                                             "not_tiff")
                    with fake._lock:
                        fake.uploads.append({"name": query["name"], "bytes": len(body), "content_type": ctype})
                    name = query["name"]
                else:
                    doc = json.loads(body.decode("utf-8") or "{}")
                    name = doc.get("path", "")
                    if name.startswith("/"):
                        return self._problem(403, "Forbidden", 'the scene path "{}" is outside the server\'s data '
                                             "directory".format(name), "path_outside_data_dir")
                    if ".." in name:
                        return self._problem(400, "Bad Request", "path {} leaves the data directory".format(name),
                                             "path_traversal")
                scene_id = "s{}".format(len(fake.scenes) + 1)
                scene = {"id": scene_id, "name": name, "info": {}}
                fake.scenes[scene_id] = scene
                return self._send(201, scene)

            def _post_job(self):
                doc = json.loads(self._read_body().decode("utf-8") or "{}")
                if fake.fail_jobs_with:
                    status, detail = fake.fail_jobs_with
                    return self._problem(status, "Unprocessable", detail, "bad_job")
                scene_ids = doc.get("scenes") or [doc.get("scene")]
                for scene_id in scene_ids:
                    if scene_id not in fake.scenes:
                        return self._problem(404, "Not Found", "no scene {}".format(scene_id), "scene_not_found")
                job_id = "j{}".format(len(fake.jobs) + 1)
                job = {"id": job_id, "kind": doc.get("kind", "segment"), "scene": scene_ids[0], "scenes": scene_ids,
                       "prompt": doc.get("prompt"), "request": doc,
                       "state": "queued", "polls": 0,
                       "progress": {"tilesDone": 0, "tilesTotal": fake.tiles_total, "tilesSkipped": 0,
                                    "tilesFailed": 0, "tilesPerSecond": 0, "etaSeconds": None}}
                fake.jobs[job_id] = job
                return self._send(202, job, headers={"Location": "/jobs/" + job_id})

            def _ogc(self, parts, query):
                base = fake.url + "/ogc"
                done = [j for j in fake.jobs.values() if j["state"] == "succeeded"]
                if not parts:
                    return self._send(200, {"title": "fake", "links": [
                        {"href": base, "rel": "self", "type": "application/json"},
                        {"href": base + "/conformance", "rel": "conformance", "type": "application/json"},
                        # QGIS's OAPIF provider refuses a landing page without an OpenAPI service-desc link
                        {"href": fake.url + "/openapi.json", "rel": "service-desc",
                         "type": "application/vnd.oai.openapi+json;version=3.0"},
                        {"href": base + "/collections", "rel": "data", "type": "application/json"}]})
                if parts == ["conformance"]:
                    return self._send(200, {"conformsTo": [
                        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
                        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson"]})

                def collection(job):
                    cid = "water-" + job["id"]
                    return {"id": cid, "title": cid, "extent": {"spatial": {"bbox": [[-75.7, 45.4, -75.675, 45.425]]}},
                            "links": [{"href": "{}/collections/{}/items".format(base, cid), "rel": "items",
                                       "type": "application/geo+json"}]}

                if parts == ["collections"]:
                    return self._send(200, {"collections": [collection(j) for j in done], "links": []})
                job = next((j for j in done if parts[1:2] == ["water-" + j["id"]]), None)
                if parts[0] == "collections" and job is not None:
                    if len(parts) == 2:
                        return self._send(200, collection(job))
                    if parts[2:] == ["items"]:
                        water = CHANGE if job["kind"] == "change" else fake.water
                        feats = water["features"]
                        body = dict(water, numberMatched=len(feats), numberReturned=len(feats), links=[])
                        return self._send(200, body, "application/geo+json")
                return self._problem(404, "Not Found", "no OGC resource /{}".format("/".join(parts)), "not_found")

            def do_GET(self):
                self._route("GET")

            def do_POST(self):
                self._route("POST")

            def do_DELETE(self):
                self._route("DELETE")

        return Handler

    def _advance(self, job):
        """Each GET of a queued/running job moves it one step on; state is reported as the server would."""
        with self._lock:
            if job["state"] in ("queued", "running"):
                job["polls"] += 1
                job["state"] = "running"
                if self.polls_to_finish is None:
                    job["progress"]["tilesDone"] = min(self.tiles_total - 1, job["polls"])
                elif job["polls"] >= self.polls_to_finish:
                    job["state"] = self.job_final_state
                    job["progress"]["tilesDone"] = self.tiles_total
                    job["progress"]["tilesFailed"] = self.tiles_failed
                    if self.job_error:
                        job["error"] = self.job_error
                else:
                    job["progress"]["tilesDone"] = self.tiles_total * job["polls"] // self.polls_to_finish
            return {k: v for k, v in job.items() if k not in ("polls", "request")}
