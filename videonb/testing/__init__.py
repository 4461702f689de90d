"""Helpers for videonb's own tests and benchmarks.

Nothing here is imported by ``import videonb``; import the submodules
explicitly, e.g. :mod:`videonb.testing.clips`, which builds video clips from
real footage with known ground truth (cut times, gradual transitions,
per-frame ids, rotation, variable frame rate) and a set of bad inputs.
"""
