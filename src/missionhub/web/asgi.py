"""The ASGI application for servers: `uvicorn missionhub.web.asgi:app`."""

from missionhub.web.app import create_app

app = create_app()
