"""
The formula's cinder.conf edit as pure functions of the ``datera`` pillar and a file's text
(what ``datera_conf.apply`` does between reading and writing the file), for the property,
differential and benchmark tests.
"""

from tests.support.loaders import load

datera_conf = load("modules", "datera_conf")
datera_pillar = load("modules", "datera_pillar")


def plan(pillar):
    """What the formula wants in cinder.conf for the ``datera`` pillar ``pillar``."""
    return datera_conf._desired(datera_pillar._normalise(pillar))


def edit(text, wanted):
    """``(new text, changes)``: ``text`` edited to hold the plan ``wanted``."""
    return datera_conf._edit_text(text, wanted)
