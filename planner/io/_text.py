"""Deprecated location of :mod:`planner._text` (moved below :mod:`planner.io`, :mod:`planner.geo`
and :mod:`planner.scenario`, which all use it); its public names (``planner._text.__all__``) are
re-exported for old imports.
"""

from planner._text import *  # noqa: F403  (the re-export: every name of planner._text.__all__)
from planner._text import __all__ as __all__
