"""workbench: an LLM coding agent in throwaway, hardened containers, with review."""

__version__ = "0.1.0"
