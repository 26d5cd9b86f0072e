"""Broadcasts: content rules, audience, the service (create, schedule, pause, cancel), progress,
the ticker that drives running broadcasts, and their texts."""
