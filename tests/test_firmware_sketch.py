"""The reference firmware cannot drift from the dorsi profile: its constants and layouts, and a run on the host."""

from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

from sensors.profiles import dorsi

ROOT = Path(__file__).resolve().parents[1]
FIRMWARE_DIR = ROOT / "firmware_notes" / "reference_firmware"
SKETCH = FIRMWARE_DIR / "dorsi_xiao" / "dorsi_xiao.ino"
HOST_CHECK = FIRMWARE_DIR / "host_check"
SPEC = ROOT / "firmware_notes" / "gatt_profile.md"

# LSM6DS3TR-C datasheet, register descriptions: CTRL1_XL FS_XL[1:0], CTRL2_G FS_G[1:0], ODR_XL / ODR_G[3:0].
FS_XL_BITS_BY_G = {2: 0b00, 16: 0b01, 4: 0b10, 8: 0b11}
FS_G_BITS_BY_DPS = {250: 0b00, 500: 0b01, 1000: 0b10, 2000: 0b11}
ODR_HZ_BY_BITS = {0b0001: 12.5, 0b0010: 26, 0b0011: 52, 0b0100: 104, 0b0101: 208, 0b0110: 416, 0b0111: 833}
REGISTERS = {"REG_CTRL1_XL": 0x10, "REG_CTRL2_G": 0x11, "REG_CTRL3_C": 0x12, "REG_OUTX_L_G": 0x22}
CTRL3_C_BDU = 0x40
# XIAO nRF52840 schematic (Seeed): VBAT - 1 MOhm - P0.31 - 510 kOhm - P0.14; ADC 12 bit over 0-3.6 V.
VBAT_DIVIDER = (1000 + 510) / 510

C_TYPES = {"uint8_t": "B", "int8_t": "b", "uint16_t": "H", "int16_t": "h", "uint32_t": "I", "int32_t": "i"}
SPEC_TYPES = {"u8": "B", "u16": "H", "u32": "I", "i16": "h"}
# What each sketch field is, in words the spec's tables use.
FIELD_MEANINGS = {
    "format_version": "format version",
    "sample_count": "number of samples",
    "acc_range_code": "accelerometer full-scale",
    "gyro_range_code": "gyroscope full-scale",
    "first_sequence": "sequence number",
    "first_timestamp_us": "timestamp",
    "sample_interval_us": "sample interval",
    "rate_hz": "output rate",
    "streaming": "streaming",
    "firmware_major": "major",
    "firmware_minor": "minor",
    "firmware_patch": "patch",
}
PROFILE_UUIDS = {
    "DORSI_SERVICE_UUID": dorsi.SERVICE_UUID,
    "DORSI_SAMPLES_UUID": dorsi.SAMPLES_UUID,
    "DORSI_CONTROL_UUID": dorsi.CONTROL_UUID,
    "DORSI_CONFIG_UUID": dorsi.CONFIG_UUID,
}
WIRE_STRUCTS = ("SamplesHeader", "RawSample", "ConfigValue")


# --- reading the sketch and the spec -----------------------------------------------------------------------------


@dataclass
class Sketch:
    """The parseable parts of the sketch: named constants, structs and table initialisers."""

    code: str
    scalars: dict[str, int] = field(default_factory=dict)
    strings: dict[str, str] = field(default_factory=dict)
    arrays: dict[str, list[int]] = field(default_factory=dict)
    structs: dict[str, tuple[bool, list[tuple[str, str]]]] = field(default_factory=dict)
    tables: dict[str, tuple[str, list[list[int]]]] = field(default_factory=dict)

    def rows(self, table: str) -> list[dict[str, int]]:
        """A table initialiser as one dict per row, keyed by its struct's field names."""
        type_name, rows = self.tables[table]
        names = [name for _ctype, name in self.structs[type_name][1]]
        return [dict(zip(names, row, strict=True)) for row in rows]


def strip_comments(text: str) -> str:
    """C source without comments."""
    return re.sub(r"//[^\n]*", "", re.sub(r"/\*.*?\*/", "", text, flags=re.S))


