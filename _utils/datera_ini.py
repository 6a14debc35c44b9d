"""
A byte-preserving editor for cinder.conf that reads it exactly as oslo.config does.

Reading follows ``oslo_config.iniparser`` and ``cfg.ConfigParser`` line by line: lines end at
``\\n``, ``\\r\\n`` or a lone ``\\r``; a line blank after ``rstrip()`` ends a value; a line that
starts with a space or a tab continues the value above it (its text, stripped, joined with
``\\n``); ``#`` and ``;`` start a comment only at the start of a line; a key ends at the first
``=`` or ``:``, both sides stripped, and a value wrapped in matching quotes loses them; keys
are case-sensitive; section names are compared as oslo.config's groups (``DEFAULT`` exactly,
every other name in lower case); where a key is set twice, the last one wins. A text
oslo.config refuses (a BOM, an assignment before any section, a continuation line with no
value above it, a bad section header, a line with no ``=`` or ``:``) raises
:class:`ParseError` naming the line, so the caller edits nothing.

Only the lines that carry a managed key change; comments, blank lines, order, other
sections, duplicate keys, line endings and undecodable bytes are kept exactly. The text is
decoded with ``surrogateescape`` by the caller, so any byte sequence round-trips.

Pure Python with no Salt dunders: imported by name by ``datera_conf`` (as ``datera``
imports ``datera_api``) and the unit tests.
"""

import re

_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+")
_QUOTES = ("'", '"')


class ParseError(ValueError):
    """oslo.config would refuse the file: ``line`` (1-based ``lineno``) is why."""

    def __init__(self, message, lineno, line):
        super().__init__(f"line {lineno}: {message}: {line!r}")
        self.lineno = lineno
        self.line = line


def split_lines(text):
    """The lines of ``text`` with their endings, split where oslo.config splits them."""
    return _LINE.findall(text)


def group(name):
    """oslo.config's group of a section name: ``DEFAULT`` as is, any other in lower case."""
    return name if name == "DEFAULT" else name.lower()


def _body(line):
    return line.rstrip("\r\n")


def _ending(line):
    return line[len(_body(line)) :]


def _kind(line):
    """``blank``, ``continuation``, ``section``, ``comment`` or ``assignment`` (oslo's order)."""
    text = _body(line).rstrip()
    if not text:
        return "blank"
    if text.startswith((" ", "\t")):
        return "continuation"
    if text.startswith("["):
        return "section"
    if text.startswith(("#", ";")):
        return "comment"
    return "assignment"


def _split(line):
    """``(key, value_start, value)`` of an assignment line, as oslo.config splits it, or
    ``None`` when it has no ``=`` or ``:`` (``value_start``: where the value's text starts
    in the line, right-stripped)."""
    text = _body(line).rstrip()
    colon, equal = text.find(":"), text.find("=")
    if colon < 0 and equal < 0:
        return None
    at = equal if colon < 0 or 0 <= equal < colon else colon
    key, value = text[:at].strip(), text[at + 1 :].strip()
    start = len(text) - len(text[at + 1 :].lstrip()) if value else len(text)
    if value and value[0] == value[-1] and value.startswith(_QUOTES):
        value = value[1:-1]
    return key, start, value


def _section_name(line):
    return _body(line).rstrip()[1:-1]


def _check(lines):
    """Raise :class:`ParseError` where oslo.config's parser would."""
    if lines and lines[0].startswith("\ufeff"):
        raise ParseError(
            "the file starts with a UTF-8 byte order mark, which oslo.config cannot read",
            1,
            _body(lines[0]),
        )
    in_section = open_value = False
    for number, line in enumerate(lines, 1):
        kind, text = _kind(line), _body(line).rstrip()
        if kind == "continuation":
            if not open_value:
                raise ParseError("Unexpected continuation line", number, text)
            continue
        open_value = False
        if kind == "section":
            if not text.endswith("]"):
                raise ParseError("Invalid section (must end with ])", number, text)
            if len(text) <= 2:
                raise ParseError("Empty section name", number, text)
            in_section = True
        elif kind == "assignment":
            split = _split(line)
            if split is None:
                raise ParseError("No ':' or '=' found in assignment", number, text)
            if not split[0]:
                raise ParseError("Key cannot be empty", number, text)
            if not in_section:
                raise ParseError("Section must be started before assignment", number, text)
            open_value = True


class Entry:
    """One assignment: ``lines[start:end]`` of its section, its key and oslo's value."""

    def __init__(self, key, start, end, value):
        self.key, self.start, self.end, self.value = key, start, end, value


def _encode(value):
    """The text after ``key = `` that oslo.config reads back as ``value`` (one line per
    ``\\n``; quotes added where oslo would strip whitespace or a pair of quotes)."""
    first, *rest = value.split("\n")
    if first != first.strip() or (first and first[0] == first[-1] and first[0] in _QUOTES):
        first = f'"{first}"'
    for piece in rest:
        if not piece or piece != piece.strip():
            raise ValueError(f"{value!r} cannot be written as an oslo.config value")
    return first, rest


