//go:build relaydeps

// Package relaydeps pins the modules the relay is being built on while its
// packages are written, so that go.mod and go.sum hold them. It is never
// built; remove it once relay/ and storage/ import these themselves.
package relaydeps

import (
	_ "github.com/gorilla/websocket"
	_ "github.com/ipfs/boxo/blockservice"
	_ "github.com/ipfs/boxo/blockstore"
	_ "github.com/ipfs/boxo/gateway"
	_ "github.com/ipfs/boxo/ipld/merkledag"
	_ "github.com/ipfs/boxo/ipld/unixfs/importer"
	_ "github.com/ipfs/boxo/ipld/unixfs/io"
	_ "github.com/ipfs/go-datastore"
	_ "github.com/ipfs/go-ds-leveldb"
	_ "github.com/labstack/echo/v4"
	_ "github.com/labstack/echo/v4/middleware"
	_ "github.com/prometheus/client_golang/prometheus"
	_ "github.com/prometheus/client_golang/prometheus/promhttp"
)
