"""Helpers for videonb's own tests and benchmarks.

:mod:`videonb.testing.clips` builds video clips from real footage with known
ground truth (cut times, gradual transitions, per-frame ids, rotation,
variable frame rate) and a set of deliberately bad inputs.  Nothing here is
imported by ``import videonb``; import the submodule explicitly.
"""
