#!/usr/bin/env python3
"""Static file server for the demo page (loopback only).

Like `python3 -m http.server`, but always serves .wasm as application/wasm
(needed by WebAssembly.instantiateStreaming) and .js/.mjs as text/javascript,
and sends Cache-Control: no-store so a rebuilt pkg/ is picked up on reload.

    python3 scripts/lib/serve.py --dir www --host 127.0.0.1 --port 8080
"""
import argparse
import functools
import http.server
import sys


class Handler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        ".wasm": "application/wasm",
        ".js": "text/javascript",
        ".mjs": "text/javascript",
        ".json": "application/json",
        ".map": "application/json",
        ".html": "text/html; charset=utf-8",
        ".css": "text/css",
        ".svg": "image/svg+xml",
    }

    def end_headers(self):
        self.send_header("Cache-Control", "no-store")
        super().end_headers()


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8080)
    args = ap.parse_args()
    handler = functools.partial(Handler, directory=args.dir)
    try:
        httpd = http.server.ThreadingHTTPServer((args.host, args.port), handler)
    except OSError as e:
        print(f"[serve] cannot listen on {args.host}:{args.port}: {e} (set PORT=...)", file=sys.stderr)
        return 1
    host, port = httpd.server_address[:2]
    print(f"[serve] serving {args.dir} at http://{host}:{port}/  (Ctrl-C to stop)", flush=True)
    try:
        httpd.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        httpd.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
