"""Who is asking: officers by web session (Flask-Login), tablets by device token.

``passwords`` and ``tokens`` are plain helpers; ``context`` reads the current request.
"""