def parse_sketch(text: str) -> Sketch:
    """Parse constants, packed structs and table initialisers from the sketch source."""
    sk = Sketch(strip_comments(text))
    for m in re.finditer(r"\bconst\s+u?int(?:8|16|32)_t\s+([A-Z][A-Z0-9_]*)\s*=\s*([^;]+);", sk.code):
        try:
            sk.scalars[m.group(1)] = int(m.group(2).strip(), 0)
        except ValueError:
            continue
    for m in re.finditer(r'\bconst\s+char\s+([A-Z][A-Z0-9_]*)\[\]\s*=\s*"([^"]*)"\s*;', sk.code):
        sk.strings[m.group(1)] = m.group(2)
    for m in re.finditer(r"\bconst\s+u?int(?:8|16|32)_t\s+([A-Z][A-Z0-9_]*)\[\d*\]\s*=\s*\{([^{}]*)\}\s*;", sk.code):
        sk.arrays[m.group(1)] = [int(v, 0) for v in m.group(2).replace("\n", " ").split(",") if v.strip()]
    for m in re.finditer(r"\bstruct\s+(__attribute__\(\(packed\)\)\s+)?(\w+)\s*\{([^{}]*)\}\s*;", sk.code):
        fields: list[tuple[str, str]] = []
        for decl in m.group(3).split(";"):
            parts = decl.split()
            if len(parts) >= 2:
                fields += [(parts[0], name.strip()) for name in " ".join(parts[1:]).split(",")]
        sk.structs[m.group(2)] = (m.group(1) is not None, fields)
    for m in re.finditer(
        r"\bconst\s+(\w+)\s+([A-Z][A-Z0-9_]*)\[\]\s*=\s*\{((?:\s*\{[^{}]*\}\s*,?)+)\s*\}\s*;", sk.code
    ):
        rows = [[int(v, 0) for v in row.split(",") if v.strip()] for row in re.findall(r"\{([^{}]*)\}", m.group(3))]
        sk.tables[m.group(2)] = (m.group(1), rows)
    return sk


@dataclass(frozen=True)
class SpecField:
    """One byte-layout row of a gatt_profile.md table (an 'N x type' row gives N of these)."""

    offset: int | None
    code: str
    description: str


def spec_layout(spec_text: str, heading: str) -> list[SpecField]:
    """The rows of the byte-layout table under a heading of gatt_profile.md."""
    section = spec_text.split(heading, 1)[1].split("\n#", 1)[0]
    out: list[SpecField] = []
    row = re.compile(r"^\|\s*([0-9k +]+?)\s*\|\s*(\d+)\s*\|\s*(?:(\d+)\s*x\s*)?(u8|u16|u32|i16)\s*\|\s*(.*?)\s*\|\s*$")
    for line in section.splitlines():
        m = row.match(line)
        if not m:
            continue
        count = int(m.group(3) or 1)
        start = int(m.group(1)) if m.group(1).isdigit() else None
        size = struct.calcsize("<" + SPEC_TYPES[m.group(4)])
        assert int(m.group(2)) == count * size, f"spec row size inconsistent: {line}"
        for k in range(count):
            out.append(SpecField(None if start is None else start + k * size, SPEC_TYPES[m.group(4)], m.group(5)))
    return out


def spec_number(spec_text: str, pattern: str) -> int:
    """The number a sentence of gatt_profile.md states (decimal or 0x hex), found by a one-group pattern."""
    m = re.search(pattern, spec_text)
    assert m is not None, f"gatt_profile.md no longer says {pattern!r}"
    return int(m.group(1), 0)


def expand_format(fmt: str) -> str:
    """'<BHBB' or '<6h' -> 'BHBB' / 'hhhhhh'."""
    return re.sub(r"(\d+)(\w)", lambda m: m.group(2) * int(m.group(1)), fmt.lstrip("<"))


# --- the checks ------------------------------------------------------------------------------------------------------


def check_layout(sk: Sketch, name: str, spec_fields: list[SpecField], profile_format: str) -> list[str]:
    """A wire struct against the spec's table (offsets, types, meanings) and the profile's struct format."""
    if name not in sk.structs:
        return [f"struct {name} not found"]
    packed, fields = sk.structs[name]
    problems = [] if packed else [f"struct {name} is not __attribute__((packed))"]
    codes = [C_TYPES.get(ctype, "?") for ctype, _ in fields]
    if "".join(codes) != expand_format(profile_format):
        problems.append(f"{name} types {''.join(codes)} != profile {profile_format}")
    if len(fields) != len(spec_fields):
        return problems + [f"{name} has {len(fields)} fields, the spec table {len(spec_fields)}"]
    offset = 0
    for (ctype, fname), code, spec in zip(fields, codes, spec_fields, strict=True):
        if spec.offset is not None and spec.offset != offset:
            problems.append(f"{name}.{fname} at offset {offset}, spec says {spec.offset}")
        if code != spec.code:
            problems.append(f"{name}.{fname} is {ctype}, spec says {spec.code}")
        meaning = FIELD_MEANINGS.get(fname)
        if meaning is not None and meaning not in spec.description:
            problems.append(f"{name}.{fname} sits where the spec has '{spec.description}'")
        offset += struct.calcsize("<" + code)
    return problems


