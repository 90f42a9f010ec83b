"""Widgets of the workbench app, one a module."""
