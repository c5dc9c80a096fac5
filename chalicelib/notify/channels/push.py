"""Mobile push through SNS platform endpoints (APNs and FCM)."""

from __future__ import annotations

import json

from chalicelib.aws_clients import client
from chalicelib.notify.channels import publish
from chalicelib.notify.channels.base import EndpointGone, Outgoing
from chalicelib.notify.messages import Channel


def payload(outgoing: Outgoing) -> str:
    """One message for every platform (MessageStructure=json): title and body only."""
    title, body = outgoing.rendered.subject, outgoing.rendered.body
    apns = json.dumps({"aps": {"alert": {"title": title, "body": body}, "sound": "default"}})
    fcm = json.dumps({"notification": {"title": title, "body": body}})
    return json.dumps({"default": body, "APNS": apns, "APNS_SANDBOX": apns, "GCM": fcm})


class PushSender:
    channel = Channel.PUSH

    def send(self, address: str, outgoing: Outgoing) -> str:
        """``address`` is the device's SNS endpoint ARN."""
        try:  # at most once: a lost answer is not resent (publish.py)
            return publish.publish(TargetArn=address, Message=payload(outgoing), MessageStructure="json")
        except publish.sns().exceptions.EndpointDisabledException:
            raise EndpointGone(address) from None


def create_endpoint(application_arn: str, token: str) -> str:
    """SNS returns the same endpoint for the same token, so registering twice is harmless."""
    sns = client("sns")
    arn = str(sns.create_platform_endpoint(PlatformApplicationArn=application_arn, Token=token)["EndpointArn"])
    # A re-registered token may belong to a previously disabled endpoint: enable it again.
    sns.set_endpoint_attributes(EndpointArn=arn, Attributes={"Enabled": "true"})
    return arn


def delete_endpoint(endpoint_arn: str) -> None:
    client("sns").delete_endpoint(EndpointArn=endpoint_arn)  # idempotent at SNS
