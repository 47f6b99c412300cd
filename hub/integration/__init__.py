"""Partner integration (DESIGN section 10): calendar feeds."""

from hub.integration.feeds import (
    Feed,
    community_feed,
    feed_url,
    kecamatan_feed,
    kota_feed,
    private_feed,
    rotate_feed,
)

__all__ = [
    "Feed",
    "community_feed",
    "feed_url",
    "kecamatan_feed",
    "kota_feed",
    "private_feed",
    "rotate_feed",
]
