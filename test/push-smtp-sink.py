# A loopback SMTP server for the e-mail tests (started by test/servers/smtp-sink.ts) (aiosmtpd, Debian python3-aiosmtpd): AUTH with one login,
# greylisting (451 once) for @greylist.example, 550 for @rejected.example; writes each message as NNNN.eml and its
# envelope as NNNN.json (written last, atomically). Usage: push-smtp-sink.py PORT DIR [CERT KEY]; password in
# SMTP_SINK_PASSWORD. With CERT and KEY, STARTTLS is required before anything else (AUTH only over TLS).
import json
import os
import signal
import sys

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

port, out = int(sys.argv[1]), sys.argv[2]
password = os.environ['SMTP_SINK_PASSWORD'].encode()


class Sink:
    def __init__(self):
        self.count = 0
        self.greylisted = set()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.endswith('@rejected.example'):
            return '550 5.1.1 no such mailbox'
        if address.endswith('@greylist.example') and address not in self.greylisted:
            self.greylisted.add(address)
            return '451 4.7.1 greylisted, try again later'
        envelope.rcpt_tos.append(address)
        return '250 OK'

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        base = os.path.join(out, '%04d' % self.count)
        with open(base + '.eml', 'wb') as f:
            f.write(envelope.original_content)
        meta = {'from': envelope.mail_from, 'to': envelope.rcpt_tos, 'login': session.auth_data.login.decode() if session.authenticated else None}
        with open(base + '.tmp', 'w') as f:
            json.dump(meta, f)
        os.rename(base + '.tmp', base + '.json')
        return '250 OK queued as %d' % self.count


def authenticate(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and auth_data.login == b'clerk' and auth_data.password == password
    return AuthResult(success=ok, handled=False, auth_data=auth_data)


tls = {}
if len(sys.argv) > 4:
    import ssl
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(sys.argv[3], sys.argv[4])
    tls = {'tls_context': context, 'require_starttls': True}
controller = Controller(Sink(), hostname='127.0.0.1', port=port, authenticator=authenticate, auth_required=True,
                        auth_require_tls=bool(tls), **tls)
controller.start()
print('ready', flush=True)
signal.signal(signal.SIGTERM, lambda *_: (controller.stop(), sys.exit(0)))
while True:
    signal.pause()
