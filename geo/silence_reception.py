"""How well the receivers would have heard a vessel through its silence: the gap verdict's figure.

`geo.coverage.Coverage.assess` measures three things where a vessel fell silent: the learnt
reception of the cell of its last fix (every vessel of its class heard there over the window),
the vessel's own recent reception (its reports heard over those it sent, the last half hour or
so), and the learnt reception of the cells on its dead-reckoned way over the silence threshold.
`silence_reception` makes one figure of them, which the verdict compares with
``coverage_good``:

- **Where it was, the vessel's own reception first.** A cell's figure is every vessel of the
  class there, all day: tall ships and low boats (a ship's antenna moves its range by some
  15 %), the good hours and the bad ones of propagation, the near and the far side of a cell
  at the fringe. The vessel's own figure is this transmitter, here, now. A boat heard two
  reports in three until it stopped is not "at the edge" because the average boat in its cell
  is heard one in two (the demo day's two missed switch-offs: cells 0.60 and 0.53, the truth
  0.74 and 0.71). The cell's figure stands in while the vessel's own is not known yet.
- **Where it was going, the mean over the way.** Silence over the whole threshold means no
  report reached the feed anywhere on the way, so what counts is the share of its reports the
  receivers would have heard along it: the mean of the cells crossed, not the worst one. One
  poor cell between good ones (a hole, or a cell whose figure rests on a few vessels) would
  have left reports heard on either side.
- **Off the map, the cell counts too.** Where the way runs into cells in which no vessel was
  ever heard nor expected, the map cannot tell whether coverage goes on there, and the one sign
  left is the fringe at the last fix: the cell's own figure then counts beside the vessel's.
  This is the fast boat heard two reports in three by one station, heading out to sea past
  anything any vessel was heard in: it sailed out of range (the three false "went dark"
  alerts that trusting the vessel's own reception alone gave). And where reception fell on
  the way to the last fix, it is taken to fall on at that rate past the map's end (``fade``,
  `geo.coverage_verdict`): a boat whose cells went from 85-95 % to 65 % heard, at 20 kn,
  is out of range within the threshold, while the cell's own figure (65 %) would call it
  covered (the false "went dark" of the `coverage` and antimeridian runs: class B boats at
  19-24 kn, cells of 0.65-0.66 at their last fix, 0.73-0.95 on the way in).

The worst of these decides: a silence is called the receivers' doing only where some part of
the picture says they lose vessels.
"""

from __future__ import annotations

from collections.abc import Sequence


def silence_reception(
    at_last_fix: float | None,
    own: float | None,
    ahead: Sequence[float],
    off_map: bool,
    *,
    fade: float = 0.0,
) -> float | None:
    """Return the reception a silence is judged on (None: nothing known).

    Parameters
    ----------
    at_last_fix
        Learnt reception of the last fix's cell (or its block), None if too little evidence.
    own
        The vessel's own recent reception, None if too little evidence.
    ahead
        Learnt reception of each cell with evidence on the dead-reckoned way.
    off_map
        Whether the way crosses a cell where no vessel was ever heard nor expected.
    fade
        How much reception falls, on average, over a way off the map, as it fell on the way
        to the last fix (`geo.coverage_verdict`); 0 where it did not fall.

    Examples
    --------
    >>> silence_reception(0.596, 0.663, [], off_map=False)  # a boat heard better than its cell
    0.663
    >>> round(silence_reception(0.844, 0.915, [0.841, 0.527, 0.869], off_map=False), 3)
    0.746
    >>> silence_reception(0.557, 0.745, [], off_map=True)  # heading past the map: cell counts
    0.557
    >>> silence_reception(0.66, 0.72, [], off_map=True, fade=0.1)  # fading as it heads out
    0.56
    >>> silence_reception(None, None, [], off_map=True) is None
    True
    """
    here = own if own is not None else at_last_fix
    known = [here] if here is not None else []
    if ahead:
        known.append(sum(ahead) / len(ahead))
    if off_map and at_last_fix is not None:
        known.append(max(0.0, at_last_fix - fade))
    return min(known) if known else None
