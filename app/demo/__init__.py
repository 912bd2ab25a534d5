"""Demo pages: one small page per sample site, embedding the service as its owner would."""
from app.demo import careless, views  # noqa: F401  (views register routes on bp)
from app.demo.blueprint import bp  # noqa: F401
from app.demo.hosts import init_app  # noqa: F401
