#!/usr/bin/python3
"""A loopback echo target for the packaging CI scripts: prints the port
it listens on (127.0.0.1, any free port), echoes one connection until
its EOF, then exits."""
import socket

s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(1)
print(s.getsockname()[1], flush=True)
c, _ = s.accept()
while True:
    b = c.recv(65536)
    if not b:
        break
    c.sendall(b)
c.close()
