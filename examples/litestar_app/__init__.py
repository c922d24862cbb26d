"""The FastAPI example's service on Litestar, with the same config and worker."""
