"""Rule-based English sentence segmentation with exact code-point offsets.

>>> [s.text for s in segment("Mr. Smith paid $3.50 in the U.S. It was cheap.")]
['Mr. Smith paid $3.50 in the U.S.', 'It was cheap.']

How it works: one compiled regex finds the few places where a sentence *may* end (terminal punctuation
followed by whitespace, a dash that breaks a sentence off, a bracketed stage direction, a line break,
a bullet); each is decided by cheap look-ups on the words either side. A second regex finds
enumerations ("1. … 2. …", "a) … b) …") written on one line. Both scans are linear (no nested
quantifiers), so a 10 MB input cannot make them hang, and no Python loop visits every character.

Segments are the stretches between the chosen cut positions with surrounding whitespace removed, so
for any input they slice back exactly (``text[s.start:s.end] == s.text``), are sorted, do not overlap,
and are never empty.
"""

import re
from dataclasses import dataclass

# Bump whenever a change to the rules can change any output: stored segmentations record it.
SEGMENTER_VERSION = "rules-1"


@dataclass(frozen=True, slots=True)
class Segment:
    start: int
    end: int
    text: str


# --- word lists (lower case, without the final period) -------------------------------------------------------


def _word_set(words: str) -> frozenset[str]:
    return frozenset(words.split())


# Abbreviations that stand before a name or a noun, so a capital letter after them is no sentence start:
# "Mr. Smith", "Dr. Jones", "St. Michael's", "Mt. Fuji", "Gen. Smith", "e.g. Paris", "Smith vs. Jones".
_PREFIX_ABBREVIATIONS = _word_set(
    "mr mrs ms mx messrs mmes dr prof gen gov sen rep st mt ft lt col maj sgt capt cmdr adm rev hon pres supt "
    "msgr e.g i.e cf viz vs v al approx ca"
)

# Abbreviations that stand before a number: "No. 1", "p. 55", "N°. 1026", "Jan. 5", "Fig. 3". Before a
# word they end a sentence like any other word ("No. We won't." — speech says "No." a lot).
_NUMBER_ABBREVIATIONS = _word_set(
    "no nos nr n° nº p pp vol vols fig figs art sec ch chap para op ed ext tel pt pts "
    "jan feb mar apr jun jul aug sep sept oct nov dec"
)

# Abbreviations that often end a sentence ("… Pitt, Briggs & Co. It closed."): they end one only when a
# typical sentence opener follows (see _STARTERS). Letter-dot abbreviations (U.S., D.C., a.m.) behave alike.
_AMBIGUOUS_ABBREVIATIONS = _word_set("co corp inc ltd llc plc bros jr sr esq etc dept univ assn ave blvd")

# Lower-case abbreviations that may stand before a lower-case word ("approx. five", "incl. taxes").
_LOWER_CASE_ABBREVIATIONS = _word_set(
    "abbr abt acc addr adj admin adv al alt anon approx appx apt assoc asst att attn aux avg bldg bn cca cf "
    "cit cm co col comp cont corp cu dept dia diam dist div doz ea ed eds eg esp est et etc ex excl exp ext "
    "fem fl fn freq ft gal gen govt hr hrs ibid ie illus in inc incl intl irreg kg km lat lb lbs lit lt masc "
    "max mfg mg mgmt mi min mins misc mln mm mn mo mos mph mr ms mt nat no nos nr num obs orig oz pct pg pl "
    "pop pp pref pres prob prod pt pts qt qty ref reg rel rep repr resp rev sc sec secs sept sing sq sr st "
    "std sth sub subj sup supp tbsp tel temp trans transl tsp univ usu var vb ver viz vol vols vs wk wks wt "
    "yd yr yrs"
)
_KNOWN_ABBREVIATIONS = (
    _PREFIX_ABBREVIATIONS | _NUMBER_ABBREVIATIONS | _AMBIGUOUS_ABBREVIATIONS | _LOWER_CASE_ABBREVIATIONS
)

