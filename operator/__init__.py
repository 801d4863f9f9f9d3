"""The kopf operator that runs one WAHA per WhatsAppSession."""
