"""The transmitters of a shared-MMSI episode, from the tracks the outlier filter kept.

The tracker (`geo.tracker`) keys a track from where it began to be followed or set aside:
each time it goes over from one transmitter to another it lists the one it leaves, and the one
it takes up again, afresh. A transmitter heard in turns with another then shows as several
tracks, each beginning where the one before ended: GFW's segmenter fixture 376091000 (one MMSI
off Colombia and off Mozambique, interleaved all day) was "6 transmitters" for two. The list an
analyst reads joins them: a track carries on an earlier one when it begins at or after that
one's last fix and one craft could have made both (`geo.speed_test.plausible_move`), or when it
begins at the same fix (listed twice); of several it could carry on, the one it needs the
least speed to. Tracks heard at the same time never join: they are what makes the episode.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any


def transmitters(
    tracks: Sequence[Sequence[Any]],
    plausible: Callable[[Any, Any], bool],
    speed: Callable[[Any, Any], float],
) -> list[list[Any]]:
    """Return ``[first, last, fixes]`` per transmitter, from the episode's ``tracks``.

    ``plausible(a, b)`` says whether one craft could have made fixes ``a`` then ``b``;
    ``speed(a, b)`` the speed the move needs. Fixes have a time ``t``.
    """
    ordered = sorted(tracks, key=lambda tr: (tr[0].t, tr[1].t))
    out: list[list[Any]] = []
    for first, last, fixes in ordered:
        same = next((m for m in out if m[0] == first), None)
        if same is not None:
            same[1] = last if last.t > same[1].t else same[1]
            same[2] = max(int(same[2]), int(fixes))
            continue
        after = [m for m in out if m[1].t <= first.t and plausible(m[1], first)]
        if not after:
            out.append([first, last, int(fixes)])
            continue
        m = min(after, key=lambda m: speed(m[1], first))
        shared_fix = 1 if m[1] == first else 0  # the boundary fix is in both
        m[1] = last
        m[2] = int(m[2]) + int(fixes) - shared_fix
    return out if len(out) >= 2 else [list(tr) for tr in ordered]
