#!/usr/bin/python3
"""A local SMTP server for the tests: Debian's python3-aiosmtpd on a loopback port.

usage: smtp_sink.py PORT OUT.jsonl

Every message received is appended to OUT.jsonl as one JSON object, decoded by Python's
email package (an implementation independent of exosafe's encoder): envelope sender and
recipients, the To and From headers, the Subject decoded from RFC 2047, the text/plain body
decoded from its transfer encoding, the charset and transfer encoding as sent, and the raw
header block. A recipient starting with "bounce@" is refused with 550. Prints "ready" once it accepts connections; stops on SIGTERM or SIGINT."""
import email
import email.policy
import json
import signal
import sys
import threading

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, path):
        self.path = path
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        # A mailbox that does not exist, for the permanent-failure test.
        if address.startswith('bounce@'):
            return '550 5.1.1 No such user here'
        envelope.rcpt_tos.append(address)
        return '250 OK'

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        part = msg.get_body(preferencelist=('plain',))
        head = raw.split(b'\r\n\r\n', 1)[0].decode('ascii', 'replace')
        row = {
            'mail_from': envelope.mail_from,
            'rcpt_tos': envelope.rcpt_tos,
            'from': str(msg['From']),
            'to': str(msg['To']),
            'subject': str(msg['Subject']),
            'message_id': str(msg['Message-ID']),
            'date': str(msg['Date']),
            'content_type': msg.get_content_type(),
            'charset': msg.get_content_charset(),
            'transfer_encoding': str(msg['Content-Transfer-Encoding']),
            'body': part.get_content() if part is not None else None,
            'headers': head,
            'defects': [type(d).__name__ for d in msg.defects],
        }
        with self.lock, open(self.path, 'a', encoding='utf-8') as f:
            f.write(json.dumps(row, ensure_ascii=False) + '\n')
        return '250 Message accepted for delivery'


def main():
    port, out = int(sys.argv[1]), sys.argv[2]
    open(out, 'a').close()
    controller = Controller(Sink(out), hostname='127.0.0.1', port=port)
    controller.start()
    print('ready', flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    controller.stop()


if __name__ == '__main__':
    main()
