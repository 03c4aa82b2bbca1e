"""The platforms' side of a relay: push simulators for CXone, AudioHook and Twilio.

Each plays a two-party WAV (agent LEFT, customer RIGHT) into a relay the way its
platform does, with its platform's authentication, paced by the media clock:
tests, demos and the benchmark use them. `simulate --push` is the command.
"""
