"""Platform adapters and the composition root: settings, CLI, server."""
