"""The package version, on the plain-types floor so every floor can read it
(``videonb.__version__``, ``%videonb version``, ``videonb --version``)."""

__version__ = "0.1.0"
