"""`conectafy demo`: the real operator, API, dashboard and PostgreSQL on one machine, with Kubernetes,
WAHA and WhatsApp simulated (kmock as the API server, a demo kubelet, the WAHA simulator as each pod).

Production code never imports this package; `kmock` comes with the `demo` (and `dev`) extra.
"""
