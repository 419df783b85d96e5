"""The simulated GSM modem; the public entry point is `modemd.simulator`."""
