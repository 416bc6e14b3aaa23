"""Who sails: vessel identities (MMSI, IMO, name, callsign, type, size, class) by flag and role.

MMSIs carry the real Maritime Identification Digits of the flags seen in the Sicily channel
(ITU MID table: Italy 247, Malta 215/229/248/249/256, Tunisia 672, Libya 642, Greece 237/239-241,
Panama 351-357/370-373, Liberia 636, Marshall Islands 538, Cyprus 209-212, Turkey 271, Germany
211...), IMO numbers have a valid check digit (IMO Res. A.1117(30)), callsigns use each flag's
ITU prefix. Ship type codes are those of ITU-R M.1371 Table 53 (30 fishing, 35 military, 51 SAR,
52 tug, 55 law enforcement, 60-69 passenger, 70-79 cargo, 80-89 tanker).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    """What a vessel does in the simulation; sets its motion and reporting."""

    CARGO = "cargo"
    TANKER = "tanker"
    FERRY = "ferry"
    TRAWLER = "trawler"  # class A trawler (EU vessels over 15 m carry class A)
    FISHING_B = "fishing_b"  # small class B fishing boat
    PATROL = "patrol"
    SAR_AIRCRAFT = "sar_aircraft"
    NGO = "ngo"
    MOTHERSHIP = "mothership"
    SMALL_BOAT = "small_boat"  # fast class B craft: departures, encounters with motherships
    ANCHORED = "anchored"


@dataclass(frozen=True, slots=True)
class Flag:
    """A flag state: its MIDs, callsign prefixes and a naming style."""

    country: str
    mids: tuple[int, ...]
    callsign_prefixes: tuple[str, ...]
    style: str


FLAGS: dict[str, Flag] = {
    "IT": Flag("IT", (247,), ("I",), "it"),
    "MT": Flag("MT", (215, 229, 248, 249, 256), ("9H",), "intl"),
    "TN": Flag("TN", (672,), ("3V",), "ar"),
    "LY": Flag("LY", (642,), ("5A",), "ar"),
    "GR": Flag("GR", (237, 239, 240, 241), ("SV", "SX", "SY"), "gr"),
    "PA": Flag("PA", (351, 352, 353, 354, 355, 356, 357, 370, 371, 372, 373), ("3E", "H"), "intl"),
    "LR": Flag("LR", (636,), ("A8", "D5"), "intl"),
    "MH": Flag("MH", (538,), ("V7",), "intl"),
    "CY": Flag("CY", (209, 210, 212), ("5B",), "intl"),
    "TR": Flag("TR", (271,), ("TC",), "tr"),
    "DE": Flag("DE", (211,), ("DA", "DF"), "intl"),
}
MERCHANT_FLAGS = ("PA", "LR", "MH", "MT", "GR", "CY", "TR", "IT", "DE")
MERCHANT_WEIGHTS = (20, 18, 14, 12, 10, 5, 6, 8, 4)

_WORDS = {
    "it": (
        ["San", "Santa", "Nuova", "Stella", "Madonna", "Padre", "Rosa", "Aurora", "Lupo"],
        ["Francesco", "Rosalia", "Pio", "di Mare", "del Sud", "Antonio", "Luna", "Vito", "Maria"],
    ),
    "ar": (
        ["Al", "El", "Sidi", "Nour", "Bahr", "Amira", "Salam", "Yasmine"],
        ["Amal", "Bouhlel", "Karim", "Mabrouk", "Jerba", "Fajr", "Rahma", "Tarek", "Najma"],
    ),
    "gr": (
        ["Agios", "Aegean", "Kapetan", "Olympic", "Ionian", "Delos"],
        ["Nikolaos", "Star", "Spirit", "Glory", "Dream", "Georgios", "Wave"],
    ),
    "tr": (["Ege", "Deniz", "Yildiz", "Kaptan"], ["Yilmaz", "Gunes", "Bey", "Mavisi"]),
    "intl": (
        ["Ocean", "Sea", "Nordic", "Atlantic", "Golden", "Pacific", "Star", "Blue", "Maersk"],
        ["Pioneer", "Harmony", "Trader", "Spirit", "Venture", "Falcon", "Dawn", "Grace", "Hope"],
    ),
}


def imo_check_digit(six: int) -> int:
    """Return the IMO check digit of a six-digit serial (weights 7..2, last digit of the sum)."""
    digits = [int(c) for c in f"{six:06d}"]
    return sum(d * w for d, w in zip(digits, range(7, 1, -1), strict=True)) % 10


def make_imo(rng: random.Random) -> int:
    """Return a valid seven-digit IMO number in the range of ships built 1990-2024."""
    six = rng.randint(810000, 999999)
    return six * 10 + imo_check_digit(six)


@dataclass(frozen=True, slots=True)
class Vessel:
    """The identity a transponder broadcasts (type 5 / type 24), plus the simulator's role."""

    mmsi: int
    name: str
    callsign: str
    imo: int  # 0 = not available (class B, small craft)
    ship_type: int
    length: int
    beam: int
    ais_class: str  # "A", "B" or "aircraft"
    role: Role
    flag: str
    destination: str = ""
    draught: float = 0.0
    max_speed: float = 15.0  # knots, the fastest the hull can go

    @property
    def dims(self) -> tuple[int, int, int, int]:
        """(to_bow, to_stern, to_port, to_starboard) with the antenna aft of amidships."""
        bow = int(round(self.length * 0.7))
        port = self.beam // 2
        return bow, self.length - bow, port, self.beam - port


