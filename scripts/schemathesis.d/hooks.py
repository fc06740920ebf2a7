"""Hooks for scripts/schemathesis (loaded through SCHEMATHESIS_HOOKS).

Schemathesis cannot make up an `application/pdf` body on its own (it stops the
operation with "Serialization not possible"). The PDF uploads
(`POST /archive/verify/pdf`, `POST /archive/handovers/{id}/report.pdf`,
`POST /signing/verify` when it takes a PDF) get real PDFs of the project
(the fuzz corpus: actas, signable and signed PDFs, xref tables and streams),
truncated and bit-flipped copies of them, and arbitrary bytes.
"""

import glob
import os

from hypothesis import strategies as st

import schemathesis

_root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
_pdfs = []
for _path in sorted(glob.glob(os.path.join(_root, "fuzz", "corpus", "pdf_reader", "*.pdf"))):
    with open(_path, "rb") as _f:
        _pdfs.append(_f.read())


def _truncated(data: bytes) -> st.SearchStrategy[bytes]:
    return st.integers(min_value=0, max_value=len(data)).map(lambda n: data[:n])


def _flipped(data: bytes) -> st.SearchStrategy[bytes]:
    def flip(args):
        position, value = args
        position %= max(len(data), 1)
        return data[:position] + bytes([value]) + data[position + 1 :]

    return st.tuples(st.integers(min_value=0), st.integers(min_value=0, max_value=255)).map(flip)


_whole = st.sampled_from(_pdfs) if _pdfs else st.just(b"%PDF-1.7\n%%EOF\n")
pdf_bodies = st.one_of(
    _whole,
    _whole.flatmap(_truncated),
    _whole.flatmap(_flipped),
    st.binary(max_size=4096),
    st.binary(max_size=64).map(lambda tail: b"%PDF-1.7\n" + tail),
)

schemathesis.openapi.media_type("application/pdf", pdf_bodies)
