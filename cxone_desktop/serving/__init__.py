"""Server-side pieces the simulator and the relay share: OAuth token endpoint parsing and errors,
issued tokens, TLS, and the platforms' request signatures (computed by the push simulators,
verified by the relay). Pure stdlib/aiohttp; neither peer imports the other for these.
"""
