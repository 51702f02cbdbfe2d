"""jgdns: a tiny DNS responder on 127.0.0.1 for jumpgate's tests.

Why: what jumpgate does with names (search lists, address families,
names that glibc and evdns read differently) can only be tested against
a resolver whose answers the test decides, and no test may ask a DNS
server off the machine.  jumpgate's `ResolvConf FILE` points the daemon
(and --explain) at this responder; `resolv_conf()` writes such a file.

The responder answers UDP queries for A and AAAA from a table
{name: {'A': [...], 'AAAA': [...]}} (names lowercase, no trailing dot):
a known name gets its addresses of the asked type (possibly none,
NOERROR), an unknown name NXDOMAIN.  Every query is recorded as
(name, type) in `queries`, so a test can assert which names were asked,
and that some never were.  The question is echoed as received (evdns
randomises the case of its queries and checks the echo).
"""

import socket
import struct
import threading

TYPES = {1: 'A', 28: 'AAAA'}


class Responder:
    def __init__(self, table=None):
        self.table = {k.lower().rstrip('.'): v for k, v in
                      (table or {}).items()}
        self.queries = []
        self.lock = threading.Lock()
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(('127.0.0.1', 0))
        self.port = self.sock.getsockname()[1]
        self._stop = False
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def asked(self, name=None):
        """The (name, type) queries so far, or the types asked for name."""
        with self.lock:
            q = list(self.queries)
        if name is None:
            return q
        return [t for n, t in q if n == name.lower().rstrip('.')]

    def reset(self):
        with self.lock:
            self.queries = []

    def _loop(self):
        while not self._stop:
            try:
                data, peer = self.sock.recvfrom(4096)
            except OSError:
                return
            try:
                reply = self._answer(data)
            except (IndexError, struct.error, UnicodeDecodeError):
                continue        # not a query we understand: no answer
            if reply is not None:
                try:
                    self.sock.sendto(reply, peer)
                except OSError:
                    return

    def _answer(self, data):
        qid, flags, qd = struct.unpack('>HHH', data[:6])
        if flags & 0x8000 or qd != 1:
            return None
        i, labels = 12, []
        while data[i] != 0:
            n = data[i]
            labels.append(data[i + 1:i + 1 + n].decode('ascii'))
            i += 1 + n
        qend = i + 5
        qtype, _ = struct.unpack('>HH', data[i + 1:qend])
        name = '.'.join(labels).lower()
        tname = TYPES.get(qtype, str(qtype))
        with self.lock:
            self.queries.append((name, tname))
        question = data[12:qend]
        entry = self.table.get(name)
        answers = []
        if entry is not None:
            for addr in entry.get(tname, []):
                if tname == 'A':
                    rdata = socket.inet_pton(socket.AF_INET, addr)
                else:
                    rdata = socket.inet_pton(socket.AF_INET6, addr)
                # a pointer to the question's name, class IN, TTL 5
                answers.append(struct.pack('>HHHIH', 0xc00c, qtype, 1, 5,
                                           len(rdata)) + rdata)
        rcode = 0 if entry is not None else 3       # NXDOMAIN
        # response, opcode 0, RD copied, RA set
        rflags = 0x8000 | (flags & 0x0100) | 0x0080 | rcode
        return struct.pack('>HHHHHH', qid, rflags, 1, len(answers), 0, 0) + \
            question + b''.join(answers)

    def close(self):
        self._stop = True
        try:
            self.sock.close()
        except OSError:
            pass


def resolv_conf(env, responder, name='resolv.conf', search=None):
    """Writes a resolv.conf naming only the responder (evdns takes
    "IP:port"); search adds a "search" line.  Returns its path."""
    lines = ['nameserver 127.0.0.1:%d' % responder.port,
             'options timeout:5 attempts:2']
    if search:
        lines.append('search ' + search)
    return env.write(name, '\n'.join(lines) + '\n')
