"""go-plugin's kv example on pyvider-rpcplugin (``pyvider.rpcplugin``), unmodified from PyPI.

    python pyvider_kv.py plugin                        serve the KV plugin
    python pyvider_kv.py host [--no-mtls] [--ops N] -- CMD...
                                                       launch CMD as a KV plugin, put/get, print one JSON line

pyvider reads its handshake settings from its own environment rather than from code: the cookie is
PLUGIN_MAGIC_COOKIE_KEY/PLUGIN_MAGIC_COOKIE_VALUE (set below to go-plugin's kv example, BASIC_PLUGIN=hello), the
version list PLUGIN_PROTOCOL_VERSIONS, AutoMTLS PLUGIN_AUTO_MTLS. The kv protobuf modules (kv_pb2, kv_pb2_grpc)
are generated at setup and found on PYTHONPATH.
"""
from __future__ import annotations

import asyncio
import json
import os
import sys
import time

os.environ.setdefault("PLUGIN_MAGIC_COOKIE_KEY", "BASIC_PLUGIN")
os.environ.setdefault("PLUGIN_MAGIC_COOKIE_VALUE", "hello")
os.environ.setdefault("PLUGIN_PROTOCOL_VERSIONS", "1")
os.environ.setdefault("PLUGIN_LOG_LEVEL", "WARNING")
if "--no-mtls" in sys.argv:
    os.environ["PLUGIN_AUTO_MTLS"] = "false"

import kv_pb2  # noqa: E402
import kv_pb2_grpc  # noqa: E402
from pyvider.rpcplugin import RPCPluginProtocol, plugin_client, plugin_server  # noqa: E402


class KVServicer(kv_pb2_grpc.KVServicer):
    def __init__(self) -> None:
        self.data: dict[str, bytes] = {}

    async def Get(self, request, context):  # noqa: N802 (gRPC method name)
        return kv_pb2.GetResponse(value=self.data.get(request.key, b""))

    async def Put(self, request, context):  # noqa: N802
        self.data[request.key] = request.value
        return kv_pb2.Empty()


class KVProtocol(RPCPluginProtocol):
    async def get_grpc_descriptors(self):
        return kv_pb2.DESCRIPTOR, "proto.KV"

    async def add_to_server(self, server, handler) -> None:
        kv_pb2_grpc.add_KVServicer_to_server(handler, server)

    def get_method_type(self, method_name: str) -> str:
        return "unary_unary"


async def plugin() -> None:
    server = plugin_server(protocol=KVProtocol(), handler=KVServicer())
    await server.serve()


async def host(cmd: list[str], ops: int) -> dict:
    client = plugin_client(command=cmd)
    started = time.perf_counter()
    await client.start()
    launch = time.perf_counter() - started
    try:
        kv = kv_pb2_grpc.KVStub(client.grpc_channel)
        await kv.Put(kv_pb2.PutRequest(key="hello", value=b"world"))
        got = (await kv.Get(kv_pb2.GetRequest(key="hello"))).value.decode()
        begin = time.perf_counter()
        for i in range(ops):
            await kv.Put(kv_pb2.PutRequest(key=f"k{i % 16}", value=b"v"))
        elapsed = time.perf_counter() - begin
        result = {
            "get": got,
            "protocol_version": client._protocol_version,
            "network": client._transport_name,
            "tls": bool(client._server_cert),
            "pid": client._process.pid if client._process else None,
            "launch_ms": launch * 1000,
            "ops": ops,
            "ops_seconds": elapsed,
        }
    finally:
        await client.shutdown_plugin()
        await client.close()
    return result


def main() -> None:
    args = sys.argv[1:]
    if args[:1] == ["plugin"]:
        asyncio.run(plugin())
        return
    if args[:1] == ["host"] and "--" in args:
        opts, cmd = args[1 : args.index("--")], args[args.index("--") + 1 :]
        ops = int(opts[opts.index("--ops") + 1]) if "--ops" in opts else 0
        print(json.dumps(asyncio.run(host(cmd, ops))), flush=True)
        return
    sys.exit(__doc__)


if __name__ == "__main__":
    main()