def check_sketch(text: str, spec_text: str) -> list[str]:
    """Every way the sketch can disagree with sensors/profiles/dorsi.py and gatt_profile.md, as messages."""
    sk = parse_sketch(text)
    problems: list[str] = []

    def scalar(name: str) -> int | None:
        if name not in sk.scalars:
            problems.append(f"constant {name} not found")
        return sk.scalars.get(name)

    def expect(name: str, want: object) -> None:
        got = scalar(name)
        if got is not None and got != want:
            problems.append(f"{name} = {got}, expected {want}")

    for array, profile_uuid in PROFILE_UUIDS.items():
        raw = sk.arrays.get(array)
        if raw is None or len(raw) != 16:
            problems.append(f"{array} is not a 16-byte array")
        elif str(uuid.UUID(bytes=bytes(reversed(raw)))) != profile_uuid:
            problems.append(f"{array} is {uuid.UUID(bytes=bytes(reversed(raw)))} (LSB first), profile {profile_uuid}")

    services = dict(re.findall(r"\bBLEService\s+(\w+)\((\w+)\)", sk.code))
    chars = dict(re.findall(r"\bBLECharacteristic\s+(\w+)\((\w+)\)", sk.code))
    props = dict(re.findall(r"\b(\w+)\.setProperties\((\w+)\)", sk.code))
    if list(services.values()) != ["DORSI_SERVICE_UUID"]:
        problems.append(f"services {services}, expected one built from DORSI_SERVICE_UUID")
    advertised = re.findall(r"Advertising\.addService\((\w+)\)", sk.code)
    if advertised != [k for k, v in services.items() if v == "DORSI_SERVICE_UUID"]:
        problems.append(f"advertised services {advertised} are not the dorsi service")
    spec_props = {
        u: p.lower()
        for u, p in re.findall(r"^\|[^|]*\|\s*`([0-9a-f-]{36})`\s*\|\s*([^|]+?)\s*\|", spec_text, flags=re.M)
    }
    for var, array in chars.items():
        want = spec_props.get(PROFILE_UUIDS.get(array, ""), "?").split()[0]
        if props.get(var) != f"CHR_PROPS_{want.upper()}":
            problems.append(f"{var} ({array}) has properties {props.get(var)}, the spec says {want}")
    if sorted(chars.values()) != sorted(k for k in PROFILE_UUIDS if k != "DORSI_SERVICE_UUID"):
        problems.append(f"characteristics {chars} do not cover samples, control and configuration")
    for service in ("BLEBas", "BLEDis"):
        if not re.search(rf"\b{service}\s+\w+;", sk.code):
            problems.append(f"no {service} (Battery / Device Information service)")
    for setter in ("setManufacturer", "setModel", "setFirmwareRev"):
        if not re.search(rf"\.{setter}\(\w+\)", sk.code):
            problems.append(f"Device Information {setter} is not set")

    header_fields = spec_layout(spec_text, "## Samples packet")
    problems += check_layout(
        sk, "SamplesHeader", [f for f in header_fields if f.offset is not None], dorsi.HEADER.format
    )
    problems += check_layout(sk, "RawSample", [f for f in header_fields if f.offset is None], dorsi.SAMPLE.format)
    problems += check_layout(sk, "ConfigValue", spec_layout(spec_text, "## Configuration (read)"), dorsi.CONFIG.format)
    sample_row = next((f.description for f in header_fields if f.offset is None), "")
    spec_axes = re.findall(r"\b([ag][xyz])\b", sample_row)
    raw_names = [n for _, n in sk.structs.get("RawSample", (True, []))[1]]
    if raw_names != spec_axes:
        problems.append(f"RawSample fields {raw_names}, the spec's order is {spec_axes}")

    expect("FORMAT_VERSION", dorsi.FORMAT_VERSION)
    for cmd in ("CMD_START", "CMD_STOP", "CMD_SET_RATE", "CMD_SET_RANGES"):
        expect(cmd, getattr(dorsi, cmd))
    expect("DEFAULT_RATE_HZ", dorsi.DEFAULT_RATE_HZ)
    expect("DEFAULT_ACC_RANGE_CODE", dorsi.DEFAULT_ACC_CODE)
    expect("DEFAULT_GYRO_RANGE_CODE", dorsi.DEFAULT_GYRO_CODE)
    expect("MAX_SAMPLES_PER_PACKET", dorsi.MAX_SAMPLES_PER_PACKET)
    expect("MAX_NAME_LENGTH", dorsi.MAX_NAME_LENGTH)
    expect("REQUESTED_ATT_MTU", spec_number(spec_text, r"request an ATT MTU of (\d+)"))
    expect("ATT_ERROR_VALUE_NOT_ALLOWED", spec_number(spec_text, r"ATT error `(0x[0-9A-Fa-f]+)`"))
    mtu = sk.scalars.get("REQUESTED_ATT_MTU", 0)
    if (mtu - 3 - dorsi.HEADER_SIZE) // dorsi.SAMPLE_SIZE != sk.scalars.get("MAX_SAMPLES_PER_PACKET"):
        problems.append("MAX_SAMPLES_PER_PACKET does not fill the requested MTU")
    for reg, address in REGISTERS.items():
        expect(reg, address)
    expect("CTRL3_C_BDU", CTRL3_C_BDU)

    prefix = sk.strings.get("NAME_PREFIX")
    if prefix != dorsi.NAME_PREFIX:
        problems.append(f"NAME_PREFIX {prefix!r}, profile {dorsi.NAME_PREFIX!r}")
    name_length = len(prefix or "") + sk.scalars.get("NAME_SUFFIX_LENGTH", 99)
    if name_length > dorsi.MAX_NAME_LENGTH:
        problems.append(f"advertised name of {name_length} characters, at most {dorsi.MAX_NAME_LENGTH}")
    if 3 + (2 + name_length) + 18 > 31:
        problems.append("flags + name + service UUID exceed the 31-byte legacy advertisement")
    fw = [sk.scalars.get(f"FIRMWARE_VERSION_{p}") for p in ("MAJOR", "MINOR", "PATCH")]
    if sk.strings.get("FIRMWARE_REVISION") != ".".join(str(v) for v in fw):
        problems.append(f"FIRMWARE_REVISION {sk.strings.get('FIRMWARE_REVISION')!r} != version constants {fw}")

    try:
        acc, gyro, rates = sk.rows("ACC_RANGES"), sk.rows("GYRO_RANGES"), sk.rows("RATES")
    except (KeyError, ValueError) as error:
        return problems + [f"range or rate table unreadable: {error!r}"]
    if [r["code"] for r in acc] != sorted(dorsi.ACC_FULL_SCALE_G):
        problems.append(f"ACC_RANGES codes {[r['code'] for r in acc]} (must equal the row index)")
    for r in acc:
        code = r["code"]
        if r["full_scale_g"] != dorsi.ACC_FULL_SCALE_G.get(code):
            problems.append(f"acc code {code}: +-{r['full_scale_g']} g, profile +-{dorsi.ACC_FULL_SCALE_G.get(code)} g")
        want = round(dorsi.ACC_SENSITIVITY_MG_PER_LSB.get(code, 0) * 1000)
        if r["sensitivity_ug_per_lsb"] != want:
            problems.append(f"acc code {code}: {r['sensitivity_ug_per_lsb']} ug/LSB, profile {want}")
        if r["fs_xl_bits"] != FS_XL_BITS_BY_G.get(r["full_scale_g"]):
            problems.append(f"acc code {code}: FS_XL bits {r['fs_xl_bits']:02b} do not select +-{r['full_scale_g']} g")
    if [r["code"] for r in gyro] != sorted(dorsi.GYRO_FULL_SCALE_DPS):
        problems.append(f"GYRO_RANGES codes {[r['code'] for r in gyro]} (must equal the row index)")
    for r in gyro:
        code = r["code"]
        if r["full_scale_dps"] != dorsi.GYRO_FULL_SCALE_DPS.get(code):
            problems.append(
                f"gyro code {code}: {r['full_scale_dps']} dps, profile {dorsi.GYRO_FULL_SCALE_DPS.get(code)}"
            )
        want = round(dorsi.GYRO_SENSITIVITY_MDPS_PER_LSB.get(code, 0) * 1000)
        if r["sensitivity_udps_per_lsb"] != want:
            problems.append(f"gyro code {code}: {r['sensitivity_udps_per_lsb']} udps/LSB, profile {want}")
        if r["fs_g_bits"] != FS_G_BITS_BY_DPS.get(r["full_scale_dps"]):
            problems.append(f"gyro code {code}: FS_G bits {r['fs_g_bits']:02b} do not select {r['full_scale_dps']} dps")
    if sorted(r["rate_hz"] for r in rates) != sorted(dorsi.SUPPORTED_RATES_HZ):
        problems.append(f"RATES {[r['rate_hz'] for r in rates]}, profile {dorsi.SUPPORTED_RATES_HZ}")
    for r in rates:
        hz = r["rate_hz"]
        if r["interval_us"] * hz != 1_000_000:
            problems.append(f"{hz} Hz: interval {r['interval_us']} us")
        if ODR_HZ_BY_BITS.get(r["odr_bits"], 0) < 2 * hz:
            problems.append(f"{hz} Hz: IMU ODR bits {r['odr_bits']:04b} run below twice the output rate")
        if not 1 <= r["samples_per_packet"] <= dorsi.MAX_SAMPLES_PER_PACKET or hz != 50 * r["samples_per_packet"]:
            problems.append(f"{hz} Hz: {r['samples_per_packet']} samples per notification, not 50 notifications/s")
    return problems


