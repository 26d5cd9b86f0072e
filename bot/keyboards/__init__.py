"""Keyboards are pure functions returning markup; callback data carries ids only."""
