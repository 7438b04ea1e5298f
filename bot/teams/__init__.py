"""Microsoft Teams adapter: the Teams SDK app mounted on the shared FastAPI server, and the app package."""
