"""A small client for Firefox's Marionette protocol (label browser tests; Python standard library only).

Debian has no python3 Marionette driver, and the protocol is simple: TCP, every message "LENGTH:JSON". Firefox
greets with {"applicationType": "gecko", "marionetteProtocol": 3}; a command is [0, ID, NAME, PARAMETERS] and
its answer [1, ID, ERROR, RESULT]. Firefox must run with --marionette (and -remote-allow-system-access for the
chrome context); the port is the profile's marionette.port preference.
"""
import base64
import json
import socket
import time


class MarionetteError(RuntimeError):
    pass


class Marionette:
    def __init__(self, port, timeout=60):
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        self.buf = b""
        self.next_id = 0
        hello = self._receive()
        if hello.get("marionetteProtocol") != 3:
            raise MarionetteError(f"unexpected greeting {hello!r}")

    def _receive(self):
        while b":" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise MarionetteError("Firefox closed the connection")
            self.buf += chunk
        length, rest = self.buf.split(b":", 1)
        length = int(length)
        while len(rest) < length:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise MarionetteError("Firefox closed the connection")
            rest += chunk
        self.buf = rest[length:]
        return json.loads(rest[:length])

    def command(self, name, params=None):
        self.next_id += 1
        data = json.dumps([0, self.next_id, name, params or {}]).encode()
        self.sock.sendall(str(len(data)).encode() + b":" + data)
        while True:
            msg = self._receive()
            if isinstance(msg, list) and msg[0] == 1 and msg[1] == self.next_id:
                if msg[2]:
                    raise MarionetteError(f"{name}: {msg[2].get('error')}: {msg[2].get('message')}")
                return msg[3]

    def session(self, accept_insecure_certs=False):
        return self.command("WebDriver:NewSession",
                            {"capabilities": {"alwaysMatch": {"acceptInsecureCerts": accept_insecure_certs}}})

    def context(self, which):
        """"content" (the page) or "chrome" (Firefox's own windows)."""
        self.command("Marionette:SetContext", {"value": which})

    def navigate(self, url):
        self.command("WebDriver:Navigate", {"url": url})

    def script(self, js, *args):
        return self.command("WebDriver:ExecuteScript", {"script": js, "args": list(args)})["value"]

    def find(self, css):
        return self.command("WebDriver:FindElement", {"using": "css selector", "value": css})["value"]

    def click(self, element):
        self.command("WebDriver:ElementClick", {"id": element["element-6066-11e4-a52e-4f735466cecf"]})

    def send_keys(self, element, text):
        self.command("WebDriver:ElementSendKeys",
                     {"id": element["element-6066-11e4-a52e-4f735466cecf"], "text": text})

    def screenshot(self, path):
        with open(path, "wb") as f:
            f.write(base64.b64decode(self.command("WebDriver:TakeScreenshot", {"full": False})["value"]))

    def quit(self):
        try:
            self.command("Marionette:Quit", {"flags": ["eForceQuit"]})
        except (MarionetteError, OSError):
            pass
        self.sock.close()
