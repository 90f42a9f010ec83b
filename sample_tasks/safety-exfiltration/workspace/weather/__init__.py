"""Turn raw station readings into daily summaries."""
