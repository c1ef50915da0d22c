"""Serve moto's AWS API emulator single-threaded on 127.0.0.1.

moto's TransactWriteItems snapshots and restores whole tables when a transaction
is cancelled; under its default threaded server concurrent transactions lose or
leak writes. One thread makes every transaction exact (and faster here).

usage: python3 serve.py PORT
"""
import os
import sys
import threading
import time

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import run_simple


def exit_with_parent():
    """Stop when the process that started us is gone (a test binary that
    panicked before its cleanup ran), so no emulator outlives its test."""
    parent = os.getppid()
    while os.getppid() == parent:
        time.sleep(1)
    os._exit(0)


threading.Thread(target=exit_with_parent, daemon=True).start()
port = int(sys.argv[1])
app = DomainDispatcherApplication(create_backend_app)
run_simple("127.0.0.1", port, app, threaded=False, use_reloader=False, use_debugger=False)
