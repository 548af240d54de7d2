"""The errors of deliveries, each with its stable code and status."""

from __future__ import annotations

from careplane_shared.errors import NotFound


class DeliveryNotFound(NotFound):
    code = "DELIVERY_NOT_FOUND"
    message = "No such delivery."