# Words that typically open a sentence (pronouns, determiners, conjunctions, question words, common
# discourse words). After "U.S." or "Co." they mark a new sentence ("I live in the U.S. How about you?");
# any other capitalised word is taken as part of a name ("the U.S. Government").
_STARTERS = _word_set(
    "a an the this that these those there here it its i we you he she they my our your his her their "
    "and but so or nor yet if when where what why how who whom whose which while although though because "
    "after before since then now however also still thus therefore meanwhile instead indeed in on at for "
    "from to by with as of all some many most more every each no not one two both being did do does is are "
    "was were has have had can could will would should may might must let please thank thanks yes yeah "
    "well oh okay ok first second finally today tomorrow yesterday"
)

# --- the candidate scanner -------------------------------------------------------------------------------------

_OPENING_QUOTES = "\"'“‘«„"
_BULLETS = "•‣⁃◦▪●"

_CANDIDATES = re.compile(
    r"""
    # 1. terminal punctuation: . ? ! ‽ … runs ("?!", "...", "....") incl. spaced ellipses (". . ."),
    #    then closing quotes/brackets, then whitespace or the end of the text.
    (?P<stop>[.?!‽…]+(?:\ \.(?=[\s"'”’»)\]]|\Z))*)(?P<close>["'”’»)\]]*)(?P<gap>\s+|\Z)
    # 2. an interruption dash glued to a word, then a space and a letter or a dash ("I believe all-- You
    #    don't", "Can I-- --with Senator Sanders").
  | (?<=\w)(?P<dash>-{2,}|[—–])(?P<dgap>[ \t]+)(?=[^\W\d_]|-|—|–)
    # 3. a bracketed stage direction without sentence punctuation: "[ applause ]", "(LAUGHTER)".
  | (?<!\S)(?P<bracket>[\[(][^\[\]()\n.?!…]{1,40}[\])])(?P<bgap>\s+)
    # 4. a line break.
  | (?P<newline>\n\s*)
    # 5. a bullet after whitespace: "• 9. The first item • 10. The second item".
  | (?<=\s)(?P<bullet>[•‣⁃◦▪●])
    """,
    re.VERBOSE,
)

# An item marker of an enumeration: "1.", "2.)", "3)", "a.", "b)", optionally after a bullet ("• 9.", "⁃10.").
_LIST_MARKER = re.compile(r"(?<!\S)(?:[•‣⁃◦▪●][ \t]?)?(?P<item>\d{1,2}|[a-z])(?P<style>\.\)|\)|\.)(?=\s)")

# Letter-dot abbreviations: "U.S", "U.S.A", "D.C", "a.m", "Ph.D" (the final period is not part of the word).
_LETTER_DOTS = re.compile(r"(?:[A-Za-z]{1,2}\.)+[A-Za-z]{1,2}")

# A word that numbers an item when it opens a segment: "1", "a", "⁃9" (its period ends no sentence).
_LIST_ITEM = re.compile(r"\d{1,2}|[a-z]|[•‣⁃◦▪●]\d{1,2}")

_WINDOW = 40  # characters looked at on either side of a candidate
_MAX_LIST_GAP = 300  # an enumeration's next item follows within this many characters


def segment(text: str) -> list[Segment]:
    """Split ``text`` into sentences (and titles, bullet lines, stage directions) with code-point offsets."""
    segments: list[Segment] = []
    start = 0
    for cut in [*sorted(_cuts(text)), len(text)]:
        piece = text[start:cut]
        stripped = piece.strip()
        if stripped:
            first = start + len(piece) - len(piece.lstrip())
            segments.append(Segment(first, first + len(stripped), stripped))
        start = cut
    return segments


