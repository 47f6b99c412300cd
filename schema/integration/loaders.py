"""DataLoaders of the event stream."""

from __future__ import annotations

from models.integration import Event
from schema.loading import ModelByKeyLoader


class EventByPositionLoader(ModelByKeyLoader[Event]):
    model = Event
    key = "position"
