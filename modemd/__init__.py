"""modemd: an on-premises SMS appliance for medical and dental practices."""

__version__ = "0.1.0"
