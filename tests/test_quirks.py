"""Vendor quirks records: matching on identity text and USB ids, sysfs lookup, boot lines."""

from __future__ import annotations

from pathlib import Path

import pytest

from modemd.channels.quirks import FAMILIES, GENERIC, is_ready_line, match_quirks, usb_id_of
from modemd.channels.receive import choose_storage, indication_mode


@pytest.mark.parametrize(("maker", "model", "usb", "family"), [
    ("huawei", "E1750", None, "huawei-3g"),
    ("HUAWEI", "E173", None, "huawei-3g"),
    ("huawei", "E3372", None, "huawei-lte"),
    ("Huawei Technologies Co., Ltd.", "ME909s-120", None, "huawei-lte"),
    ("ZTE CORPORATION", "MF626", None, "zte"),
    ("Sierra Wireless, Incorporated", "MC7455", None, "sierra"),
    ("Telit", "LE910-EU V2", None, "telit"),
    ("Quectel", "EC25", None, "quectel"),
    ("SIMCOM_Ltd", "SIMCOM_SIM800", None, "simcom-2g"),
    ("SIMCOM INCORPORATED", "SIMCOM_SIM7600E-H", None, "simcom-lte"),
    ("WAVECOM MODEM", "MULTIBAND 900E 1800", None, "wavecom"),
    ("SIEMENS", "MC35i", None, "cinterion"),
    ("Cinterion", "BGS2-W", None, "cinterion"),
    ("u-blox", "SARA-U270", None, "ublox"),
    ("Nokia", "Nokia 6230i", None, "phone"),
    ("", "", "12d1:1506", "huawei-lte"),      # USB product first
    ("", "", "12d1:1001", "huawei-3g"),       # then the vendor
    ("", "", "2C7C:0125", "quectel"),         # case does not matter
    ("Acme", "Modem 1", "1e0e:9001", "simcom-lte"),
    ("modemd", "Simulated GSM modem", None, "generic"),
    ("", "", "dead:beef", "generic"),
])
def test_match_quirks(maker: str, model: str, usb: str | None, family: str) -> None:
    assert match_quirks(maker, model, usb).family == family


def test_family_names_are_unique_and_documented() -> None:
    names = [q.family for q in FAMILIES]
    assert len(names) == len(set(names))
    doc = (Path(__file__).parent.parent / "docs" / "modems.md").read_text()
    for q in (*FAMILIES, GENERIC):
        assert f"`{q.family}`" in doc, q.family
        for cmd in q.init:
            assert cmd in doc, cmd


def _usb_tree(root: Path, tty: str, depth: int, vendor: str, product: str) -> None:
    """A fake sysfs: /sys/class/tty/<tty>/device → a USB interface `depth` levels below the
    device directory holding idVendor/idProduct."""
    device = root / "devices" / "pci0000:00" / "usb1" / "1-1"
    device.mkdir(parents=True)
    (device / "idVendor").write_text(vendor + "\n")
    (device / "idProduct").write_text(product + "\n")
    node = device / "1-1:1.2"
    if depth == 2:
        node = node / tty
    node.mkdir(parents=True)
    cls = root / "class" / "tty" / tty
    cls.mkdir(parents=True)
    (cls / "device").symlink_to(node)


def test_usb_id_from_sysfs_for_ttyusb_and_ttyacm(tmp_path: Path) -> None:
    sysfs = tmp_path / "sys"
    _usb_tree(sysfs / "a", "ttyUSB2", 2, "2c7c", "0125")
    _usb_tree(sysfs / "b", "ttyACM0", 1, "1E2D", "0053")
    dev = tmp_path / "dev"
    (dev / "gsmmodem").mkdir(parents=True)
    (dev / "ttyUSB2").touch()
    (dev / "gsmmodem" / "gsm0").symlink_to(dev / "ttyUSB2")  # a udev name resolves to the tty
    assert usb_id_of(str(dev / "gsmmodem" / "gsm0"), sysfs / "a") == "2c7c:0125"
    assert usb_id_of("/dev/ttyACM0", sysfs / "b") == "1e2d:0053"
    assert usb_id_of("/dev/pts/7", sysfs / "a") is None  # a pty: not USB
    assert usb_id_of("/dev/ttyS0", tmp_path / "nothing") is None


@pytest.mark.parametrize(("line", "ready"), [
    ("RDY", True), ("SMS Ready", True), ("+QIND: SMS DONE", True), ("+QIND:  SMS DONE", True),
    ("^SYSSTART", True), ("+WIND: 4", True), ("+PACSP1", True), ("Call Ready", True),
    ("+CPIN: READY", True), ("SMS DONE", True), ("PB DONE", True),
    ("+WIND: 3", False), ("^RSSI:17", False), ("+CPIN: SIM PIN", False), ("OK", False),
])
def test_ready_lines(line: str, ready: bool) -> None:
    assert is_ready_line(line) is ready


@pytest.mark.parametrize(("test", "prefer", "chosen"), [
    ([["SM", "ME", "SR"], ["SM", "ME"], ["SM", "ME"]], ("SM", "ME"), ("SM", "SM", "SM")),
    ([["ME", "SR"], ["ME"], ["ME"]], ("SM", "ME", "MT"), ("ME", "ME", "ME")),
    ([["MT", "SM", "ME"], ["MT"], ["MT", "SM"]], ("SM",), ("SM", "MT", "SM")),
    ([["SM"]], ("SM",), ("SM",)),                      # one memory only
    ([["BM", "SR"], ["BM"], ["BM"]], ("SM", "ME"), ()),  # nothing preferred: leave it
])
def test_choose_storage(test, prefer, chosen) -> None:
    assert choose_storage(test, prefer) == chosen


@pytest.mark.parametrize(("cnmi", "mode"), [
    ("2,1,0,2,0", "stored"), ("2,2,0,1,0", "direct"), ("2,1,0,1,0", "mixed"),
    ("1,2,0,0,0", "mixed"), ("2,0,0,2,0", "poll"), (None, "poll"),
])
def test_indication_mode(cnmi, mode) -> None:
    assert indication_mode(cnmi) == mode
