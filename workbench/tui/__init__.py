"""The Textual front end: the only part of workbench that imports textual."""
