"""Screens of the workbench app, each with its stylesheet beside it."""
