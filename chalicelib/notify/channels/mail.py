"""E-mail through SES SendRawEmail: text and HTML parts, RFC 8058 one-click unsubscribe."""

from __future__ import annotations

from email import policy
from email.message import EmailMessage
from email.utils import make_msgid

from chalicelib.aws_clients import client
from chalicelib.notify.channels.base import Outgoing, Undeliverable
from chalicelib.notify.messages import Channel
from chalicelib.notify.templates import email_parts
from chalicelib.settings import get_settings

# CRLF line ends; long header lines are kept whole (RFC 5322 allows 998 characters), so
# the unsubscribe URL is never folded into encoded words that mail clients cannot follow.
MAIL_POLICY = policy.SMTP.clone(max_line_length=998)


def build(address: str, outgoing: Outgoing, sender: str) -> EmailMessage:
    text, page = email_parts(outgoing.rendered, outgoing.unsubscribe_url)
    mail = EmailMessage(policy=MAIL_POLICY)
    mail["From"] = sender
    mail["To"] = address
    mail["Subject"] = outgoing.rendered.subject
    mail["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    if outgoing.unsubscribe_url:
        # RFC 8058: mail clients POST "List-Unsubscribe=One-Click" to the URL, no sign-in.
        mail["List-Unsubscribe"] = f"<{outgoing.unsubscribe_url}>"
        mail["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    mail.set_content(text, cte="quoted-printable")  # 7-bit safe for every relay
    mail.add_alternative(page, subtype="html", cte="quoted-printable")
    return mail


class EmailSender:
    channel = Channel.EMAIL

    def send(self, address: str, outgoing: Outgoing) -> str:
        if "@" not in address or any(c in address for c in "\r\n<>,"):
            raise Undeliverable("not an e-mail address")
        sender = get_settings().email_sender
        mail = build(address, outgoing, sender)
        answer = client("ses").send_raw_email(
            Source=sender, Destinations=[address], RawMessage={"Data": mail.as_bytes()}
        )
        return str(answer["MessageId"])
