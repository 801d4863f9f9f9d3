"""The simulated WAHA container: one session, its history, and the webhooks it sends."""

from __future__ import annotations

from typing import Any

from conectafy.simulator.config import RetryPolicy, SimulatorConfig
from conectafy.simulator.media import MediaFile, extension_for
from conectafy.simulator.messages import History, SimMessage, ack_payload, c_us, new_wa_id, payload
from conectafy.simulator.state import SessionMachine
from conectafy.simulator.webhook_sender import WebhookSender, WebhookTarget, build_envelope
from conectafy.waha.status import WahaStatus


def _session_targets(config: dict[str, Any] | None) -> list[WebhookTarget]:
    """The webhooks of `session.config.webhooks`, with WAHA's defaults (15 attempts, 2 s, constant)."""
    targets = []
    for hook in (config or {}).get("webhooks") or []:
        retries = hook.get("retries") or {}
        targets.append(
            WebhookTarget(
                url=hook["url"],
                events=tuple(hook.get("events") or ()),
                hmac_key=(hook.get("hmac") or {}).get("key"),
                policy=RetryPolicy(retries.get("policy") or "constant"),
                delay_seconds=float(retries.get("delaySeconds", 2)),
                attempts=int(retries.get("attempts", 15)),
                custom_headers=tuple((h["name"], h["value"]) for h in hook.get("customHeaders") or ()),
            )
        )
    return targets


class SimulatedWaha:
    """Ties the state machine, the message history and the webhook sender together."""

    def __init__(self, config: SimulatorConfig) -> None:
        self.config = config
        self.base_url = config.public_url or "http://127.0.0.1:3000"
        self.sender = WebhookSender(config)
        self.history = History()
        self.session = SessionMachine(config, self._on_status)

    @property
    def files_url(self) -> str:
        return f"{self.config.public_url or self.base_url}/api/files/{self.session.name}"

    def targets(self) -> list[WebhookTarget]:
        targets = _session_targets(self.session.config)
        if self.config.webhook_url:
            targets.append(
                WebhookTarget(
                    url=self.config.webhook_url,
                    events=tuple(self.config.webhook_events),
                    hmac_key=self.config.hmac_key,
                    policy=self.config.retry_policy,
                    delay_seconds=self.config.retry_delay_seconds,
                    attempts=self.config.retry_attempts,
                )
            )
        return targets

    def emit(self, event: str, body: dict[str, Any]) -> None:
        """Send one event to every subscribed webhook, with the session's metadata and `me`."""
        envelope = build_envelope(
            self.config,
            event,
            body,
            session=self.session.name,
            me=self.session.me,
            metadata=self.session.metadata,
        )
        self.sender.send(self.targets(), envelope)

    def _on_status(self, session: SessionMachine) -> None:
        statuses = session.statuses
        self.emit(
            "session.status", {"name": session.name, "status": session.status.value, "statuses": statuses}
        )

    def store_media(self, wa_id: str, data: bytes, mimetype: str) -> MediaFile:
        media = MediaFile(f"{wa_id}.{extension_for(mimetype)}", mimetype, data)
        self.history.files[media.name] = media
        return media

    def receive(self, message: SimMessage, *, deliver: bool = True) -> dict[str, Any]:
        """An inbound message reaches the number: history, then `message` and `message.any`."""
        self.history.add(message)
        body = payload(message, self.files_url)
        if deliver:
            self.emit("message", body)
            self.emit("message.any", body)
        return body

    def send(self, message: SimMessage) -> None:
        """Our own message leaves through the API: history and `message.any` with ack PENDING."""
        self.history.add(message)
        self.emit("message.any", payload(message, self.files_url))

    def set_ack(self, message: SimMessage, ack: int) -> dict[str, Any]:
        message.ack = ack
        body = ack_payload(message)
        self.emit("message.ack", body)
        return body

    def react(self, chat_id: str, message_id: str, text: str, push_name: str | None) -> dict[str, Any]:
        """The contact reacts to a message (empty text removes the reaction)."""
        reaction = SimMessage(chat_id, new_wa_id(), False, "reaction", None, push_name=push_name)
        body = {
            "id": reaction.id,
            "timestamp": reaction.timestamp,
            "from": c_us(chat_id),
            "fromMe": False,
            "source": "app",
            "reaction": {"text": text, "messageId": message_id},
        }
        self.emit("message.reaction", body)
        return body

    def boot(self) -> None:
        """Process start: WHATSAPP_START_SESSION=default starts the session right away."""
        if self.config.start_session:
            self.session.start()

    def can_serve(self) -> bool:
        return self.session.exists and self.session.status == WahaStatus.WORKING

    async def aclose(self) -> None:
        self.session.close()
        await self.sender.aclose()
