"""Settlement at the deadline: funded or failed, then charging every active pledge once.

The blueprint (CLI ``flask settle``) lives in ``cli.py``, imported by the app factory.
"""
