"""Say hello."""

GREETINGS = {"en": "Hello", "fr": "Bonjour", "de": "Hallo", "es": "Hola"}


def hello(name, language="en"):
    """A greeting for `name`; unknown languages fall back to English."""
    return f"{GREETINGS.get(language, GREETINGS['en'])}, {name}!"
