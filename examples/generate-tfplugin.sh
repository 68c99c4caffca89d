#!/bin/sh
# Regenerates the TypeScript code of Terraform's plugin protocol 5 (tfplugin5) with ts-proto, from the .proto file
# shipped in terraform-plugin-go, the Go module that HashiCorp's providers are built on. The .proto is read from the
# Go module cache (the Go module proxy serves it); only the generated code is committed.
set -e
cd "$(dirname "$0")"
version=v0.31.0 # terraform-plugin-go, as required by terraform-provider-time v0.14.2 (test/real)
export PATH="/usr/local/go/bin:$PATH"
dir=$(cd /tmp && go mod download -json "github.com/hashicorp/terraform-plugin-go@$version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
mkdir -p src/gen/tfplugin5
protoc --plugin=../node_modules/.bin/protoc-gen-ts_proto --ts_proto_out=src/gen/tfplugin5 \
  --ts_proto_opt=outputServices=grpc-js,env=node,esModuleInterop=true,importSuffix=.js,forceLong=number \
  -I "$dir/tfprotov5/internal/tfplugin5" -I /usr/include "$dir/tfprotov5/internal/tfplugin5/tfplugin5.proto"
