"""Mission Hub: a platform on which a government runs mission-driven innovation end to end."""

__version__ = "0.1.0"
