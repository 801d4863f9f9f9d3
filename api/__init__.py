"""The FastAPI application: accounts, sessions, webhooks, chats, live events."""