# --- the checker on the real sketch, and on drifted copies --------------------------------------------------------


def test_sketch_matches_profile_and_spec() -> None:
    assert check_sketch(SKETCH.read_text(), SPEC.read_text()) == []


DRIFTS = {
    "sequence and timestamp swapped": (
        "  uint32_t first_sequence;\n  uint32_t first_timestamp_us;",
        "  uint32_t first_timestamp_us;\n  uint32_t first_sequence;",
    ),
    "interval widened to u32": ("uint16_t sample_interval_us;", "uint32_t sample_interval_us;"),
    "control UUID typo": ("0x02, 0x10, 0xa5, 0xd0}", "0x20, 0x10, 0xa5, 0xd0}"),
    "service UUID byte order": ("0x00, 0x10, 0xa5, 0xd0}", "0x10, 0x00, 0xa5, 0xd0}"),
    "format version": ("FORMAT_VERSION = 1;", "FORMAT_VERSION = 2;"),
    "acc sensitivity": ("{2, 8, 244, 0b11}", "{2, 8, 245, 0b11}"),
    "acc FS bits": ("{1, 4, 122, 0b10}", "{1, 4, 122, 0b01}"),
    "gyro sensitivity in mdps": ("{3, 2000, 70000, 0b11}", "{3, 2000, 70, 0b11}"),
    "gyro full scale": ("{1, 500, 17500, 0b01}", "{1, 245, 17500, 0b01}"),
    "stop opcode": ("CMD_STOP = 0x02;", "CMD_STOP = 0x05;"),
    "default rate": ("DEFAULT_RATE_HZ = 100;", "DEFAULT_RATE_HZ = 200;"),
    "default acc range": ("DEFAULT_ACC_RANGE_CODE = 2;", "DEFAULT_ACC_RANGE_CODE = 3;"),
    "interval": ("{100, 10000, 0b0101, 2}", "{100, 1000, 0b0101, 2}"),
    "IMU ODR too low": ("{200, 5000, 0b0110, 4}", "{200, 5000, 0b0100, 4}"),
    "unsupported rate": ("{50, 20000, 0b0100, 1}", "{60, 20000, 0b0100, 1}"),
    "name prefix": ('NAME_PREFIX[] = "dorsi-";', 'NAME_PREFIX[] = "dorsa-";'),
    "name too long": ("NAME_SUFFIX_LENGTH = 2;", "NAME_SUFFIX_LENGTH = 4;"),
    "name limit": ("MAX_NAME_LENGTH = 8;", "MAX_NAME_LENGTH = 9;"),
    "config not packed": ("struct __attribute__((packed)) ConfigValue", "struct ConfigValue"),
    "config field order": (
        "  uint16_t rate_hz;\n  uint8_t acc_range_code;",
        "  uint8_t acc_range_code;\n  uint16_t rate_hz;",
    ),
    "sample axes order": ("  int16_t ax;\n  int16_t ay;", "  int16_t ay;\n  int16_t ax;"),
    "rejection code": ("ATT_ERROR_VALUE_NOT_ALLOWED = 0x13;", "ATT_ERROR_VALUE_NOT_ALLOWED = 0x03;"),
    "packet size": ("MAX_SAMPLES_PER_PACKET = 19;", "MAX_SAMPLES_PER_PACKET = 20;"),
    "MTU": ("REQUESTED_ATT_MTU = 247;", "REQUESTED_ATT_MTU = 185;"),
    "samples not notify": ("samplesChr.setProperties(CHR_PROPS_NOTIFY)", "samplesChr.setProperties(CHR_PROPS_READ)"),
    "firmware revision": ('FIRMWARE_REVISION[] = "1.0.0";', 'FIRMWARE_REVISION[] = "1.0.1";'),
    "IMU output register": ("REG_OUTX_L_G = 0x22;", "REG_OUTX_L_G = 0x28;"),
    "no battery service": ("BLEBas battery;", "int battery;"),
}


