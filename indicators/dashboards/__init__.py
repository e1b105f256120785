"""The dashboards' read model: one period's snapshot shaped into cards, a district comparison and a trend.

One job a module: ``board`` (the cards, the comparison and the trend, read from snapshots in a fixed
number of queries), ``periods`` (labels, the selector's groups, the default and the trend's periods),
``cache`` (the versions a cached board is keyed on), ``formatting`` (numbers as the reports write
them) and ``charts`` (the charts' data for static/js/dashboard.js). Callers import from the module.
"""
