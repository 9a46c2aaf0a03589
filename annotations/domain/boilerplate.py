"""Remove scraper boilerplate from the start and end of an article, conservatively.

Rules are whole-line matches only, so prose that merely mentions "sources" is never cut.
A tail block starts at a *marker line* ("Sources include:", "Read full article here",
"Top Articles", "Author information", …) found in the second half of the text; the marker
and everything after it are removed, together with the lines directly above it that are
clearly part of the same footer (the article title repeated, a video credit).
What was removed is returned, so callers can keep it (nothing is lost).

>>> r = strip_boilerplate("Body text.\\nSources include:\\nExample.com", title="T")
>>> r.body, r.tail, r.rules
('Body text.', 'Sources include:\\nExample.com', ['tail-marker:sources'])
"""

import re
from dataclasses import dataclass, field

# Whole-line markers that start a footer. Name → pattern (matched case-insensitively
# against the stripped line).
_TAIL_MARKERS: dict[str, re.Pattern[str]] = {
    name: re.compile(pattern, re.IGNORECASE)
    for name, pattern in {
        "sources": r"sources?(?: include[sd]?)?:",
        "read-full-article": r"read (?:the )?full (?:article|story)(?: here| at .{1,80})?\.?",
        "top-articles": r"top articles",
        "latest-posts": r"latest posts",
        "recommended-articles": r"recommended (?:articles|reading|for you)",
        "related-articles": r"related (?:articles|posts|stories)",
        "article-information": r"article information",
        "author-information": r"author information",
        "more-stories": r"more stories",
        "comments": r"\d* ?comments?:?|leave a (?:comment|reply)",
    }.items()
}
# Lines directly above a tail marker that belong to the same footer.
_FOOTER_LEADS: dict[str, re.Pattern[str]] = {
    "video-credit": re.compile(r"this video is from .{1,120} on [\w.-]+\.[a-z]{2,}\.?", re.IGNORECASE),
    "watch-video": re.compile(r"watch the (?:full )?video (?:below|here)\b.*", re.IGNORECASE),
}
# Whole lines at the very start of a scraped page that are site chrome, not article.
_HEAD_LINES = re.compile(
    r"(?:skip to (?:main )?content|advertisement|share this (?:article|story)|"
    r"sign up for our newsletter|listen to this article)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class CleanedText:
    body: str
    head: str = ""
    tail: str = ""
    rules: list[str] = field(default_factory=list)


def strip_boilerplate(text: str, *, title: str = "") -> CleanedText:
    """Split ``text`` (already normalised, LF line endings) into body, removed head and tail."""
    lines = text.split("\n")
    rules: list[str] = []

    head_end = 0
    while head_end < len(lines) and (not lines[head_end].strip() or _HEAD_LINES.fullmatch(lines[head_end].strip())):
        if lines[head_end].strip():
            rules.append("head-line:" + lines[head_end].strip().lower())
        head_end += 1

    tail_start = len(lines)
    half = _line_at_half(lines)
    removable = _removable_from(lines, len(text))
    for index in range(max(half, head_end), len(lines)):
        name = _marker(lines[index])
        if not name:
            continue
        found: list[str] = [f"tail-marker:{name}"]
        start = _extend_footer_upwards(lines, index, head_end, title, found)
        if removable[start]:
            tail_start = start
            rules.extend(found)
            break
        # Too much text after this line for a footer: it is a line of the article ("Sources include:" above a
        # paragraph). Keep it and look for a real footer further down.
    head = "\n".join(lines[:head_end]).strip("\n")
    body = "\n".join(lines[head_end:tail_start]).strip("\n").rstrip()
    tail = "\n".join(lines[tail_start:]).strip("\n")
    if not body.strip():
        # Never strip an article down to nothing: the rules were wrong for this text.
        return CleanedText(body=text.strip("\n"))
    return CleanedText(body=body, head=head, tail=tail, rules=rules)


# A tail block may remove at most this share of the text and this many lines, or, if every line of it is
# footer-shaped (short: a link, a name, a label, a headline), at most half of the text.
TAIL_MAX_SHARE = 0.15
TAIL_MAX_LINES = 40
FOOTER_SHAPED_MAX_SHARE = 0.5
FOOTER_LINE_MAX = 100
FOOTER_LINE_WORDS = 12


def _footer_shaped(line: str) -> bool:
    return len(line) <= FOOTER_LINE_MAX and len(line.split()) <= FOOTER_LINE_WORDS


def _removable_from(lines: list[str], total: int) -> list[bool]:
    """For every line index: may the block from it to the end be set aside without a person checking?
    One backward pass (linear time, whatever the number of marker lines): boilerplate must never silently
    eat an article, nor take long to decide."""
    removable = [True] * (len(lines) + 1)
    size = count = 0
    shaped = True
    for index in range(len(lines) - 1, -1, -1):
        stripped = lines[index].strip()
        size += len(lines[index]) + 1
        if stripped:
            count += 1
            shaped = shaped and _footer_shaped(stripped)
        small = size <= TAIL_MAX_SHARE * total and count <= TAIL_MAX_LINES
        removable[index] = small or (shaped and size <= FOOTER_SHAPED_MAX_SHARE * total)
    return removable


def _marker(line: str) -> str | None:
    stripped = line.strip()
    for name, pattern in _TAIL_MARKERS.items():
        if pattern.fullmatch(stripped):
            return name
    return None


def _line_at_half(lines: list[str]) -> int:
    """Index of the first line past the middle of the text (by characters)."""
    total = sum(len(line) + 1 for line in lines)
    seen = 0
    for index, line in enumerate(lines):
        seen += len(line) + 1
        if seen * 2 >= total:
            return index + 1
    return len(lines)


def _extend_footer_upwards(lines: list[str], start: int, floor: int, title: str, rules: list[str]) -> int:
    normalized_title = " ".join(title.split()).casefold()
    index = start
    while index - 1 > floor and start - index < 50:  # a footer's lead is a few lines, never the article
        previous = lines[index - 1].strip()
        if not previous:
            index -= 1
            continue
        if normalized_title and " ".join(previous.split()).casefold() == normalized_title:
            rules.append("footer:repeated-title")
        elif lead := next((n for n, p in _FOOTER_LEADS.items() if p.fullmatch(previous)), None):
            rules.append(f"footer:{lead}")
        else:
            break
        index -= 1
    while index < start and not lines[index].strip():
        index += 1
    return index
