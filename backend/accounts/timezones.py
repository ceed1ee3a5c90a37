"""The timezone names Relief accepts: canonical IANA zones that every browser's Intl knows.

``zoneinfo.available_timezones()`` lists whatever files lie under the system's zoneinfo
directory: on Debian that includes ``localtime``, ``posixrules``, ``Factory`` and the
``posix/…`` and ``right/…`` copies, which browsers' ``Intl.DateTimeFormat`` refuses with a
RangeError (one such patient broke the physician's whole patient list). So the list is
built from the data itself, the ``tzdata`` package (IANA's database, the same on every
machine) rather than from the file system:

- **Canonical**: every location in ``zone.tab``, the table of zones by country that
  pickers are built from (``Europe/Amsterdam``, ``Asia/Kolkata``, ``Europe/Kyiv`` …), and
  ``UTC``. ``zone.tab`` keeps one zone per country even where the database has merged
  countries' zones into links (``Europe/Amsterdam`` is a link to ``Europe/Brussels``), so
  nobody is shown a neighbour's city as theirs.
- **Aliases**: a legacy name linked to a canonical zone (``US/Eastern``,
  ``Asia/Calcutta``, ``Europe/Kiev``, ``GMT``) is accepted and stored under its canonical
  name. Browsers report some of these old names themselves (``Intl`` follows CLDR, which
  still says ``Asia/Calcutta``), so refusing them would refuse real phones.
- Anything else (``localtime``, ``posixrules``, ``Factory``, ``posix/…``, ``right/…``,
  fixed offsets such as ``Etc/GMT+5`` and POSIX rules such as ``EST5EDT``, which belong to
  no place) is refused.
"""

from __future__ import annotations

import functools
from importlib import resources

UTC = "UTC"
# The zones that are UTC under another name: their links resolve here and become "UTC".
_UTC_ZONES = frozenset({"Etc/UTC", "Etc/GMT"})


def _data(name: str) -> str:
    return resources.files("tzdata").joinpath("zoneinfo", name).read_text(encoding="utf-8")


@functools.cache
def canonical_timezones() -> frozenset[str]:
    """Every location of ``zone.tab``, and UTC."""
    names = {
        line.split("\t")[2]
        for line in _data("zone.tab").splitlines()
        if line and not line.startswith("#")
    }
    return frozenset({*names, UTC})


@functools.cache
def timezone_aliases() -> dict[str, str]:
    """Each legacy name (a link in the database) that leads to a canonical zone: its name."""
    links: dict[str, str] = {}
    for line in _data("tzdata.zi").splitlines():
        if line.startswith("L "):
            _, target, name = line.split()
            links[name] = target
    canonical = canonical_timezones()
    aliases = {}
    for name in links.keys() - canonical:
        target = name
        for _ in range(len(links)):  # links may chain; the bound guards against a cycle
            if target in canonical or target not in links:
                break
            target = links[target]
        if target in _UTC_ZONES:
            target = UTC
        if target in canonical:
            aliases[name] = target
    for zone in _UTC_ZONES:
        aliases[zone] = UTC
    return aliases


@functools.cache
def accepted_timezones() -> tuple[str, ...]:
    """What the API accepts, sorted: canonical names and the aliases it stores canonical."""
    return tuple(sorted(canonical_timezones() | timezone_aliases().keys()))


def timezone_canonical(name: str) -> str | None:
    """The canonical name for ``name``, or None when it names no accepted zone."""
    if name in canonical_timezones():
        return name
    return timezone_aliases().get(name)


def timezone_repaired(name: str) -> str:
    """What a stored name becomes (migration 0007): its canonical equivalent, reading
    ``posix/X`` and ``right/X`` as ``X``, or UTC when there is none."""
    bare = name.removeprefix("posix/").removeprefix("right/")
    return timezone_canonical(bare) or UTC
