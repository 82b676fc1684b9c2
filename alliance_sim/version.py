"""The installed version of alliance-sim, for manifests and reports.

A leaf module (it imports nothing from the package), so every layer can record the
version without importing the package root.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("alliance-sim")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
