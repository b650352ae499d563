"""The synthetic text `pledgedb synth` writes: neutral words (no hedge among them), invented
speakers' names, and each synthetic source built sentence by sentence with the offsets of each
quote."""

import random
from dataclasses import dataclass

# Neutral words for the generated sentences. None of them is a hedge word
# (app.facts.wording.HEDGE_WORDS), so a quote is hedged exactly when its seed counterpart is.
WORDS = (
    "coalition", "forces", "partners", "support", "deployment", "security", "guarantees",
    "training", "mission", "framework", "ministers", "allies", "border", "region", "logistics",
    "naval", "air", "patrols", "monitoring", "ceasefire", "agreement", "capital", "delegation",
    "brigade", "funding", "equipment", "pledge", "schedule", "review", "summit", "talks",
    "officers", "staff", "planning", "exercise", "corridor", "port", "airfield", "radar",
    "convoy", "supplies", "reserve", "rotation", "headquarters", "command", "liaison", "budget",
    "parliament", "vote", "treaty", "observers", "engineers", "medics", "cadets", "instructors",
    "the", "a", "of", "for", "with", "to", "in", "on", "and", "after", "before", "under", "new",
    "joint", "long-term", "regional", "northern", "southern", "eastern", "western", "coastal",
    "confirmed", "announced", "approved", "discussed", "outlined", "prepared", "reviewed",
    "signed", "delivered", "extended", "doubled", "expanded", "funded", "staffed", "planned",
)  # fmt: skip


FIRST_NAMES = (
    "Ada", "Boris", "Clara", "Dmytro", "Elena", "Farid", "Greta", "Hugo", "Irena", "Jonas",
    "Kasia", "Luca", "Marta", "Nils", "Olga", "Pavel", "Quinn", "Rosa", "Stefan", "Tara",
    "Ugo", "Vera", "Wim", "Xenia", "Yusuf", "Zofia",
)  # fmt: skip


LAST_NAMES = (
    "Abelson", "Brandt", "Costa", "Dupont", "Eriksen", "Fischer", "Garcia", "Horvat", "Ivanova",
    "Jansen", "Kowalski", "Lindqvist", "Moretti", "Novak", "Oliveira", "Petrenko", "Quist",
    "Rossi", "Schmidt", "Tamm", "Urban", "Varga", "Weber", "Xavier", "Young", "Zeman",
)  # fmt: skip


@dataclass
class SyntheticText:
    """A synthetic source text, built sentence by sentence; knows where each sentence lands."""

    parts: list[str]
    length: int = 0
    line: int = 1  # the line the next sentence starts on
    sentences: int = 0

    @classmethod
    def start(cls, header: str) -> "SyntheticText":
        return cls([header], len(header), 1 + header.count("\n"))

    def add(self, sentence: str, rng: random.Random) -> tuple[int, int, int]:
        """Append a sentence (then a space or a paragraph break); its start, end and line."""
        start, line = self.length, self.line
        gap = "\n\n" if rng.random() < 0.2 else " "
        self.parts += [sentence, gap]
        self.length += len(sentence) + len(gap)
        self.line += gap.count("\n")
        self.sentences += 1
        return start, start + len(sentence), line

    def value(self) -> str:
        return "".join(self.parts).rstrip() + "\n"
