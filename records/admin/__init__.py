from . import attendance, certificates, feedback  # noqa: F401
