"""The local web dashboard of modemd."""
