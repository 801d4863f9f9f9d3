"""The WAHA request/response models: validation at the edge, ids of sent messages, nothing lost."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from conectafy.waha import HmacConfig, MediaFile, SentMessage, SessionConfig, WebhookConfig
from tests.conftest import load_waha_sample

CHAT = "15550002222@c.us"


def test_webhook_url_without_scheme_is_refused_like_waha_does() -> None:
    """WAHA answered 400 "config.webhooks.0.url must be a URL address" to this very config."""
    config = load_waha_sample("api-2026-016-session-create-invalid-config.json")["request"]["body"]["config"]
    with pytest.raises(ValidationError, match="webhook url must be an absolute http"):
        SessionConfig.model_validate(config)


def test_a_webhook_needs_at_least_one_event() -> None:
    with pytest.raises(ValidationError, match="at least 1 item"):
        WebhookConfig(url="http://127.0.0.1:8099/hook", events=[])


def test_session_config_keeps_engine_blocks_it_does_not_model() -> None:
    sent = load_waha_sample("api-2026-024-session-create-start-true.json")["request"]["body"]["config"]
    assert SessionConfig.model_validate(sent).to_waha() == sent


def test_hmac_key_stays_out_of_reprs() -> None:
    assert "s3cret" not in repr(HmacConfig(key="s3cret"))


@pytest.mark.parametrize(
    "fields",
    [
        {"mimetype": "image/jpeg"},
        {"mimetype": "image/jpeg", "url": "http://x/a.jpg", "data": "AAAA"},
        {"mimetype": "image/jpeg", "data": "not base64!"},
        {"mimetype": "jpeg", "url": "http://x/a.jpg"},
    ],
    ids=["no-source", "two-sources", "bad-base64", "bad-mimetype"],
)
def test_media_file_needs_one_valid_source(fields: dict[str, str]) -> None:
    with pytest.raises(ValidationError):
        MediaFile.model_validate(fields)


def test_media_file_from_bytes_is_base64() -> None:
    file = MediaFile.from_bytes(b"hello", "text/plain", "a.txt")
    assert file.to_waha() == {"mimetype": "text/plain", "filename": "a.txt", "data": "aGVsbG8="}


@pytest.mark.parametrize(
    ("raw", "key_id", "serialized"),
    [
        (
            load_waha_sample("api-2026-044-sendtext-working.json")["response"]["body"],
            "3EB0CC48CA9FD6184D20A3",
            f"true_{CHAT}_3EB0CC48CA9FD6184D20A3",
        ),
        (
            {
                "id": {
                    "fromMe": True,
                    "remote": CHAT,
                    "id": "3EB0AA",
                    "_serialized": f"true_{CHAT}_3EB0AA_out",
                }
            },
            "3EB0AA",
            f"true_{CHAT}_3EB0AA_out",
        ),
        ({"id": f"true_{CHAT}_3EB0BB", "body": "hi"}, "3EB0BB", f"true_{CHAT}_3EB0BB"),
        ({"status": "PENDING"}, None, None),
    ],
    ids=["noweb-baileys", "webjs-message", "serialized-string", "no-id"],
)
def test_sent_message_ids_whichever_engine_answered(
    raw: dict[str, object], key_id: str, serialized: str
) -> None:
    sent = SentMessage(chat_id=CHAT, raw=raw)
    assert (sent.key_id, sent.id) == (key_id, serialized)


def test_sent_message_id_uses_the_c_us_form_of_the_chat() -> None:
    sent = SentMessage(chat_id="15550002222@s.whatsapp.net", raw={"key": {"id": "3EB0CC"}})
    assert sent.id == "true_15550002222@c.us_3EB0CC"
