"""A WAHA-compatible simulator of one WhatsApp number: a development and test tool."""