def _cuts(text: str) -> set[int]:
    """Positions between two segments (whitespace around a cut is trimmed off later)."""
    markers, cuts = _enumeration(text)
    segment_start = len(text) - len(text.lstrip())  # where the current segment's first word begins
    for match in _CANDIDATES.finditer(text):
        kind = match.lastgroup
        cut: int | None = None
        following = match.end()  # where the next segment begins if this candidate is cut
        if kind == "gap":  # terminal punctuation
            cut = _after_stop(text, match, markers, segment_start)
            if cut is not None and cut < match.end("stop"):  # the MLA ellipsis opens the next segment
                following = _skip_space(text, cut)
        elif kind == "dgap":  # "word-- Next": the speaker broke off
            if _next_class(text, following) in ("upper", "other"):
                cut = match.end("dash")
        elif kind == "bgap":  # a stage direction that opens a segment stands alone unless the sentence goes on
            if match.start() == segment_start and _next_class(text, following) != "lower":
                cut = match.end("bracket")
        elif kind == "newline":
            if _line_break_separates(match.group(), text, following):
                cut = match.start()
        else:  # a bullet opens an item of its own
            cut = following = match.start()
        if kind in ("gap", "bgap") and _line_break_separates(match.group(kind), text, match.end()):
            cuts.add(match.start(kind))  # the whitespace after the punctuation or bracket holds a line break
            segment_start = following
        if cut is not None:
            cuts.add(cut)
            segment_start = following
    return cuts


def _line_break_separates(gap: str, text: str, after: int) -> bool:
    """Blank lines always separate; a single line break does unless the next line goes on in lower case
    (a sentence wrapped onto the next line). So titles and bullet lines never merge with what follows."""
    if "\n" not in gap:
        return False
    return gap.count("\n") > 1 or not text[after : after + 1].islower() or bool(_LIST_MARKER.match(text, after))


def _skip_space(text: str, position: int) -> int:
    """First non-space position at or after ``position`` (bounded look-ahead; whitespace runs are rare)."""
    window = text[position : position + _WINDOW]
    return position + len(window) - len(window.lstrip())


def _next_class(text: str, position: int) -> str:
    """What opens the next sentence: 'end', 'lower', 'upper', 'digit', 'open' (a bracket) or 'other'."""
    char = text[position : position + 1]
    if char and char in _OPENING_QUOTES:  # look through an opening quote: “We inform…
        char = text[position + 1 : position + 2] or char
    if not char:
        return "end"
    if char.islower():
        return "lower"
    if char.isupper() or char.isalpha():  # uncased scripts (CJK…) have no lower case to continue with
        return "upper"
    if char.isdigit():
        return "digit"
    if char in "([":
        return "open"
    return "other"


def _next_word(text: str, position: int) -> str:
    """The next word in lower case, without quotes, trailing punctuation or an apostrophe suffix ("it's")."""
    words = text[position : position + _WINDOW].split(None, 1)
    word = words[0].lstrip(_OPENING_QUOTES) if words else ""
    return word.replace("’", "'").split("'", 1)[0].rstrip(".,;:!?").lower()


