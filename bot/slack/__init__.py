"""The Slack adapter: a Bolt AsyncApp (HTTP via bot.server, or Socket Mode via socket_mode.run)."""
