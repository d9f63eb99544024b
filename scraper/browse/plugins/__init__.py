"""Datasette plugins bundled with scraper; `scraper serve` passes this folder as --plugins-dir."""
