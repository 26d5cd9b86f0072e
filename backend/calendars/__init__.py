"""Dated events as data an admin keeps current: national testing windows and other windows.

``service`` stores them (each public function owns its transaction); ``windows`` holds the pure
questions the sweep and the screens ask (the next window, which reminder is due).
"""
