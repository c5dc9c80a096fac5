"""SMS through SNS Publish: transactional, E.164, never to a number opted out at SNS, at most once."""

from __future__ import annotations

import re

from chalicelib.aws_clients import client
from chalicelib.notify.channels import publish
from chalicelib.notify.channels.base import OptedOut, Outgoing, Undeliverable
from chalicelib.notify.messages import Channel

E164 = re.compile(r"^\+[1-9]\d{6,14}$")


class SmsSender:
    channel = Channel.SMS

    def send(self, address: str, outgoing: Outgoing) -> str:
        if not E164.match(address):
            raise Undeliverable("not an E.164 number")
        sns = client("sns")
        # STOP replies are kept by SNS; asking first means an opted-out number is never texted.
        if sns.check_if_phone_number_is_opted_out(phoneNumber=address)["isOptedOut"]:
            raise OptedOut("number opted out of SMS")
        return publish.publish(  # at most once: a lost answer is not resent (publish.py)
            PhoneNumber=address,
            Message=outgoing.rendered.body,
            MessageAttributes={
                "AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"},
            },
        )
