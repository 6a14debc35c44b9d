"""
What counts as a secret, and how the formula hides one: the one place for both.

A key is secret when its name says so (``san_password``, ``chap_password``, ``password``,
``..._secret``, ``..._key``, ``token``); its value is shown as ``******``. Credentials in a
URL (``rabbit://user:pw@host``) are masked too. Used by the pillar schema (settings shown
to operators), the cinder.conf editor (changes and diffs) and the Datera API client (error
texts).

Pure Python with no Salt dunders: imported by name by the modules (as ``datera`` imports
``datera_api``) and the unit tests.
"""

import copy
import re

MASK = "******"
_SECRET_KEY = re.compile(r"(password|secret|_key$|^key$|token)", re.IGNORECASE)
_URL_CREDENTIALS = re.compile(r"(://[^:/@\s]*:)[^@\s]+@")
_KEY_LINE = re.compile(r"^([-+ ]?[ \t]*#?\s*)([A-Za-z0-9_.\-]+)([ \t]*[=:][ \t]*)(.*)$")
_CONTINUATION = re.compile(r"^([-+ ]?[ \t]+)(\S.*)$")


def mask():
    """The text shown instead of a secret."""
    return MASK


def is_secret(key):
    """Whether the value of option or pillar key ``key`` is a secret."""
    return bool(_SECRET_KEY.search(str(key)))


def mask_value(key, value):
    """``value`` as it may be shown: ``******`` for a secret key, URL credentials masked."""
    if value is None:
        return None
    if is_secret(key):
        return MASK
    return _URL_CREDENTIALS.sub(rf"\g<1>{MASK}@", str(value))


def mask_tree(tree):
    """A deep copy of a nested dict with every non-empty secret value masked."""
    masked = copy.deepcopy(tree)
    stack = [masked]
    while stack:
        node = stack.pop()
        for key, value in node.items():
            if isinstance(value, dict):
                stack.append(value)
            elif is_secret(key) and value:
                node[key] = MASK
    return masked


def mask_line(line):
    """A ``key = value`` line (also a diff line) with the value masked if it is secret."""
    match = _KEY_LINE.match(line.rstrip("\r\n"))
    if not match:
        return line
    prefix, key, sep, value = match.groups()
    ending = line[len(line.rstrip("\r\n")) :]
    return f"{prefix}{key}{sep}{mask_value(key, value)}{ending}"


def mask_diff(lines):
    """Unified diff lines with every secret value masked, continuation lines of a secret
    value included."""
    out, secret = [], False
    for line in lines:
        if line.startswith(("---", "+++", "@@")):
            out.append(line)
            continue
        continued = _CONTINUATION.match(line.rstrip("\r\n"))
        if continued and secret:
            ending = line[len(line.rstrip("\r\n")) :]
            out.append(f"{continued.group(1)}{MASK}{ending}")
            continue
        match = _KEY_LINE.match(line.rstrip("\r\n"))
        if match or not continued:
            secret = bool(match) and is_secret(match.group(2))
        out.append(mask_line(line))
    return "".join(out)


def scrub(text, *secrets):
    """``text`` with each of ``secrets`` (passwords, session keys) replaced by the mask."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, MASK)
    return text
