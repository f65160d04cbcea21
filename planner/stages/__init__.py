"""The stages of a run, one module each, in the order :mod:`planner.pipeline` calls them.

``scenario → inputs → grid → coverage → problem → solution → plan → outputs``; see
:mod:`planner.pipeline` for the orchestration and the README's "Code layout" section for
the diagram.
"""
