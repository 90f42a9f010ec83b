"""Friendly greetings in several languages."""
