"""The suite: its schema, loading and checking it, the data and outputs files it names, human
labels, and the gate language. Everything here is about the user's input; nothing is scored."""
