"""Waterline QGIS plugin: send a raster layer to a Waterline server and load the water back."""


def classFactory(iface):  # noqa: N802 (QGIS plugin entry point name)
    from .plugin import WaterlinePlugin

    return WaterlinePlugin(iface)
