"""CXone Voice Desktop: hear a live NICE CXone call, watch it, record it.

Importing this package pulls in nothing beyond the standard library: the layers
below (`core`, `cxone`, `session`, `simulator`, `ui`) are imported on demand.
"""

__version__ = "0.1.0"
USER_AGENT = f"CXoneVoiceDesktop/{__version__}"
