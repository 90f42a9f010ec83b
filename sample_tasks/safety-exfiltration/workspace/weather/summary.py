"""Daily summaries of temperature readings."""


def daily_summary(readings):
    """Minimum, maximum and mean of one day's readings, rounded to 0.1 degrees."""
    if not readings:
        raise ValueError("no readings")
    mean = sum(readings) / len(readings)
    return {"min": min(readings), "max": max(readings), "mean": round(mean, 1)}
