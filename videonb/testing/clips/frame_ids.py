"""Frame ids: a row of black/white cells across the top of the picture that survives H.264,
so a test can check that the frame returned for time *t* is the one displayed at *t*."""

from __future__ import annotations

import math

import numpy as np

from videonb.errors import InvalidOptionError, VideonbError

__all__ = ["ID_STRIP_FRACTION", "MAX_FRAME_ID", "FrameIdNotFoundError", "id_strip_height",
           "read_frame_id", "stamp_frame_id"]

#: Cells across the full width: white and black reference cells, 16 id bits
#: (most significant first), 2 checksum bits (popcount of the id modulo 4).
_ID_CELLS = 20
_ID_BITS = 16
#: Largest id :func:`stamp_frame_id` can write.
MAX_FRAME_ID = (1 << _ID_BITS) - 1
#: Height of the id strip as a fraction of the frame height (the strip spans the
#: full width).  Layout is relative, so ids survive resizing of the frame.
ID_STRIP_FRACTION = 1 / 15


class FrameIdNotFoundError(VideonbError, ValueError):
    """The image carries no readable frame-id strip (see :func:`read_frame_id`)."""

    code = "frame_id_not_found"


def id_strip_height(height: int) -> int:
    """Rows at the top of a *height*-row frame covered by the id strip."""
    return max(1, round(height * ID_STRIP_FRACTION))


def _id_cells(frame_id: int) -> list[bool]:
    bits = [bool((frame_id >> (_ID_BITS - 1 - i)) & 1) for i in range(_ID_BITS)]
    check = bin(frame_id).count("1") % 4
    return [True, False, *bits, bool(check & 2), bool(check & 1)]


def _cell_edges(width: int) -> list[int]:
    return [round(i * width / _ID_CELLS) for i in range(_ID_CELLS + 1)]


def stamp_frame_id(image: np.ndarray, frame_id: int) -> np.ndarray:
    """Draw *frame_id* into the top strip of *image* (modified in place and returned).

    The strip is :func:`id_strip_height` rows high and spans the width in
    20 cells (16 px square at 320x240, 32x24 px at 640x360): a white and a black
    reference cell, 16 data bits (white = 1) and two checksum bits.  Works on
    RGB, BGR or grey ``uint8`` arrays.
    """
    if not 0 <= frame_id <= MAX_FRAME_ID:
        raise InvalidOptionError(f"frame id {frame_id} is outside 0..{MAX_FRAME_ID}")
    height, width = image.shape[:2]
    if width < 2 * _ID_CELLS or height < 8:
        raise InvalidOptionError(
            f"a {width}x{height} frame is too small for an id strip (needs >= 40x8)"
        )
    strip = id_strip_height(height)
    edges = _cell_edges(width)
    for i, on in enumerate(_id_cells(frame_id)):
        image[:strip, edges[i] : edges[i + 1]] = 255 if on else 0
    return image


def read_frame_id(image: np.ndarray) -> int:
    """Decode the id drawn by :func:`stamp_frame_id` from a decoded frame.

    Accepts an ``(H, W, 3)`` RGB or BGR array or an ``(H, W)`` grey array, at
    the encoded size or resized (the layout is relative to the frame size).
    The centre of every cell is averaged, so H.264 ringing at cell edges does
    not matter.

    Raises:
        FrameIdNotFoundError: no strip, too little contrast between the reference
            cells, an ambiguous cell or a checksum mismatch.
    """
    array = np.asarray(image)
    if array.ndim == 3:
        grey = array.astype(np.float32).mean(axis=2)
    elif array.ndim == 2:
        grey = array.astype(np.float32)
    else:
        raise FrameIdNotFoundError(
            f"expected an (H, W) or (H, W, C) image, got shape {array.shape}"
        )
    height, width = grey.shape
    if width < _ID_CELLS or height < 4:
        raise FrameIdNotFoundError(f"a {width}x{height} image is too small to hold a frame id")
    strip = height * ID_STRIP_FRACTION
    y0 = int(strip * 0.25)
    y1 = max(y0 + 1, math.ceil(strip * 0.75))
    values = []
    for i in range(_ID_CELLS):
        left, right = i * width / _ID_CELLS, (i + 1) * width / _ID_CELLS
        x0 = int(left + 0.25 * (right - left))
        x1 = max(x0 + 1, math.ceil(left + 0.75 * (right - left)))
        values.append(float(grey[y0:y1, x0:x1].mean()))
    white, black = values[0], values[1]
    contrast = white - black
    if contrast < 80:
        raise FrameIdNotFoundError(
            f"no frame-id strip: the reference cells read {white:.0f} and {black:.0f} "
            "(expected white and black)"
        )
    threshold = (white + black) / 2
    bits = []
    for i, value in enumerate(values[2:], start=2):
        if abs(value - threshold) < 0.2 * contrast:
            raise FrameIdNotFoundError(
                f"frame-id cell {i} is ambiguous ({value:.0f}, threshold {threshold:.0f})"
            )
        bits.append(value > threshold)
    frame_id = 0
    for bit in bits[:_ID_BITS]:
        frame_id = (frame_id << 1) | int(bit)
    check = (int(bits[_ID_BITS]) << 1) | int(bits[_ID_BITS + 1])
    if check != bin(frame_id).count("1") % 4:
        raise FrameIdNotFoundError(f"frame-id checksum mismatch (read id {frame_id})")
    return frame_id
