#!/usr/bin/env python3
"""A Docker engine API on a unix socket, for leader-cpu.sh: answers GET /_ping, /info (a swarm
manager), /nodes (a 3-node swarm) and /services (none), with or without an API version prefix;
anything else is 404. Enough for `clusterctl node list` to run the leader's whole path (engine
call included) without dockerd. Usage: fake-engine.py SOCKET_PATH (runs until killed)."""
import json
import os
import socketserver
import sys
from http.server import BaseHTTPRequestHandler

NODES = [{"ID": f"swarmnode{i}",
          "Description": {"Hostname": f"node{i}", "Platform": {"Architecture": "x86_64", "OS": "linux"}},
          "Spec": {"Role": "manager" if i == 0 else "worker", "Availability": "active"},
          "Status": {"State": "ready", "Addr": "127.0.0.1"}} for i in range(3)]
INFO = {"ID": "FAKE", "Name": "node0", "ServerVersion": "27.0.0", "Architecture": "x86_64",
        "Swarm": {"NodeID": "swarmnode0", "LocalNodeState": "active", "ControlAvailable": True}}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):  # noqa: N802 (http.server's name)
        path = self.path.split("?")[0]
        body = ("OK" if path.endswith("/_ping") else NODES if path.endswith("/nodes")
                else INFO if path.endswith("/info") else [] if path.endswith("/services") else None)
        data = json.dumps({"message": f"the fake engine does not serve {path}"} if body is None else body)
        if isinstance(body, str):
            data = body
        self.send_response(404 if body is None else 200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data.encode())))
        self.end_headers()
        self.wfile.write(data.encode())

    def log_message(self, *args):
        pass

    def address_string(self):
        return "unix"


class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


if __name__ == "__main__":
    if os.path.exists(sys.argv[1]):
        os.unlink(sys.argv[1])
    Server(sys.argv[1], Handler).serve_forever()
