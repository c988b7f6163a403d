"""HTTP client for the Waterline server (docs/http-api.md).

Standard library only (``urllib``), on purpose: it has no QGIS dependency, so it is unit-tested against
an in-process ``http.server`` fake without QGIS, and it works the same inside QGIS's Processing worker
threads (``QgsBlockingNetworkRequest`` would add proxy/auth-manager integration but tie every test to a
running QgsApplication). Every failure surfaces as a ``WaterlineClientError`` subclass whose message
names the server and says what to do; problem+json bodies (``{title, detail, code, status}``) from the
server become the message.
"""

import json
import os
import re
import socket
import unicodedata
import urllib.error
import urllib.parse
import urllib.request

DEFAULT_TIMEOUT_S = 30.0
USER_AGENT = "waterline-qgis-bridge/0.1"


class WaterlineClientError(Exception):
    """Any failure talking to the Waterline server. ``str(err)`` is a one-line user message."""

    def __init__(self, message, status=None, code=None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code


class ServerUnreachableError(WaterlineClientError):
    """No HTTP answer at all: connection refused, DNS failure, timeout."""


class ServerResponseError(WaterlineClientError):
    """The server answered with an HTTP error status (4xx/5xx)."""


class AuthenticationError(ServerResponseError):
    """401: the API key is missing or wrong. (A 403 — a scene path outside the server's data directory — is a plain
    ServerResponseError: no key helps there.)"""


class NotFoundError(ServerResponseError):
    """404: unknown scene or job id (or a server without that endpoint)."""


class JobFailedError(WaterlineClientError):
    """A job ended in state ``failed`` or ``cancelled``."""


def problem_message(status, body, content_type=""):
    """One-line message from an error response: problem+json ``detail``/``title`` when present."""
    text = body.decode("utf-8", "replace") if isinstance(body, (bytes, bytearray)) else str(body or "")
    code = None
    message = None
    if "json" in (content_type or "") or text.lstrip().startswith("{"):
        try:
            doc = json.loads(text)
        except ValueError:
            doc = None
        if isinstance(doc, dict):
            code = doc.get("code")
            title = doc.get("title")
            detail = doc.get("detail")
            if detail and title and detail != title:
                message = "{}: {}".format(title, detail)
            else:
                message = detail or title or doc.get("message") or doc.get("error")
    if not message:
        snippet = " ".join(text.split())[:200]
        message = snippet or "no details in the response"
    return message, code


class CountingReader:
    """File wrapper for streamed uploads: ``http.client`` reads it in blocks; each block is reported
    to ``on_progress(sent, total)``, which may raise to abort the upload (e.g. on Cancel)."""

    def __init__(self, fileobj, total, on_progress=None):
        self._file = fileobj
        self.total = total
        self.sent = 0
        self._on_progress = on_progress

    def read(self, size=-1):
        chunk = self._file.read(size)
        self.sent += len(chunk)
        if self._on_progress is not None:
            self._on_progress(self.sent, self.total)
        return chunk


class WaterlineClient:
    """Talks to one Waterline server. ``base_url`` like ``http://127.0.0.1:8080`` (no trailing path)."""

    def __init__(self, base_url, api_key=None, timeout=DEFAULT_TIMEOUT_S):
        base_url = (base_url or "").strip()
        parsed = urllib.parse.urlparse(base_url)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise WaterlineClientError(
                "Waterline server URL {!r} is not an http(s) URL; set it in Waterline settings, "
                "e.g. http://127.0.0.1:8080".format(base_url)
            )
        self.base_url = base_url.rstrip("/")
        self.api_key = (api_key or "").strip() or None
        self.timeout = float(timeout)

    # ----- URLs other parts (layers) need -----
    def url(self, path):
        return self.base_url + path

    def ogc_url(self):
        return self.url("/ogc")

    def job_tiles_url(self, job_id, fmt="png"):
        return self.url("/jobs/{}/tiles/{{z}}/{{x}}/{{y}}.{}".format(_seg(job_id), fmt))

    def scene_tiles_url(self, scene_id, fmt="png"):
        return self.url("/scenes/{}/tiles/{{z}}/{{x}}/{{y}}.{}".format(_seg(scene_id), fmt))

    # ----- transport -----
    def _headers(self, extra=None):
        headers = {"Accept": "application/json, application/problem+json", "User-Agent": USER_AGENT}
        if self.api_key:
            headers["X-API-Key"] = self.api_key
        if extra:
            headers.update(extra)
        return headers

    def request(self, method, path, json_body=None, data=None, headers=None, timeout=None):
        """Send a request; return ``(status, headers, body_bytes)`` for 2xx, raise otherwise."""
        extra = dict(headers or {})
        if json_body is not None:
            data = json.dumps(json_body).encode("utf-8")
            extra["Content-Type"] = "application/json"
        req = urllib.request.Request(self.url(path), data=data, method=method, headers=self._headers(extra))
        where = "{} {}".format(method, self.url(path))
        try:
            with urllib.request.urlopen(req, timeout=timeout or self.timeout) as resp:
                return resp.status, resp.headers, resp.read()
        except urllib.error.HTTPError as err:
            body = err.read() if err.fp is not None else b""
            message, code = problem_message(err.code, body, err.headers.get("Content-Type", "") if err.headers else "")
            raise _error_for_status(err.code, message, code, where) from None
        except urllib.error.URLError as err:
            reason = err.reason
            raise ServerUnreachableError(
                "Waterline server at {} is unreachable ({}); check that `waterline serve` is running and "
                "the server URL in Waterline settings".format(self.base_url, reason)
            ) from None
        except (socket.timeout, TimeoutError):
            raise ServerUnreachableError(
                "Waterline server at {} did not answer {} within {:g} s; the server may be overloaded — "
                "retry or raise the timeout in Waterline settings".format(self.base_url, where, timeout or self.timeout)
            ) from None
        except (ConnectionError, OSError) as err:
            raise ServerUnreachableError(
                "Waterline server at {} closed the connection during {} ({}); check the server log".format(
                    self.base_url, where, err)
            ) from None

    def get_json(self, path, timeout=None):
        return _decode_json(self.request("GET", path, timeout=timeout)[2], path)

    def post_json(self, path, body, timeout=None):
        return _decode_json(self.request("POST", path, json_body=body, timeout=timeout)[2], path)

    # ----- API -----
    def health(self):
        return self.get_json("/healthz")

    def ready(self):
        return self.get_json("/readyz")

    def check_api_key(self):
        """Raise AuthenticationError when the server refuses this client's key (or its lack of one) for writes. Reads
        need no key, so ``ready()`` cannot tell: this sends a write that can only fail validation (``POST /jobs {}``,
        which creates nothing), and a 401 is the key's answer."""
        try:
            self.post_json("/jobs", {})
        except AuthenticationError:
            raise
        except ServerResponseError:
            pass  # 400/404: the key was accepted, the empty job was not
        return True

    def upload_scene(self, file_path, name=None, on_progress=None, timeout=None):
        """Stream a GeoTIFF from disk to ``POST /scenes?name=`` (never loaded into memory), under ``name`` or the file's
        name made plain (``upload_name``: the server takes letters, digits, . _ - only)."""
        if not os.path.isfile(file_path):
            raise WaterlineClientError("Scene file {} does not exist; pick a file-based GeoTIFF layer".format(file_path))
        name = name or upload_name(os.path.basename(file_path))
        size = os.path.getsize(file_path)
        path = "/scenes?" + urllib.parse.urlencode({"name": name})
        with open(file_path, "rb") as fh:
            body = CountingReader(fh, size, on_progress)
            _, _, raw = self.request(
                "POST", path, data=body,
                headers={"Content-Type": "image/tiff", "Content-Length": str(size)},
                timeout=timeout or max(self.timeout, 300.0),
            )
        return _decode_json(raw, path)

    def register_scene(self, server_path):
        """Register a GeoTIFF already inside the server's data directory (path relative to it)."""
        return self.post_json("/scenes", {"path": server_path})

    def get_scene(self, scene_id):
        return self.get_json("/scenes/" + _seg(scene_id))

    def list_scenes(self):
        return self.get_json("/scenes")

    def start_job(self, scene_id, prompt=None, model=None, options=None):
        return self.post_json("/jobs", _job_body({"scene": scene_id}, prompt, model, options))

    def start_change_job(self, scene_a, scene_b, prompt=None, model=None, options=None):
        """A water change job: one job with two scenes, date A then date B."""
        body = {"kind": "change", "scenes": [scene_a, scene_b]}
        return self.post_json("/jobs", _job_body(body, prompt, model, options))

    def get_job(self, job_id):
        return self.get_json("/jobs/" + _seg(job_id))

    def list_jobs(self):
        return self.get_json("/jobs")

    def cancel_job(self, job_id):
        _, _, raw = self.request("POST", "/jobs/{}/cancel".format(_seg(job_id)))
        return _decode_json(raw, "/jobs/{}/cancel".format(job_id)) if raw.strip() else {}

    def water_geojson_bytes(self, job_id, timeout=None):
        """The job's water polygons (RFC 7946 FeatureCollection, WGS84), raw bytes."""
        return self.request("GET", "/jobs/{}/water.geojson".format(_seg(job_id)), timeout=timeout)[2]

    def water_geojson(self, job_id, timeout=None):
        return _decode_json(self.water_geojson_bytes(job_id, timeout), "/jobs/{}/water.geojson".format(job_id))


def job_progress(job):
    """``(done, total, fraction 0..1 or None)`` from a job document; tolerant of missing fields."""
    progress = job.get("progress") or {}
    done = int(progress.get("tilesDone") or 0)
    total = int(progress.get("tilesTotal") or 0)
    skipped = int(progress.get("tilesSkipped") or 0)
    failed = int(progress.get("tilesFailed") or 0)
    if total <= 0:
        return done, total, None
    return done, total, min(1.0, max(0.0, (done + skipped + failed) / float(total)))


TERMINAL_STATES = ("succeeded", "failed", "cancelled")


def _job_body(body, prompt, model, options):
    """``POST /jobs`` body: ``body`` plus the prompt, model and options that are set (options without None values)."""
    if prompt:
        body["prompt"] = prompt
    if model:
        body["model"] = model
    opts = {k: v for k, v in (options or {}).items() if v is not None}
    if opts:
        body["options"] = opts
    return body


def upload_name(file_name):
    """A file name as the server's upload takes it: accents dropped (é -> e), every other character outside
    letters, digits, . _ - replaced by _, starting with a letter or digit; the .tif/.tiff ending kept
    (``Grenada scene (2020).tif`` -> ``Grenada_scene_2020.tif``)."""
    stem, ext = os.path.splitext(file_name)
    plain = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode("ascii")
    plain = re.sub(r"[^A-Za-z0-9._-]+", "_", plain).strip("._-") or "scene"
    return plain + ext.lower()


def _seg(value):
    return urllib.parse.quote(str(value), safe="")


def _decode_json(raw, path):
    try:
        return json.loads(raw.decode("utf-8")) if raw else {}
    except ValueError:
        raise ServerResponseError(
            "Waterline server answered {} with something that is not JSON; is the server URL pointing at a "
            "Waterline server?".format(path)
        ) from None


def _error_for_status(status, message, code, where):
    text = "Waterline server refused {} (HTTP {}): {}".format(where, status, message)
    if status == 401:  # the server's API-key answers (api_key_required, bad_api_key)
        return AuthenticationError(text + " — set the API key in Waterline settings", status, code)
    if status == 404:
        return NotFoundError(text, status, code)
    return ServerResponseError(text, status, code)
