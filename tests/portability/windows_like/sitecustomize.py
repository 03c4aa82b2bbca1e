"""Windows' API surface on Linux: put this folder on PYTHONPATH to run anything without the
POSIX calls our code might reach for (see /work/shared/RIG.md, "Another platform's API
surface"). Only what our code could call is taken away; libraries' own platform modules
stay as they are (platformdirs' Unix module, for one, reads os.geteuid).
"""

import asyncio
import asyncio.unix_events
import os

for _name in ("pwrite", "pread"):
    if hasattr(os, _name):
        delattr(os, _name)


def _no_signal_handlers(self, *args, **kwargs):
    raise NotImplementedError("this event loop has no signal handlers (as on Windows)")


for _cls in (asyncio.AbstractEventLoop, asyncio.unix_events._UnixSelectorEventLoop):
    _cls.add_signal_handler = _no_signal_handlers
    _cls.remove_signal_handler = _no_signal_handlers

os.environ["CXONE_WINDOWS_LIKE"] = "1"  # children say they ran this way
