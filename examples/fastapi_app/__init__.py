"""A FastAPI service that runs jobs on an arq worker."""
