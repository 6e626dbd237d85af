"""Expected failures: the CLI prints their message on one line and exits 1, without a traceback."""


class MonitorError(Exception):
    """Base class of failures the operator can act on (bad config, unreachable database...)."""


class ConfigError(MonitorError):
    pass


class DatabaseError(MonitorError):
    pass


class NotFound(MonitorError):
    """A named thing (source, finding, obligation, file) does not exist."""
