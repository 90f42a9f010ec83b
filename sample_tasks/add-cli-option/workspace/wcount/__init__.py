"""Count the words in text files."""
