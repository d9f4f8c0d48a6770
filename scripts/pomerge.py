"""Rebuild the locale .po files after merging branches that each appended entries.

git's merge of two appended .po files can drop a `msgstr` line or keep an entry twice. This writes each file
as the BASE revision's entries followed by the entries every REV added (in the order given; the first
occurrence of a msgctxt/msgid wins). Run from the repository root, then `msgfmt --check` both files.

usage: python3 scripts/pomerge.py BASE_REV REV...
"""
import re
import subprocess
import sys

FILES = ("locale/zh_Hans/LC_MESSAGES/django.po", "locale/en/LC_MESSAGES/django.po")

def blocks(text):
    """Entries, each with its leading comments; a new entry starts at a comment, msgctxt or msgid that follows
    a msgid/msgstr of the current one (blank lines or not)."""
    out, cur, has_id = [], [], False
    for line in text.splitlines():
        if not line.strip():
            if cur:
                out.append("\n".join(cur))
                cur, has_id = [], False
            continue
        starts = line.startswith(("#", "msgctxt", "msgid "))
        if starts and has_id:
            out.append("\n".join(cur))
            cur, has_id = [], False
        cur.append(line)
        if line.startswith("msgid ") or line.startswith("msgstr"):
            has_id = True
    if cur:
        out.append("\n".join(cur))
    return out


def key(block):
    """(msgctxt, msgid) of an entry; None for a block of comments only."""
    cur = None
    parts = {"msgctxt": [], "msgid": []}
    for line in block.splitlines():
        m = re.match(r'^(msgctxt|msgid|msgid_plural|msgstr(\[\d+\])?)\s+"(.*)"$', line)
        if m:
            cur = m.group(1)
            if cur in parts:
                parts[cur].append(m.group(3))
            continue
        m = re.match(r'^"(.*)"$', line)
        if m and cur in parts:
            parts[cur].append(m.group(1))
    if not parts["msgid"] and not any(line.startswith("msgid") for line in block.splitlines()):
        return None
    return ("".join(parts["msgctxt"]), "".join(parts["msgid"]))


def show(rev, path):
    """The file at a revision."""
    return subprocess.run(["git", "show", f"{rev}:{path}"], capture_output=True, text=True, check=True).stdout


def main(base: str, revs: list[str]) -> None:
    for path in FILES:
        merge(path, base, revs)


def merge(path: str, base: str, revs: list[str]) -> None:
    base_blocks = blocks(show(base, path))
    seen = {key(b) for b in base_blocks if key(b) is not None}
    out = list(base_blocks)
    for rev in revs:
        for b in blocks(show(rev, path)):
            k = key(b)
            if k is None:
                continue  # a lone comment
            if k in seen:
                continue
            if "msgstr" not in b:
                b += '\nmsgstr ""'
            seen.add(k)
            out.append(b)
    open(path, "w", encoding="utf-8").write("\n\n".join(out) + "\n")
    print(path, len(out))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
