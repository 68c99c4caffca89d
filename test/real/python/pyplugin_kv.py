"""go-plugin's kv example on python-plugin (``pyplugin``), the Python port of go-plugin, unmodified from PyPI.

    python pyplugin_kv.py plugin                       serve the KV plugin (BASIC_PLUGIN=hello, version 1)
    python pyplugin_kv.py host [--no-mtls] [--ops N] -- CMD...
                                                       launch CMD as a KV plugin, put/get, print one JSON line

The kv protobuf modules (kv_pb2, kv_grpc for grpclib) are generated at setup and found on PYTHONPATH.
"""
from __future__ import annotations

import asyncio
import json
import logging
import sys
import time

import kv_grpc
import kv_pb2
import pyplugin

HANDSHAKE = pyplugin.HandshakeConfig(protocol_version=1, magic_cookie_key="BASIC_PLUGIN", magic_cookie_value="hello")


class KVServicer(kv_grpc.KVBase):
    def __init__(self) -> None:
        self.data: dict[str, bytes] = {}

    async def Get(self, stream) -> None:  # noqa: N802 (gRPC method name)
        request = await stream.recv_message()
        await stream.send_message(kv_pb2.GetResponse(value=self.data.get(request.key, b"")))

    async def Put(self, stream) -> None:  # noqa: N802
        request = await stream.recv_message()
        self.data[request.key] = request.value
        await stream.send_message(kv_pb2.Empty())


class KVPlugin(pyplugin.Plugin):
    def servicers(self, broker):
        return [KVServicer()]

    def stub(self, broker, channel):
        return kv_grpc.KVStub(channel)


class Captured(logging.Handler):
    """Keeps the plugin's mirrored log records, to report them."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[dict[str, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append({"level": record.levelname, "message": record.getMessage()})


async def host(cmd: list[str], mtls: bool, ops: int) -> dict:
    logger = logging.getLogger("kv-host")
    captured = Captured()
    logger.addHandler(captured)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    config = pyplugin.ClientConfig(handshake_config=HANDSHAKE, plugins={"kv": KVPlugin()}, cmd=cmd, auto_mtls=mtls, logger=logger)
    client = pyplugin.Client(config)
    started = time.perf_counter()
    await client.start()
    launch = time.perf_counter() - started
    try:
        kv = client.dispense("kv")
        await kv.Put(kv_pb2.PutRequest(key="hello", value=b"world"))
        got = (await kv.Get(kv_pb2.GetRequest(key="hello"))).value.decode()
        begin = time.perf_counter()
        for i in range(ops):
            await kv.Put(kv_pb2.PutRequest(key=f"k{i % 16}", value=b"v"))
        elapsed = time.perf_counter() - begin
        reattach = client.reattach_config()
        result = {
            "get": got,
            "protocol_version": client.negotiated_version,
            "network": reattach.network if reattach else None,
            "tls": bool(reattach and reattach.server_cert_pem),
            "pid": client.pid,
            "launch_ms": launch * 1000,
            "ops": ops,
            "ops_seconds": elapsed,
        }
    finally:
        await client.kill()
    result["logs"] = captured.records
    return result


def main() -> None:
    args = sys.argv[1:]
    if args[:1] == ["plugin"]:
        pyplugin.serve(pyplugin.ServeConfig(handshake_config=HANDSHAKE, plugins={"kv": KVPlugin()}))
        return
    if args[:1] == ["host"] and "--" in args:
        opts, cmd = args[1 : args.index("--")], args[args.index("--") + 1 :]
        ops = int(opts[opts.index("--ops") + 1]) if "--ops" in opts else 0
        print(json.dumps(asyncio.run(host(cmd, "--no-mtls" not in opts, ops))), flush=True)
        return
    sys.exit(__doc__)


if __name__ == "__main__":
    main()
