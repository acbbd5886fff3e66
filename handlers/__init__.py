"""Platform-neutral conversation logic: intents, support hours, answers."""
