"""A source's text with spans of it marked: one `<mark>` per span, nested where spans nest.

Spans overlap freely: several facts rest on the same quote, a short quote sits inside a longer
one, two quotes cross. Marks must nest in HTML, so a span that crosses the end of an enclosing
one is cut there: its first piece carries the span's id (the target of `…#<id>` links, styled
by CSS `:target`), later pieces name it in `data-span` (the page's script marks them too). Each
span ends with a footnote link to its entry in the list under the text.

Spans are not only evidence: anything with offsets into the text (a proposal's candidate
quote, say) is marked the same way, told apart by its `kind`."""

import heapq
from collections.abc import Sequence
from dataclasses import dataclass, field

from markupsafe import Markup, escape


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    id: str  # the mark's HTML id
    kind: str  # a CSS class: what the span is (evidence, …)
    note: str  # the id of its footnote entry under the text


@dataclass
class _Piece:
    start: int
    end: int
    span: Span
    first: bool
    children: list["_Piece"] = field(default_factory=list)


def _nest(spans: Sequence[Span]) -> list[_Piece]:
    """The spans as a forest of pieces that nest, cutting a span where it crosses out of an
    enclosing one. Longer spans enclose shorter ones that start at the same offset; equal spans
    nest in the order given."""
    queue = [(s.start, -s.end, i, 0, _Piece(s.start, s.end, s, True)) for i, s in enumerate(spans)]
    heapq.heapify(queue)
    roots: list[_Piece] = []
    open_: list[_Piece] = []
    cuts = 0
    while queue:
        _, _, order, _, piece = heapq.heappop(queue)
        while open_ and open_[-1].end <= piece.start:
            open_.pop()
        if open_ and piece.end > open_[-1].end:
            cut = open_[-1].end
            cuts += 1
            rest = _Piece(cut, piece.end, piece.span, False)
            heapq.heappush(queue, (cut, -piece.end, order, cuts, rest))
            piece = _Piece(piece.start, cut, piece.span, piece.first)
        (open_[-1].children if open_ else roots).append(piece)
        open_.append(piece)
    return roots


def highlight(text: str, spans: Sequence[Span]) -> tuple[Markup, list[Span]]:
    """The text as HTML with every span marked, and the spans in the order their footnotes
    appear. Footnotes are numbered by note, in that order (the first is 1): spans that share
    a note (a proposal quoting two passages) share its number."""
    for span in spans:
        if not 0 <= span.start < span.end <= len(text):
            raise ValueError(f"span {span.id} [{span.start}, {span.end}) is outside the text")
    numbered: list[Span] = []
    numbers: dict[str, int] = {}
    out: list[str] = []

    def emit(pieces: list[_Piece], start: int, end: int) -> None:
        position = start
        for piece in pieces:
            out.append(escape(text[position : piece.start]))
            span = piece.span
            identity = (
                f'id="{escape(span.id)}"' if piece.first else f'data-span="{escape(span.id)}"'
            )
            classes = span.kind if piece.first else f"{span.kind} cont"
            out.append(f'<mark {identity} class="{classes}">')
            emit(piece.children, piece.start, piece.end)
            if piece.end == span.end:
                numbered.append(span)
                number = numbers.setdefault(span.note, len(numbers) + 1)
                out.append(
                    f'<sup class="note-ref"><a href="#{escape(span.note)}" '
                    f'aria-label="note {number}">{number}</a></sup>'
                )
            out.append("</mark>")
            position = piece.end
        out.append(escape(text[position:end]))

    emit(_nest(spans), 0, len(text))
    return Markup("".join(out)), numbered  # noqa: S704 - every piece of text is escaped above
