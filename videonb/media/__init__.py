"""Media core: probe, exact frame sampling, browser-playable encoding, local analysis.

Submodules load PyAV/NumPy/OpenCV on first use; importing this package does not.
"""
