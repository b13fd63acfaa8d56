"""Exceptions with messages a person can act on.

Every error the library raises on purpose derives from `LatentError`, so the CLI and the app can
catch exactly these, show the one-line message, and let anything else surface as the bug it is.
"""


class LatentError(Exception):
    """Base class: the message says what went wrong and what to do about it."""


class DatasetNotFoundError(LatentError):
    """No copy of a dataset was found locally and it could not be downloaded."""


class CorruptDataError(LatentError):
    """A dataset file exists but is truncated, damaged, or fails its checksum."""


class BundleError(LatentError):
    """A model bundle is missing, damaged, tampered with, or from a newer version."""


class OutputError(LatentError):
    """An output path holds something this tool did not write, or would swallow what is being read."""


class ImageInputError(LatentError):
    """An image given for classification cannot be used (not an image, too large, empty...)."""


class ConfigError(LatentError, ValueError):
    """An option value that cannot work here (e.g. --device cuda on a machine without CUDA)."""


class BlankImageError(ImageInputError):
    """The picture holds nothing to classify: callers answer "none" with `reason`, not an error.

    The message is "<reason>: <what was found>", so a caller can show both apart (`detail`)."""

    reason = "blank"

    @property
    def detail(self) -> str:
        """What was found, without the reason in front (a blank picture, a smooth gradient, a blank card)."""
        return str(self).removeprefix(f"{self.reason}: ")


class NoInkError(BlankImageError):
    """A photo with no clear mark on its paper (a wall, noise, a smooth gradient)."""

    reason = "no clear ink"
