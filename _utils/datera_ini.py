"""
A byte-preserving editor for oslo.config style INI files (cinder.conf).

Only the lines that carry a managed key change; comments, blank lines, order, other
sections, duplicate keys, line endings and undecodable bytes are kept exactly. The text is
decoded with ``surrogateescape`` by the caller, so any byte sequence round-trips.

Pure Python with no Salt dunders: loaded by Salt as a utils module and imported directly
by the unit tests.
"""

import re

_HEADER = re.compile(r"^\[([^\]\r\n]*)\][ \t]*\r?\n?$")
_KEY_LINE = re.compile(r"^([A-Za-z0-9_.\-]+)([ \t]*=[ \t]*)(.*?)([ \t]*)(\r?\n)?$")


def _line_key(line):
    match = _KEY_LINE.match(line)
    return match.group(1) if match else None


def _is_continuation(line):
    """oslo.config continues a value on following lines that start with whitespace."""
    return line[:1] in (" ", "\t") and line.strip() != ""


def _ending(line):
    if line.endswith("\r\n"):
        return "\r\n"
    return "\n" if line.endswith("\n") else ""


class Section:
    """One ``[name]`` block: its header line and every line up to the next header."""

    def __init__(self, name, lines):
        self.name = name
        self.lines = lines

    def key_indexes(self, key):
        return [i for i, line in enumerate(self.lines) if _line_key(line) == key]

    def get(self, key):
        indexes = self.key_indexes(key)
        if not indexes:
            return None
        return _KEY_LINE.match(self.lines[indexes[-1]]).group(3)

    def _value_span(self, index):
        end = index + 1
        while end < len(self.lines) and _is_continuation(self.lines[end]):
            end += 1
        return end

    def set(self, key, value, newline):
        indexes = self.key_indexes(key)
        if indexes:
            index = indexes[-1]
            match = _KEY_LINE.match(self.lines[index])
            ending = match.group(5) or ""
            self.lines[index : self._value_span(index)] = [
                f"{match.group(1)}{match.group(2)}{value}{ending}"
            ]
            if not ending and index + 1 < len(self.lines):
                self.lines[index] += newline
            return
        self.lines.insert(self._insert_at(key), f"{key} = {value}{newline}")

    def _insert_at(self, key):
        """After the sample's commented placeholder ``#key = ...`` if any, else after the
        last key line (or the header), so the new line sits where an operator looks."""
        placeholder = re.compile(rf"^#\s?{re.escape(key)}\s*=")
        for index in range(len(self.lines) - 1, 0, -1):
            if placeholder.match(self.lines[index]):
                return index + 1
        last = 0
        for index, line in enumerate(self.lines):
            if _line_key(line) or (index > last and _is_continuation(line) and last):
                last = index
        return last + 1

    def remove(self, key):
        for index in reversed(self.key_indexes(key)):
            del self.lines[index : self._value_span(index)]


class IniDocument:
    """An INI text split into a preamble and sections; ``text()`` joins it back."""

    def __init__(self, text):
        lines = text.splitlines(keepends=True)
        crlf = sum(1 for line in lines if line.endswith("\r\n"))
        self.newline = "\r\n" if lines and crlf > len(lines) / 2 else "\n"
        self.preamble = []
        self.sections = []
        for line in lines:
            header = _HEADER.match(line)
            if header:
                self.sections.append(Section(header.group(1).strip(), [line]))
            elif self.sections:
                self.sections[-1].lines.append(line)
            else:
                self.preamble.append(line)

    def text(self):
        return "".join(self.preamble + [line for s in self.sections for line in s.lines])

    def named(self, name):
        return [section for section in self.sections if section.name == name]

    def get(self, section, key):
        """The effective value (oslo: the last one wins), or ``None``."""
        values = [s.get(key) for s in self.named(section)]
        values = [value for value in values if value is not None]
        return values[-1] if values else None

    def set(self, section, key, value):
        candidates = self.named(section)
        with_key = [s for s in candidates if s.key_indexes(key)]
        target = (with_key or candidates or [None])[-1]
        if target is None:
            target = self._append_section(section)
        target.set(key, value, self.newline)

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
    """``a, b,,c`` → ``['a', 'b', 'c']`` (cinder's ListOpt, empty items dropped)."""
    return [item.strip() for item in (value or "").split(",") if item.strip()]


def parse(text):
    """Parse INI text into an :class:`IniDocument` (the entry point for ``__utils__``)."""
    return IniDocument(text)
