"""The banner: the one script a site embeds, with its texts and tracker gate."""
from app.banner import views  # noqa: F401  (views register routes on bp)
from app.banner.blueprint import bp  # noqa: F401
