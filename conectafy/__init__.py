"""Conectafy: many WhatsApp numbers, one WAHA container each, run by Kubernetes."""

__version__ = "0.1.0"