@pytest.mark.parametrize("drift", sorted(DRIFTS))
def test_checker_notices_drift(drift: str) -> None:
    old, new = DRIFTS[drift]
    text = SKETCH.read_text()
    assert text.count(old) == 1, f"mutation anchor {old!r} not found once in the sketch"
    assert check_sketch(text.replace(old, new), SPEC.read_text()) != []


def test_checker_notices_spec_drift() -> None:
    spec = SPEC.read_text()
    old = "| 8 | 4 | u32 | sensor timestamp"
    assert spec.count(old) == 1
    drifted = spec.replace(old, "| 8 | 4 | u32 | sensor time")
    assert check_sketch(SKETCH.read_text(), drifted) != []


# --- the sketch compiled for the host and run through a scripted session -----------------------------------------


@dataclass
class HostRun:
    """Lines the host harness printed, grouped by phase (see host_check/harness.cpp)."""

    lines: list[tuple[str, str, str]]  # (phase, tag, rest)

    def values(self, tag: str, phase: str | None = None) -> list[str]:
        return [rest for p, t, rest in self.lines if t == tag and (phase is None or p == phase)]

    def one(self, tag: str) -> str:
        (value,) = self.values(tag)
        return value


@pytest.fixture(scope="module")
def host_run(tmp_path_factory: pytest.TempPathFactory) -> HostRun:
    compiler = shutil.which("g++")
    if compiler is None:
        reason = "g++ not installed: the host run of the sketch needs it (apt-get install g++)"
        if os.environ.get("DORSI_REQUIRE_GXX") == "1":
            pytest.fail(reason + "; DORSI_REQUIRE_GXX=1 makes this a failure")
        pytest.skip(reason)
    exe = tmp_path_factory.mktemp("firmware") / "dorsi_host"
    build = subprocess.run(
        [compiler, "-std=gnu++11", "-Wall", "-Wextra", "-I", str(HOST_CHECK / "include")]
        + ["-x", "c++", str(SKETCH), "-x", "c++", str(HOST_CHECK / "harness.cpp"), "-o", str(exe)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert build.returncode == 0, build.stderr
    assert "dorsi_xiao.ino" not in build.stderr, f"the sketch compiles with warnings:\n{build.stderr}"
    out = subprocess.run([str(exe)], capture_output=True, text=True, timeout=60, check=True).stdout
    lines, phase = [], ""
    for line in out.splitlines():
        tag, _, rest = line.partition(" ")
        if tag == "PHASE":
            phase = rest
        lines.append((phase, tag, rest))
    assert phase == "end", "the harness did not finish its session"
    return HostRun(lines)


def notifications(run: HostRun, phase: str) -> list[dorsi.DecodedPacket]:
    """Decode a phase's notifications with the profile's decoder; each must be exactly one well-formed packet."""
    packets = []
    for hexdata in run.values("NOTIFY", phase):
        result = dorsi.decode_notification(bytes.fromhex(hexdata))
        assert result.malformed == [] and len(result.packets) == 1, hexdata
        packets.append(result.packets[0])
    return packets


def test_host_identity_and_advertisement(host_run: HostRun) -> None:
    assert host_run.one("NAME") == "dorsi-AB"  # the harness's address ends in AB
    adv = bytes.fromhex(host_run.one("ADV"))
    assert len(adv) <= 31
    structures, pos = [], 0
    while pos < len(adv):
        length = adv[pos]
        structures.append((adv[pos + 1], adv[pos + 2 : pos + 1 + length]))
        pos += 1 + length
    assert structures == [
        (0x01, b"\x06"),
        (0x09, b"dorsi-AB"),
        (0x07, uuid.UUID(dorsi.SERVICE_UUID).bytes[::-1]),
    ]
    assert host_run.one("ADV_STARTED") == "1"
    manufacturer, model, firmware = host_run.one("DIS").split("|")
    assert manufacturer and model and firmware == "1.0.0"
    assert host_run.one("CONN_INTERVAL") == "6 12"  # 7.5-15 ms in 1.25 ms units, as the spec suggests
    assert int(host_run.one("SAMPLES_MAX_LEN")) == dorsi.HEADER_SIZE + dorsi.MAX_SAMPLES_PER_PACKET * dorsi.SAMPLE_SIZE
    assert int(host_run.one("SAMPLES_READ"), 16) == 0x0102  # ATT Read Not Permitted


def test_host_battery_from_the_divider(host_run: HostRun) -> None:
    volts = int(host_run.one("BATTERY_ANALOG")) * 3.6 / 4095 * VBAT_DIVIDER
    assert 3.8 < volts < 4.0
    assert int(host_run.one("BATTERY")) == round((volts - 3.3) / (4.2 - 3.3) * 100)


def test_host_configuration_and_commands(host_run: HostRun) -> None:
    configs = [dorsi.SensorConfig.decode(bytes.fromhex(c)) for c in host_run.values("CONFIG")]
    assert configs[0] == dorsi.SensorConfig(100, 2, 3, False, (1, 0, 0))
    replies = [(int(r.split()[0], 16), r.split()[2] if len(r.split()) > 2 else "") for r in host_run.values("REPLY")]
    for status, command in replies:
        try:
            dorsi.parse_command(bytes.fromhex(command))
        except dorsi.ProfileError:
            assert status in (0x0113, 0x0103), command  # ATT Value Not Allowed (or the fallback below)
        else:
            assert status == 0x0000, command
    assert [s for s, _ in replies].count(0x0103) == 1  # only where the SoftDevice refused the 0x13 code
    bad = [dorsi.SensorConfig.decode(bytes.fromhex(c)) for c in host_run.values("CONFIG", "bad_commands")]
    assert set(bad) == {dorsi.SensorConfig(200, 1, 0, True, (1, 0, 0))}
    after_disconnect = dorsi.SensorConfig.decode(bytes.fromhex(host_run.values("CONFIG", "disconnect")[-1]))
    assert not after_disconnect.streaming
    assert dorsi.SensorConfig.decode(bytes.fromhex(host_run.values("CONFIG", "stream50")[-1])).rate_hz == 50


def test_host_imu_registers(host_run: HostRun) -> None:
    def writes(phase: str) -> dict[int, int]:
        return {int(a, 16): int(v, 16) for a, v in (r.split() for r in host_run.values("REG", phase))}

    def ctrl(odr_hz: int, fs_bits: int) -> int:
        odr_bits = next(b for b, hz in ODR_HZ_BY_BITS.items() if hz == odr_hz)
        return odr_bits << 4 | fs_bits << 2

    setup = writes("setup")
    assert setup[0x12] & CTRL3_C_BDU
    assert setup[0x10] == ctrl(208, FS_XL_BITS_BY_G[8]) and setup[0x11] == ctrl(208, FS_G_BITS_BY_DPS[2000])
    assert writes("stream200") == {0x10: ctrl(416, FS_XL_BITS_BY_G[8]), 0x11: ctrl(416, FS_G_BITS_BY_DPS[2000])}
    assert writes("ranges") == {0x10: ctrl(416, FS_XL_BITS_BY_G[4]), 0x11: ctrl(416, FS_G_BITS_BY_DPS[250])}
    assert writes("stream50") == {0x10: ctrl(104, FS_XL_BITS_BY_G[4]), 0x11: ctrl(104, FS_G_BITS_BY_DPS[250])}
    assert host_run.values("BADREAD") == []


def test_host_packets_per_phase(host_run: HostRun) -> None:
    assert host_run.values("MTU_REQUESTED") == ["247", "247"]
    assert notifications(host_run, "mtu23") == []  # MTU 23 holds no sample: wait for the exchange
    expected = {  # phase: (interval_us, samples per packet, acc code, gyro code)
        "stream100": (10000, 2, 2, 3),
        "stream200": (5000, 4, 2, 3),
        "ranges": (5000, 4, 1, 0),
        "mtu40": (5000, 1, 1, 0),  # (40 - 3 - 14) // 12 = 1 sample fits
        "stream50": (20000, 1, 1, 0),
    }
    for phase, (interval, n, acc, gyro) in expected.items():
        packets = notifications(host_run, phase)
        assert len(packets) >= 5, phase
        tail = packets[1:]  # the first may be a packet closed early by the change that starts the phase
        assert {(p.interval_us, p.raw.shape[0], p.acc_code, p.gyro_code) for p in tail} == {(interval, n, acc, gyro)}
    assert all(len(bytes.fromhex(h)) <= 40 - 3 for h in host_run.values("NOTIFY", "mtu40"))


def test_host_sample_order_and_values(host_run: HostRun) -> None:
    raw = np.vstack([p.raw for phase in ("stream100", "stream200") for p in notifications(host_run, phase)])
    ax, ay, az, gx, gy, gz = raw.T.astype(int)
    # the fake IMU reads gyro (1000+i, 2000+i, 3000+i) and accel (-1000-i, -2000-i, -3000-i), in register order
    assert np.all(ax == -gx) and np.all(ay == -gy) and np.all(az == -gz)
    assert np.all(gy - gx == 1000) and np.all(gz - gx == 2000)
    assert np.array_equal(gx, 1000 + np.arange(len(gx)))


def test_host_timeline_is_one_exact_grid(host_run: HostRun) -> None:
    phases = ("stream100", "stream200", "ranges", "holdup", "congestion", "bad_commands", "stop")
    packets = [p for phase in phases for p in notifications(host_run, phase)]
    wrapped = False
    for prev, cur in zip(packets, packets[1:], strict=False):
        last_seq = prev.seq + prev.raw.shape[0] - 1
        last_t = prev.t_first_us + (prev.raw.shape[0] - 1) * prev.interval_us
        assert (cur.seq - last_seq) % 2**32 >= 1
        assert (cur.t_first_us - last_t) % 2**32 == ((cur.seq - last_seq) * cur.interval_us) % 2**32
        wrapped |= cur.t_first_us < prev.t_first_us
    assert wrapped, "the session should cross the 2^32 us wrap of the sensor clock"

    decoder = dorsi.StreamDecoder("shin")
    blocks = [
        b
        for h in (x for phase in phases for x in host_run.values("NOTIFY", phase))
        for b in decoder.feed(bytes.fromhex(h))
    ]
    t = np.concatenate([b.t_s for b in blocks])
    seq = np.concatenate([b.seq for b in blocks])
    assert decoder.restarts == 0 and decoder.malformed == 0
    assert np.all(np.diff(t) > 0) and np.all(np.diff(seq) >= 1)


def test_host_losses_are_sequence_gaps(host_run: HostRun) -> None:
    def steps(*phases: str) -> list[int]:
        packets = [p for phase in phases for p in notifications(host_run, phase)]
        return [cur.seq - (prev.seq + prev.raw.shape[0]) for prev, cur in zip(packets, packets[1:], strict=False)]

    assert set(steps("stream100")) == {0} and set(steps("stream200", "ranges")) == {0}
    held_up = [gap for gap in steps("ranges", "holdup") if gap]
    assert len(held_up) == 1 and 9 <= held_up[0] <= 10  # 50 ms held up at 200 Hz: the slots missed, none invented
    # 0.5 s unsent at 200 Hz is 25 packets for a 16-packet queue: the oldest 9 whole 4-sample packets are lost
    assert [gap for gap in steps("holdup", "congestion") if gap] == [9 * 4]


def test_host_stop_and_disconnect_end_the_stream(host_run: HostRun) -> None:
    stop = notifications(host_run, "stop")
    assert len(stop) <= 1 and all(p.raw.shape[0] < 4 for p in stop)  # only the partial packet is flushed
    disconnect_lines = [tag for phase, tag, _ in host_run.lines if phase == "disconnect"]
    assert "NOTIFY" not in disconnect_lines[disconnect_lines.index("EVENT") :]