class Section:
    """One ``[name]`` block: its header line and every line up to the next header."""

    def __init__(self, name, lines):
        self.name = name
        self.lines = lines

    def entries(self):
        found = []
        for index, line in enumerate(self.lines[1:], 1):
            kind = _kind(line)
            if kind == "continuation" and found and found[-1].end == index:
                found[-1].end += 1
                found[-1].value += "\n" + _body(line).strip()
            elif kind == "assignment":
                key, _, value = _split(line)
                found.append(Entry(key, index, index + 1, value))
        return found

    def keyed(self, key):
        return [entry for entry in self.entries() if entry.key == key]

    def get(self, key):
        entries = self.keyed(key)
        return entries[-1].value if entries else None

    def _lines_for(self, key_prefix, value, ending, newline, indent="  "):
        first, rest = _encode(value)
        texts = [key_prefix + first] + [indent + piece for piece in rest]
        return [text + newline for text in texts[:-1]] + [texts[-1] + ending]

    def set(self, key, value, newline):
        entries = self.keyed(key)
        if entries:
            entry = entries[-1]
            text = _body(self.lines[entry.start]).rstrip()
            prefix = text[: _split(text)[1]]
            if prefix.endswith(("=", ":")):
                prefix += " "
            ending = _ending(self.lines[entry.end - 1])
            self.lines[entry.start : entry.end] = self._lines_for(prefix, value, ending, newline)
            return
        at = self._insert_at(key)
        ending = self._open_line_before(at, newline)
        self.lines[at:at] = self._lines_for(f"{key} = ", value, ending, newline)

    def _open_line_before(self, at, newline):
        """End line ``at - 1`` (the file's last line may have no ending); return the
        ending the lines inserted at ``at`` finish with ('' if they become the last)."""
        if _ending(self.lines[at - 1]):
            return newline
        self.lines[at - 1] += newline
        return ""

    def extend(self, key, text, newline):
        """Append ``text`` as a continuation line of ``key``'s effective value."""
        entry = self.keyed(key)[-1]
        indent = "  "
        if entry.end - entry.start > 1:
            indent = re.match(r"[ \t]*", self.lines[entry.end - 1]).group(0)
        ending = self._open_line_before(entry.end, newline)
        self.lines.insert(entry.end, f"{indent}{text}{ending}")

    def _insert_at(self, key):
        """After the sample's commented placeholder ``#key = ...`` if any, else after the
        last assignment (and its continuation lines), or after the header."""
        placeholder = re.compile(rf"^#\s?{re.escape(key)}\s*=")
        for index in range(len(self.lines) - 1, 0, -1):
            if placeholder.match(self.lines[index]):
                return index + 1
        entries = self.entries()
        return entries[-1].end if entries else 1

    def remove(self, key):
        for entry in reversed(self.keyed(key)):
            del self.lines[entry.start : entry.end]


class IniDocument:
    """An INI text split into a preamble and sections; ``text()`` joins it back."""

    def __init__(self, text):
        lines = split_lines(text)
        _check(lines)
        counts = {ending: 0 for ending in ("\n", "\r\n", "\r")}
        for line in lines:
            if _ending(line):
                counts[_ending(line)] += 1
        self.newline = max(counts, key=lambda ending: (counts[ending], ending == "\n"))
        self.preamble = []
        self.sections = []
        for line in lines:
            if _kind(line) == "section":
                self.sections.append(Section(_section_name(line), [line]))
            elif self.sections:
                self.sections[-1].lines.append(line)
            else:
                self.preamble.append(line)

    def text(self):
        return "".join(self.preamble + [line for s in self.sections for line in s.lines])

    def named(self, name):
        """Every section oslo.config reads as the group ``name``, in file order."""
        wanted = group(name)
        return [section for section in self.sections if group(section.name) == wanted]

    def keys(self, section):
        return {entry.key for s in self.named(section) for entry in s.entries()}

    def get(self, section, key):
        """The effective value (oslo: the last one wins), or ``None``."""
        values = [s.get(key) for s in self.named(section)]
        values = [value for value in values if value is not None]
        return values[-1] if values else None

    def lines_of(self, section, key):
        """How many lines the effective value of ``key`` spans (0: not set)."""
        with_key = [s for s in self.named(section) if s.keyed(key)]
        if not with_key:
            return 0
        entry = with_key[-1].keyed(key)[-1]
        return entry.end - entry.start

    def set(self, section, key, value):
        candidates = self.named(section)
        with_key = [s for s in candidates if s.keyed(key)]
        target = (with_key or candidates or [None])[-1]
        if target is None:
            target = self._append_section(section)
        target.set(key, value, self.newline)

    def extend(self, section, key, text):
        [s for s in self.named(section) if s.keyed(key)][-1].extend(key, text, self.newline)

    def remove(self, section, key):
        for target in self.named(section):
            target.remove(key)

    def remove_section(self, name):
        for target in self.named(name):
            index = self.sections.index(target)
            del self.sections[index]
            if index == len(self.sections):
                self._drop_separator()

    def _last_lines(self):
        return self.sections[-1].lines if self.sections else self.preamble

    def _append_section(self, name):
        tail = self._last_lines()
        if tail and not _ending(tail[-1]):
            tail[-1] += self.newline
        if tail and tail[-1].strip():
            tail.append(self.newline)
        section = Section(name, [f"[{name}]{self.newline}"])
        self.sections.append(section)
        return section

    def _drop_separator(self):
        """Undo the blank line ``_append_section`` adds, so add-then-remove round-trips."""
        tail = self._last_lines()
        if len(tail) >= 2 and not tail[-1].strip() and tail[-2].strip():
            tail.pop()


def split_list(value):
    """``a, b,,c`` → ``['a', 'b', 'c']``: oslo.config's ListOpt (split at commas, items
    stripped), without the empty items, which cinder skips (``filter(None, ...)``)."""
    return [item.strip() for item in (value or "").split(",") if item.strip()]


def parse(text):
    """Parse INI text into an :class:`IniDocument` (the entry point for ``datera_conf``);
    raises :class:`ParseError` where oslo.config would refuse it."""
    return IniDocument(text)
