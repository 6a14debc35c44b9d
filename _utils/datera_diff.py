"""
A unified diff of two versions of an INI file (cinder.conf), quick on big files.

``difflib.unified_diff`` matches every line of the 6,000-line sample against every other
one, although the formula's edits stay inside a few sections. Here the sections are
matched first, as whole texts, and lines only inside the sections that differ; the output
is the same unified format (``---``/``+++`` header, ``@@ -a,b +c,d @@`` hunks, ``context``
lines around each change).

Pure Python with no Salt dunders: imported by name by ``datera_conf`` (as ``datera``
imports ``datera_api``) and the unit tests.
"""

import difflib


def _sections(lines):
    """``[(start, end)]``: the lines before the first header, then one range per section."""
    starts = [0] + [k for k, line in enumerate(lines) if k and line.startswith("[")]
    return list(zip(starts, starts[1:] + [len(lines)], strict=True))


def _opcodes(old, new):
    """``difflib`` style opcodes turning ``old`` into ``new``, adjacent equal runs merged."""
    old_sections, new_sections = _sections(old), _sections(new)
    by_section = difflib.SequenceMatcher(
        None,
        ["".join(old[a:b]) for a, b in old_sections],
        ["".join(new[a:b]) for a, b in new_sections],
        autojunk=False,
    )
    codes = []
    for tag, i1, i2, j1, j2 in by_section.get_opcodes():
        a_lo, a_hi = _span(old_sections, i1, i2, len(old))
        b_lo, b_hi = _span(new_sections, j1, j2, len(new))
        if tag == "equal":
            parts = [("equal", a_lo, a_hi, b_lo, b_hi)]
        else:
            parts = _line_opcodes(old, new, a_lo, a_hi, b_lo, b_hi)
        for code in parts:
            if codes and code[0] == "equal" == codes[-1][0]:
                codes[-1] = ("equal", codes[-1][1], code[2], codes[-1][3], code[4])
            elif code[1] < code[2] or code[3] < code[4]:
                codes.append(code)
    return codes


def _line_opcodes(old, new, a_lo, a_hi, b_lo, b_hi):
    """Line opcodes for ``old[a_lo:a_hi]`` -> ``new[b_lo:b_hi]``; the unchanged lines at
    both ends are set aside first (an edit changes a line or two of a long section)."""
    head = 0
    while a_lo + head < a_hi and b_lo + head < b_hi and old[a_lo + head] == new[b_lo + head]:
        head += 1
    tail = 0
    while (
        a_lo + head < a_hi - tail
        and b_lo + head < b_hi - tail
        and old[a_hi - tail - 1] == new[b_hi - tail - 1]
    ):
        tail += 1
    a_mid, b_mid = a_lo + head, b_lo + head
    middle = difflib.SequenceMatcher(None, old[a_mid : a_hi - tail], new[b_mid : b_hi - tail])
    return (
        [("equal", a_lo, a_mid, b_lo, b_mid)]
        + [
            (t, a_mid + k1, a_mid + k2, b_mid + l1, b_mid + l2)
            for t, k1, k2, l1, l2 in middle.get_opcodes()
        ]
        + [("equal", a_hi - tail, a_hi, b_hi - tail, b_hi)]
    )


def _span(ranges, first, last, size):
    """The line range covered by sections ``first`` to ``last`` (exclusive)."""
    if first == last:
        start = ranges[first][0] if first < len(ranges) else size
        return start, start
    return ranges[first][0], ranges[last - 1][1]


def _hunks(codes, context):
    """Group the opcodes into hunks with ``context`` equal lines around each change."""
    if not any(code[0] != "equal" for code in codes):
        return []
    codes = list(codes)
    if codes[0][0] == "equal":
        tag, i1, i2, j1, j2 = codes[0]
        codes[0] = (tag, max(i1, i2 - context), i2, max(j1, j2 - context), j2)
    if codes[-1][0] == "equal":
        tag, i1, i2, j1, j2 = codes[-1]
        codes[-1] = (tag, i1, min(i2, i1 + context), j1, min(j2, j1 + context))
    hunks, hunk = [], []
    for tag, i1, i2, j1, j2 in codes:
        if tag == "equal" and i2 - i1 > 2 * context:
            hunk.append((tag, i1, i1 + context, j1, j1 + context))
            hunks.append(hunk)
            hunk = []
            i1, j1 = i2 - context, j2 - context
        hunk.append((tag, i1, i2, j1, j2))
    if hunk and not (len(hunk) == 1 and hunk[0][0] == "equal"):
        hunks.append(hunk)
    return hunks


def _range(start, stop):
    """A hunk header's ``line,count`` (1-based; an empty range names the line before it)."""
    length = stop - start
    if length == 1:
        return str(start + 1)
    return f"{start + 1 if length else start},{length}"


def unified(old, new, path, context=2):
    """The unified diff of the line lists ``old`` -> ``new`` (keepends), as a list of lines."""
    out = []
    for hunk in _hunks(_opcodes(old, new), context):
        if not out:
            out += [f"--- {path}\n", f"+++ {path}\n"]
        first, last = hunk[0], hunk[-1]
        out.append(f"@@ -{_range(first[1], last[2])} +{_range(first[3], last[4])} @@\n")
        for tag, i1, i2, j1, j2 in hunk:
            if tag == "equal":
                out += [" " + line for line in old[i1:i2]]
                continue
            out += ["-" + line for line in old[i1:i2]]
            out += ["+" + line for line in new[j1:j2]]
    return out