class Registry:
    """Hands out unique MMSIs, names and callsigns for one run (deterministic per rng)."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.used_mmsi: set[int] = set()
        self.used_names: set[str] = set()
        self.used_callsigns: set[str] = set()
        self.used_imos: set[int] = set()

    def reserve(self, *, mmsi: int = 0, name: str = "", callsign: str = "", imo: int = 0) -> None:
        """Keep identities (watchlist entries) out of the random draws."""
        if mmsi:
            self.used_mmsi.add(mmsi)
        if name:
            self.used_names.add(" ".join(name.upper().split()))
        if callsign:
            self.used_callsigns.add(callsign.upper())
        if imo:
            self.used_imos.add(imo)

    def callsign(self, flag: str) -> str:
        """Return a fresh callsign of a flag."""
        while True:
            c = make_callsign(self.rng, FLAGS[flag])
            if c not in self.used_callsigns:
                self.used_callsigns.add(c)
                return c

    def imo(self) -> int:
        """Return a fresh valid IMO number."""
        while True:
            i = make_imo(self.rng)
            if i not in self.used_imos:
                self.used_imos.add(i)
                return i

    def mmsi(self, flag: str, *, aircraft: bool = False) -> int:
        """Return a fresh MMSI of a flag; SAR aircraft get the 111MIDxxx form (ITU-R M.585)."""
        while True:
            mid = self.rng.choice(FLAGS[flag].mids)
            if aircraft:
                m = 111_000_000 + mid * 1000 + self.rng.randint(100, 999)
            else:
                m = mid * 1_000_000 + self.rng.randint(100_000, 999_999)
            if m not in self.used_mmsi:
                self.used_mmsi.add(m)
                return m

    def name(self, flag: str) -> str:
        """Return a fresh plausible name in the style of a flag."""
        for _ in range(50):
            n = make_name(self.rng, FLAGS[flag].style)
            if n not in self.used_names:
                self.used_names.add(n)
                return n
        n = f"{make_name(self.rng, FLAGS[flag].style)} {self.rng.randint(2, 99)}"
        self.used_names.add(n)
        return n

    def vessel(self, role: Role, flag: str | None = None) -> Vessel:
        """Return a new vessel of a role with size, type, class and speed typical of it."""
        rng = self.rng
        if flag is None:
            flag = _default_flag(rng, role)
        spec = _ROLE_SPECS[role]
        length = rng.randint(*spec[0])
        beam = max(3, int(length * rng.uniform(0.14, 0.2)))
        ais_class = spec[2]
        return Vessel(
            mmsi=self.mmsi(flag, aircraft=role is Role.SAR_AIRCRAFT),
            name=self.name(flag),
            callsign=self.callsign(flag),
            imo=self.imo() if spec[3] else 0,
            ship_type=rng.choice(spec[1]),
            length=length,
            beam=beam,
            ais_class=ais_class,
            role=role,
            flag=flag,
            draught=round(length * rng.uniform(0.035, 0.06), 1) if ais_class == "A" else 0.0,
            max_speed=spec[4],
        )


#: role -> (length range m, ship types, class, has IMO, max speed kn)
_ROLE_SPECS: dict[Role, tuple[tuple[int, int], tuple[int, ...], str, bool, float]] = {
    Role.CARGO: ((120, 330), (70, 71, 74, 79), "A", True, 22.0),
    Role.TANKER: ((110, 280), (80, 81, 82, 84), "A", True, 16.0),
    Role.ANCHORED: ((90, 250), (70, 80, 82, 89), "A", True, 15.0),
    Role.FERRY: ((90, 200), (60, 69), "A", True, 24.0),
    Role.TRAWLER: ((18, 38), (30,), "A", False, 11.0),
    Role.FISHING_B: ((8, 16), (30,), "B", False, 9.0),
    Role.PATROL: ((40, 90), (35, 55), "A", False, 28.0),
    Role.SAR_AIRCRAFT: ((0, 0), (0,), "aircraft", False, 250.0),
    Role.NGO: ((30, 80), (51, 58), "A", True, 14.0),
    Role.MOTHERSHIP: ((25, 45), (30, 52, 79), "A", False, 12.0),
    Role.SMALL_BOAT: ((7, 12), (37, 36, 0), "B", False, 30.0),
}


def _default_flag(rng: random.Random, role: Role) -> str:
    if role in (Role.CARGO, Role.TANKER, Role.ANCHORED):
        return rng.choices(MERCHANT_FLAGS, MERCHANT_WEIGHTS)[0]
    if role is Role.TRAWLER:
        return "IT"
    if role is Role.NGO:
        return rng.choice(("DE", "IT", "MT"))
    if role is Role.PATROL:
        return rng.choice(("IT", "MT", "IT", "LY", "TN"))
    if role is Role.SAR_AIRCRAFT:
        return rng.choice(("IT", "MT"))
    return rng.choice(("TN", "LY"))


def make_name(rng: random.Random, style: str, avoid: str = "") -> str:
    """Return a two-word ship name in a naming style (upper case, as broadcast)."""
    first, second = _WORDS[style]
    while True:
        n = f"{rng.choice(first)} {rng.choice(second)}".upper()
        if rng.random() < 0.25:
            n += f" {rng.randint(2, 9)}"
        if n != avoid:
            return n


def make_callsign(rng: random.Random, flag: Flag) -> str:
    """Return a callsign with the flag's ITU prefix (seven characters at most, as type 5 allows)."""
    prefix = rng.choice(flag.callsign_prefixes)
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    tail = "".join(rng.choice(letters) for _ in range(4 - len(prefix) + 1))
    if rng.random() < 0.3:
        tail += str(rng.randint(1, 9))
    return (prefix + tail)[:7]


#: MMSIs that no real station may carry: placeholders that transponders ship with, all zeros,
#: and nine-digit numbers whose first three digits are no MID (ITU MID table: 2xx-7xx only).
INVALID_MMSIS = (123456789, 0, 111111111, 999999999, 100000001, 912345678, 200123456)
