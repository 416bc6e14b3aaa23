"""Imports every command module so that each registers its commands on `app.cli.cli`."""

import app.cli.cise  # noqa: F401
import app.cli.contacts  # noqa: F401
import app.cli.db  # noqa: F401
import app.cli.decode  # noqa: F401
import app.cli.detect  # noqa: F401
import app.cli.serve  # noqa: F401
import app.cli.simulate  # noqa: F401
