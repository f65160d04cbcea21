"""Presentation data shared by the exports (:mod:`planner.io.exports`) and the report.

:mod:`planner.present.tables` turns a :class:`~planner.plan.Plan` into the site and area
tables (raw records and labelled, language-specific tables); :mod:`planner.present.i18n`
holds the zh/en labels. Both sit below :mod:`planner.io` and :mod:`planner.report`, so the
disk layer never imports the presentation layer.
"""
