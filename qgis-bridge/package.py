"""Build the installable plugin zip: ``waterline.zip`` holding the ``waterline/`` folder
(QGIS: Plugins → Manage and Install Plugins → Install from ZIP).

    python3 qgis-bridge/package.py [--out qgis-bridge/dist/waterline.zip]

Standard library only (any Python 3). Refuses to build when metadata.txt lacks a required key or the
icon it names is missing; leaves out caches and editor files.
"""

import argparse
import configparser
import os
import sys
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
PLUGIN_DIR = os.path.join(HERE, "waterline")
REQUIRED = ("name", "qgisMinimumVersion", "description", "about", "version", "author")
SKIP_DIRS = {"__pycache__", ".pytest_cache"}
SKIP_SUFFIXES = (".pyc", ".pyo", "~", ".swp", ".orig")


def read_metadata(plugin_dir=PLUGIN_DIR):
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # keys are case-sensitive (qgisMinimumVersion)
    path = os.path.join(plugin_dir, "metadata.txt")
    if not parser.read(path, encoding="utf-8"):
        raise SystemExit("error: {} is missing".format(path))
    meta = dict(parser["general"]) if parser.has_section("general") else {}
    missing = [key for key in REQUIRED if not meta.get(key, "").strip()]
    if missing:
        raise SystemExit("error: {} lacks {}; add them under [general]".format(path, ", ".join(missing)))
    icon = meta.get("icon")
    if icon and not os.path.isfile(os.path.join(plugin_dir, icon)):
        raise SystemExit("error: metadata.txt names icon {} but {} has no such file".format(icon, plugin_dir))
    return meta


def plugin_files(plugin_dir=PLUGIN_DIR):
    for root, dirs, files in os.walk(plugin_dir):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.startswith("."))
        for name in sorted(files):
            if name.startswith(".") or name.endswith(SKIP_SUFFIXES):
                continue
            yield os.path.join(root, name)


def build(out_path, plugin_dir=PLUGIN_DIR):
    meta = read_metadata(plugin_dir)
    os.makedirs(os.path.dirname(os.path.abspath(out_path)), exist_ok=True)
    tmp = out_path + ".part"
    count = 0
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in plugin_files(plugin_dir):
            arcname = os.path.join("waterline", os.path.relpath(path, plugin_dir)).replace(os.sep, "/")
            zf.write(path, arcname)
            count += 1
    os.replace(tmp, out_path)
    return meta, count


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=os.path.join(HERE, "dist", "waterline.zip"), help="zip to write")
    args = parser.parse_args(argv)
    meta, count = build(args.out)
    print("{} ({} {}, {} files, QGIS >= {})".format(
        args.out, meta["name"], meta["version"], count, meta["qgisMinimumVersion"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
