"""The supported sensor models, and what an advertisement or a GATT table says about a device."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from sensors.profiles import dorsi, movella_dot, witmotion
from sensors.profiles.base import Advertised, DeviceProfile

PROFILES: dict[str, DeviceProfile] = {p.name: p for p in (dorsi.PROFILE, witmotion.PROFILE, movella_dot.PROFILE)}

# Names that suggest an inertial sensor of some other make (matched as words or word starts, any case).
_IMU_NAME = re.compile(
    r"(^|[^a-z])(imu|ahrs|[69]dof|9-?axis|mpu-?\d|bno0\d\d|icm-?\d|lsm\d|metawear|movesense)", re.IGNORECASE
)


def profile(name: str) -> DeviceProfile:
    """The profile called `name` ("dorsi", "witmotion", "movella_dot"); KeyError names the choices."""
    try:
        return PROFILES[name]
    except KeyError:
        raise KeyError(f"unknown sensor profile {name!r}; choose one of {', '.join(PROFILES)}") from None


@dataclass(frozen=True)
class Verdict:
    """What dorsi makes of one advertisement.

    Attributes
    ----------
    profile : the supported model it is, or None.
    unsupported_reason : for a device that looks like an IMU but is not supported, why; else None.
    may_be : a supported model the device may be although its advertisement does not say so (connecting and
        looking at its GATT services settles it: `profile_for_services`), or None.
    """

    profile: DeviceProfile | None
    unsupported_reason: str | None = None
    may_be: DeviceProfile | None = None

    @property
    def looks_like_imu(self) -> bool:
        """True for a supported sensor or an IMU-looking device that is not supported."""
        return self.profile is not None or self.unsupported_reason is not None


def classify(adv: Advertised) -> Verdict:
    """Which supported model an advertisement is from, or why an IMU-looking device is not supported.

    A device that is neither (a phone, headphones) gets an empty verdict.
    """
    for p in PROFILES.values():
        if p.recognise(adv):
            return Verdict(p)
    for p in PROFILES.values():
        reason = p.unsupported_reason(adv)
        if reason is not None:
            return Verdict(None, reason, p if p.may_be(adv) else None)
    if adv.name and _IMU_NAME.search(adv.name):
        return Verdict(
            None, "an IMU-like name, but it advertises none of the services dorsi supports (dorsi, WitMotion, DOT)"
        )
    return Verdict(None)


def profile_for_services(service_uuids: Iterable[str]) -> DeviceProfile | None:
    """The supported model whose identifying GATT service is among `service_uuids` (after connecting)."""
    found = {u.lower() for u in service_uuids}
    for p in PROFILES.values():
        if p.service_uuid in found:
            return p
    return None
