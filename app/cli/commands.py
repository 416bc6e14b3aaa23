"""Imports every command module so that each registers its commands on `app.cli.cli`.

The import order is the order of ``mare --help``: commands along the data flow, then the
groups (typer lists commands before groups).
"""

# ruff: noqa: I001
import app.cli.decode  # noqa: F401
import app.cli.ingest  # noqa: F401
import app.cli.detect  # noqa: F401
import app.cli.serve  # noqa: F401
import app.cli.worker  # noqa: F401
import app.cli.demo  # noqa: F401
import app.cli.simulate  # noqa: F401
import app.cli.db  # noqa: F401
import app.cli.zones  # noqa: F401
import app.cli.users  # noqa: F401
import app.cli.contacts  # noqa: F401
import app.cli.cise  # noqa: F401
import app.cli.cases  # noqa: F401
import app.cli.report  # noqa: F401
