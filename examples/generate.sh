#!/bin/sh
# Regenerates the examples' protobuf code: TypeScript (ts-proto) and Go (for the interop fixtures). Needs Debian's
# protoc and protoc-gen-go (apt-get install protobuf-compiler golang-goprotobuf-dev).
set -e
cd "$(dirname "$0")"
for name in kv counter; do
  mkdir -p src/gen/$name ../test/go/src/exproto/$name
  protoc --plugin=../node_modules/.bin/protoc-gen-ts_proto --ts_proto_out=src/gen/$name \
    --ts_proto_opt=outputServices=grpc-js,env=both,esModuleInterop=true,importSuffix=.js,forceLong=number,outputSchema=true \
    -I proto/$name proto/$name/$name.proto
  protoc --go_out=plugins=grpc,paths=source_relative:../test/go/src/exproto/$name -I proto/$name proto/$name/$name.proto
done