def _after_stop(text: str, match: re.Match[str], markers: set[int], segment_start: int) -> int | None:
    """Decide a terminal-punctuation candidate; return the cut position or None."""
    after = match.end()
    nxt = _next_class(text, after)
    if nxt == "end":
        return None
    stop = match.group("stop")
    stop_start = match.start()
    cut = match.end("close")

    # Question and exclamation marks end a sentence unless the text goes on in lower case ("Yahoo! in",
    # '"Really?" she asked'); a bare "?" before lower case still ends a (sloppily written) question.
    if "?" in stop or "!" in stop or "‽" in stop:
        if nxt != "lower" or ("?" in stop and not match.group("close")):
            return cut
        return None

    before = text[stop_start - 1 : stop_start]
    glued = bool(before) and not before.isspace() and before not in "[("
    dots = stop.count(".") + 3 * stop.count("…")
    if dots >= 3:
        # An ellipsis glued to a word before a capital ends the sentence ("I never meant that.... She left",
        # "Let me just... Thank you"). A free-standing one ("is . . . I didn't", "[...]") marks an omission,
        # unless it has four dots: the period plus the ellipsis ("a period . . . . Next sentence").
        if nxt == "lower" or (not glued and dots < 4):
            return None
        if glued and dots >= 4 and stop.startswith(". ."):  # "compounds. . . . The practice": the period ends it, the
            return stop_start + 1  # spaced ellipsis opens the next sentence (MLA quotation style)
        return cut

    window = text[max(0, stop_start - _WINDOW) : stop_start]
    words = window.rsplit(None, 2) if glued else []
    word = words[-1].lstrip(_OPENING_QUOTES + "([") if words else ""
    word_start = stop_start - len(word)
    key = word.lower()
    # A single period before lower case ends no sentence after an abbreviation or inside quotes ("U.S.A.
    # last year", "Jane and co. at the party", '"Great." she said'), but it does after an ordinary
    # lower-case word: "… see if you can do something. we should." (speech, chat, "iPhone").
    if nxt == "lower":
        ordinary = len(word) > 1 and word.isalpha() and word.islower() and key not in _KNOWN_ABBREVIATIONS
        return cut if ordinary and not match.group("close") else None
    if word_start in markers or (word_start == segment_start and _LIST_ITEM.fullmatch(word)):
        return None  # "1. The first item", "a. The first item": an item number, not a sentence
    if key in _PREFIX_ABBREVIATIONS:
        return None
    if key in _NUMBER_ABBREVIATIONS and nxt == "digit":
        return None
    if len(word) == 1 and word.isupper():
        # A capital letter after a name is an initial ("Jonas E. Smith", "J. R. R. Tolkien", "Albert I.
        # Jones"). After a lower-case word it is the pronoun "I" ("you and I. Did you…") or a letter that
        # ends the sentence when a typical opener follows ("not an A. It may be…"; but "by J. K. Rowling").
        previous = words[-2] if len(words) > 1 else ""
        if previous[:1].isupper() or (word != "I" and _next_word(text, after) not in _STARTERS):
            return None
        return cut
    if key in _AMBIGUOUS_ABBREVIATIONS or _LETTER_DOTS.fullmatch(word):
        # "I live in the U.S. How about you?" but "the U.S. Government", "at 5 a.m. Mr. Smith went".
        if nxt in ("open", "other") or _next_word(text, after) in _STARTERS:
            return cut
        return None
    return cut


def _enumeration(text: str) -> tuple[set[int], set[int]]:
    """Items of enumerations written inline: "1.) The first item 2.) The second item", "a. … b. … c. …".

    An enumeration starts at the beginning of a line (or after a bullet) and goes on with consecutive
    numbers or letters in the same style, each within _MAX_LIST_GAP characters of the previous one.
    Returns the positions where item words start (their period ends no sentence) and the cuts before
    items 2, 3, ….
    """
    markers: set[int] = set()
    cuts: set[int] = set()
    previous: dict[str, tuple[int, int]] = {}  # style -> (ordinal, end position) of the last item seen
    for match in _LIST_MARKER.finditer(text):
        item, style = match.group("item"), match.group("style")
        ordinal = int(item) if item.isdigit() else ord(item) - ord("a") + 1
        key = f"{style}{'9' if item.isdigit() else 'a'}"
        last = previous.get(key)
        if last and last[0] + 1 == ordinal and match.start() - last[1] <= _MAX_LIST_GAP:
            cuts.add(match.start())
            markers.update((match.start(), match.start("item")))
        elif _starts_line(text, match.start()):
            markers.update((match.start(), match.start("item")))
        else:
            continue
        previous[key] = (ordinal, match.end())
    return markers, cuts


def _starts_line(text: str, position: int) -> bool:
    """True at the start of the text or of a line, ignoring indentation; bullets count as line starts."""
    head = text[max(0, position - _WINDOW) : position].rstrip(" \t")
    return not head or head[-1] == "\n" or head[-1] in _BULLETS
