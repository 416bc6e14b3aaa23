"""The FastAPI application: `create_app(settings)` wires routes, errors and the lifespan.

The lifespan starts the whole service (store, engine, pipeline, hub; `app.service.startup`),
then its database maintenance (`app.service.maintenance`), and stops them in reverse, so
`uvicorn` serving `create_app()` is all of Mare in one process.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from app.errors import add_exception_handlers
from app.service.settings import ServiceSettings


def create_app(settings: ServiceSettings | None = None) -> FastAPI:
    """Return the application for ``settings`` (default: read from ``MARE_*``)."""
    from app.routes import ROUTERS
    from app.service.maintenance import start_maintenance, stop_maintenance
    from app.service.startup import start_service, stop_service

    cfg = settings if settings is not None else ServiceSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await start_service(app, cfg)
        try:
            await start_maintenance(app, cfg)  # in its own thread: the API is ready meanwhile
            yield
        finally:
            await stop_maintenance(app)
            await stop_service(app)

    app = FastAPI(
        title="Mare",
        version="1",
        summary="AIS vessel tracking and interdiction for the central Mediterranean",
        lifespan=lifespan,
    )
    app.state.settings = cfg
    add_exception_handlers(app)
    for router in ROUTERS:
        app.include_router(router)
    return app
